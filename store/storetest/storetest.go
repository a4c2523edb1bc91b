// Package storetest gives tests a Redis: the real server named by
// WABULK_TEST_REDIS (a redis:// URL or host:port) when set, as in CI, and
// an in-process miniredis otherwise. Each call also returns a key prefix
// of its own, so tests sharing one real server run in parallel.
//
// With WABULK_TEST_REDIS_MODE=cluster or sentinel, the tests run on the
// Redis Cluster named by WABULK_TEST_REDIS_CLUSTER
// (redis+cluster://[:PASSWORD@]HOST:PORT,…) or the Sentinel-watched
// master named by WABULK_TEST_REDIS_SENTINEL
// (redis+sentinel://[:PASSWORD@]HOST:PORT,…/MASTER/DB[?sentinel_password=…])
// instead: the forms scripts/redis-modes.sh starts and CI runs the store,
// worker and producer tests on.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvVar names the real Redis tests use when set.
const EnvVar = "WABULK_TEST_REDIS"

// The variables that choose and name the Cluster and Sentinel forms.
const (
	ModeVar     = "WABULK_TEST_REDIS_MODE"
	ClusterVar  = "WABULK_TEST_REDIS_CLUSTER"
	SentinelVar = "WABULK_TEST_REDIS_SENTINEL"
)

// Redis is a test's Redis.
type Redis struct {
	Client redis.UniversalClient
	Opt    *redis.Options
	Addr   string
	Mini   *miniredis.Miniredis // nil on a real server
	Prefix string               // unique to this test, ends in ":"
	// Mode is "", "cluster" or "sentinel" (WABULK_TEST_REDIS_MODE); Opt
	// and Addr are nil and "" in the last two.
	Mode string
}

// New returns a Redis for t and closes it when t ends.
func New(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "wt:" + token() + ":", Mode: Mode()}
	if r.Mode != "" {
		c, err := modeClient(r.Mode)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		r.Client = c
		return r
	}
	if v := strings.TrimSpace(os.Getenv(EnvVar)); v != "" {
		if !strings.Contains(v, "://") {
			v = "redis://" + v
		}
		opt, err := redis.ParseURL(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvVar, v, err)
		}
		r.Opt = opt
	} else {
		r.Mini = miniredis.RunT(t)
		r.Opt = &redis.Options{Addr: r.Mini.Addr()}
	}
	r.Addr = r.Opt.Addr
	c := redis.NewClient(r.Opt)
	t.Cleanup(func() { _ = c.Close() })
	r.Client = c
	return r
}

// Real reports whether tests run against a real Redis server.
func Real() bool { return strings.TrimSpace(os.Getenv(EnvVar)) != "" || Mode() != "" }

// Mode is the form tests run on: "" (one node or miniredis), "cluster" or
// "sentinel".
func Mode() string { return strings.TrimSpace(os.Getenv(ModeVar)) }

// modeClient connects to the Cluster or Sentinel form named by its
// variable.
func modeClient(mode string) (redis.UniversalClient, error) {
	name := map[string]string{"cluster": ClusterVar, "sentinel": SentinelVar}[mode]
	if name == "" {
		return nil, fmt.Errorf("%s=%q: want cluster or sentinel", ModeVar, mode)
	}
	v := strings.TrimSpace(os.Getenv(name))
	u, err := url.Parse(v)
	if v == "" || err != nil {
		return nil, fmt.Errorf("%s=%s needs %s (scripts/redis-modes.sh start prints it)", ModeVar, mode, name)
	}
	user := u.User.Username()
	pw, _ := u.User.Password()
	addrs := strings.Split(u.Host, ",")
	if mode == "cluster" {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Username: user, Password: pw}), nil
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	db := 0
	if len(parts) > 1 {
		db, _ = strconv.Atoi(parts[1])
	}
	return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: parts[0], SentinelAddrs: addrs, Username: user,
		Password: pw, SentinelPassword: u.Query().Get("sentinel_password"), DB: db}), nil
}

func token() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
