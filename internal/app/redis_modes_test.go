package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/sharedtest"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)

// The Redis topologies the integration tests run on: scripts/redis-modes.sh
// starts a Cluster and a Sentinel-watched master on loopback and prints
// these variables (CI runs it, see .ci/run); WABULK_TEST_REDIS is the one
// node every other package's tests use.
const (
	envSingle   = "WABULK_TEST_REDIS"
	envCluster  = "WABULK_TEST_REDIS_CLUSTER"
	envSentinel = "WABULK_TEST_REDIS_SENTINEL"
)

func modeURL(t *testing.T, env string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		t.Skipf("%s is not set: `eval \"$(scripts/redis-modes.sh start)\"` sets the Cluster's and the Sentinels' (see the README's tests)", env)
	}
	if !strings.Contains(u, "://") { // WABULK_TEST_REDIS may be host:port
		u = "redis://" + u
	}
	return u
}

// Each form, opened through OpenRedis from its URL and from its config
// fields, carries an asynq task from a client to a server end to end.
func TestRedisModesCarryTasks(t *testing.T) {
	for _, mode := range []struct{ name, env string }{{"single node", envSingle}, {"cluster", envCluster}, {"sentinel", envSentinel}} {
		t.Run(mode.name, func(t *testing.T) {
			u := modeURL(t, mode.env)
			t.Run("url", func(t *testing.T) {
				roundTrip(t, openMode(t, config.RedisConfig{URL: u}))
			})
			t.Run("fields", func(t *testing.T) {
				rc, ok := fieldsOf(t, u)
				if !ok {
					t.Skip("one node has no field form: its URL is the form")
				}
				roundTrip(t, openMode(t, rc))
			})
		})
	}
}

// A redis:// URL naming a Cluster node or a Sentinel is refused with the
// form to write; behind the Sentinels, a master's name they do not know
// and a wrong password of the master are told apart.
func TestRedisModesMisdirected(t *testing.T) {
	type misdirected struct {
		rc   config.RedisConfig
		want string
	}
	for _, mode := range []struct {
		env   string
		cases func(config.RedisTarget) []misdirected
	}{
		{envCluster, func(tg config.RedisTarget) []misdirected {
			return []misdirected{
				{config.RedisConfig{URL: "redis://" + tg.Addrs[0] + "/0", Password: tg.Password}, "is a Redis Cluster node: write redis+cluster://"},
			}
		}},
		{envSentinel, func(tg config.RedisTarget) []misdirected {
			s := config.SentinelConfig{Master: tg.Master, Addrs: tg.Addrs, Password: tg.SentinelPassword}
			unknown := s
			unknown.Master = "no-such-master"
			return []misdirected{
				{config.RedisConfig{URL: "redis://" + tg.Addrs[0] + "/0", Password: tg.SentinelPassword}, "is a Sentinel: write redis+sentinel://"},
				{config.RedisConfig{Sentinel: s, Password: "pw-wrong"}, "the Sentinels name 127.0.0.1:"},
				{config.RedisConfig{Sentinel: unknown, Password: tg.Password}, "knows no master named no-such-master"},
			}
		}},
	} {
		t.Run(mode.env, func(t *testing.T) {
			tg := target(t, modeURL(t, mode.env))
			for _, c := range mode.cases(tg) {
				conn, err := OpenRedis(t.Context(), c.rc, false)
				if err == nil {
					conn.Close()
					t.Errorf("%v: OpenRedis succeeded", c.rc)
					continue
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Errorf("error = %v, want it to contain %q", err, c.want)
				}
				for _, pw := range []config.Secret{"pw-wrong", tg.Password, tg.SentinelPassword} {
					if pw != "" && strings.Contains(err.Error(), pw.Reveal()) {
						t.Errorf("error holds a password: %v", err)
					}
				}
			}
		})
	}
}

// After SENTINEL FAILOVER the same client, and the asynq server on it,
// work against the new master within a bound; the test leaves the old
// master a replica of the new one, so that the topology serves the next
// run.
func TestRedisSentinelFailover(t *testing.T) {
	u := modeURL(t, envSentinel)
	tg := target(t, u)
	ctx := t.Context()
	conn := openMode(t, config.RedisConfig{URL: u})
	q, got := serve(t, conn.RDB)
	cl := asynq.NewClientFromRedisClient(conn.RDB)
	enqueue(t, cl, q, "before")
	awaitPayload(t, got, "before", 20*time.Second)

	sc := redis.NewSentinelClient(&redis.Options{Addr: tg.Addrs[0], Password: tg.SentinelPassword.Reveal()})
	defer sc.Close()
	masterOf := func(sc *redis.SentinelClient) string {
		a, err := sc.GetMasterAddrByName(ctx, tg.Master).Result()
		if err != nil || len(a) != 2 {
			return ""
		}
		return net.JoinHostPort(a[0], a[1])
	}
	old := masterOf(sc)
	if old == "" {
		t.Fatalf("Sentinel %s names no master %s", tg.Addrs[0], tg.Master)
	}
	waitHealthy(t, tg, old, 60*time.Second) // a failover of an earlier run may still be settling
	if err := sc.Failover(ctx, tg.Master).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER %s: %v", tg.Master, err)
	}
	start := time.Now()
	promoted := sharedtest.WaitFor(t, func() string { return masterOf(sc) }, func(a string) bool { return a != "" && a != old },
		30*time.Second, "the Sentinels to promote a replica of %s", old)
	t.Logf("Sentinels promoted %s after %v", promoted, time.Since(start).Round(time.Millisecond))

	// Until the Sentinels turn the old master into a replica, it still
	// takes writes that the new master will never see: wait for that, so
	// that a write the client makes is one that lasts.
	oldMaster := redis.NewClient(&redis.Options{Addr: old, Password: tg.Password.Reveal()})
	defer oldMaster.Close()
	sharedtest.Eventually(t, func() bool { return replicaOf(ctx, oldMaster, promoted) }, 60*time.Second,
		"the old master %s to become a replica of %s", old, promoted)

	// The same client reaches the new master by itself (READONLY from the
	// old one closes those connections), and the asynq server on it
	// takes the task.
	id := fmt.Sprintf("after-%d", time.Now().UnixNano())
	sharedtest.Eventually(t, func() bool {
		_, err := cl.Enqueue(asynq.NewTask("modes:ping", []byte("after")), asynq.Queue(q), asynq.TaskID(id))
		return err == nil || errors.Is(err, asynq.ErrTaskIDConflict)
	}, 30*time.Second, "the client to write to the new master %s", promoted)
	awaitPayload(t, got, "after", 30*time.Second)
	t.Logf("a task went through the new master %v after SENTINEL FAILOVER", time.Since(start).Round(time.Millisecond))
	if port := infoField(ctx, conn.RDB, "server", "tcp_port"); port != portOf(promoted) {
		t.Errorf("the client talks to port %s, want the new master %s", port, promoted)
	}

	waitHealthy(t, tg, promoted, 60*time.Second)
}

// waitHealthy waits until every Sentinel names master and sees its
// replica healthy, the replica linked to it.
func waitHealthy(t *testing.T, tg config.RedisTarget, master string, timeout time.Duration) {
	t.Helper()
	ctx := t.Context()
	var sentinels []*redis.SentinelClient
	for _, a := range tg.Addrs {
		sc := redis.NewSentinelClient(&redis.Options{Addr: a, Password: tg.SentinelPassword.Reveal()})
		defer sc.Close()
		sentinels = append(sentinels, sc)
	}
	sharedtest.Eventually(t, func() bool {
		for _, sc := range sentinels {
			a, err := sc.GetMasterAddrByName(ctx, tg.Master).Result()
			if err != nil || len(a) != 2 || net.JoinHostPort(a[0], a[1]) != master {
				return false
			}
			reps, err := sc.Replicas(ctx, tg.Master).Result()
			if err != nil || len(reps) == 0 {
				return false
			}
			for _, r := range reps {
				if r["flags"] != "slave" || r["master-link-status"] != "ok" {
					return false
				}
			}
		}
		return true
	}, timeout, "every Sentinel to name %s master with a healthy replica", master)
}

// replicaOf reports whether c is a replica linked to master.
func replicaOf(ctx context.Context, c *redis.Client, master string) bool {
	return infoField(ctx, c, "replication", "role") == "slave" &&
		infoField(ctx, c, "replication", "master_port") == portOf(master) &&
		infoField(ctx, c, "replication", "master_link_status") == "up"
}

func infoField(ctx context.Context, c redis.UniversalClient, section, name string) string {
	info, err := c.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return v
		}
	}
	return ""
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// fieldsOf is the config-field form of a Sentinel or Cluster URL, as a
// config file says it, the passwords from the environment.
func fieldsOf(t *testing.T, u string) (config.RedisConfig, bool) {
	t.Helper()
	tg := target(t, u)
	var b strings.Builder
	b.WriteString("providers:\n  - {name: a, kind: tujenge, api_key: x}\nredis:\n")
	switch tg.Form {
	case config.FormSentinel:
		fmt.Fprintf(&b, "  sentinel:\n    master: %s\n    addrs: [%s]\n    password: ${SENTINEL_PASSWORD:-}\n    db: %d\n",
			tg.Master, strings.Join(tg.Addrs, ", "), tg.DB)
	case config.FormCluster:
		fmt.Fprintf(&b, "  cluster:\n    addrs: [%s]\n", strings.Join(tg.Addrs, ", "))
	default:
		return config.RedisConfig{}, false
	}
	b.WriteString("  password: ${REDIS_PASSWORD:-}\n")
	env := map[string]string{"REDIS_PASSWORD": tg.Password.Reveal(), "SENTINEL_PASSWORD": tg.SentinelPassword.Reveal()}
	cfg, err := config.Parse([]byte(b.String()), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("%s\n%v", b.String(), err)
	}
	if rt, _ := cfg.Redis.Target(); rt.Form != tg.Form {
		t.Fatalf("the fields read as %s, the URL as %s", rt.Form, tg.Form)
	}
	return cfg.Redis, true
}

func openMode(t *testing.T, rc config.RedisConfig) *Conn {
	t.Helper()
	c, err := OpenRedis(t.Context(), rc, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// roundTrip enqueues a task on conn and waits for an asynq server on the
// same connection to run it.
func roundTrip(t *testing.T, conn *Conn) {
	t.Helper()
	q, got := serve(t, conn.RDB)
	payload := fmt.Sprintf("ping-%d", time.Now().UnixNano())
	enqueue(t, asynq.NewClientFromRedisClient(conn.RDB), q, payload)
	awaitPayload(t, got, payload, 20*time.Second)
}

// awaitPayload waits for the handler to run the task carrying want (a
// task of before may run again: a failover may lose its completion).
func awaitPayload(t *testing.T, got <-chan string, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if sharedtest.WaitOrTimeout(t, got, time.Until(deadline), "the task carrying %q", want) == want {
			return
		}
	}
}

func enqueue(t *testing.T, cl *asynq.Client, q, payload string) {
	t.Helper()
	if _, err := cl.Enqueue(asynq.NewTask("modes:ping", []byte(payload)), asynq.Queue(q)); err != nil {
		t.Fatalf("enqueue on %s: %v", q, err)
	}
}

// serve runs an asynq server on a queue of the test's own, whose handler
// hands each payload to got; the queue is removed when the test ends.
// asynq keeps a queue's keys in one slot (asynq:{queue}:…), so the queue
// works on a Cluster as on one node.
func serve(t *testing.T, rdb redis.UniversalClient) (queue string, got <-chan string) {
	t.Helper()
	q := fmt.Sprintf("wabulk-test-modes-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano())
	ch := make(chan string, 16)
	mux := asynq.NewServeMux()
	mux.HandleFunc("modes:ping", func(_ context.Context, task *asynq.Task) error {
		select {
		case ch <- string(task.Payload()):
		default:
		}
		return nil
	})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues: map[string]int{q: 1}, Concurrency: 2, TaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout: time.Second, Logger: quiet{}, LogLevel: asynq.ErrorLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatalf("start an asynq server on %s: %v", q, err)
	}
	t.Cleanup(func() {
		srv.Shutdown()
		if err := asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(q, true); err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Errorf("delete queue %s: %v", q, err)
		}
	})
	return q, ch
}

// quiet drops asynq's log lines: a failover makes it log an error a poll.
type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}
