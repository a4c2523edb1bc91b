package loadtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
)

// testRedises are the Redis forms at hand: WABULK_TEST_REDIS (or an
// embedded miniredis), and the Cluster of WABULK_TEST_REDIS_CLUSTER when
// set (scripts/redis-modes.sh start sets it).
func testRedises(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	out := map[string]redis.UniversalClient{}
	if u := os.Getenv("WABULK_TEST_REDIS"); u != "" {
		if !strings.Contains(u, "://") {
			u = "redis://" + u
		}
		out["single"] = openTestRedis(t, u)
	} else {
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		out["miniredis"] = c
	}
	if u := os.Getenv("WABULK_TEST_REDIS_CLUSTER"); u != "" {
		out["cluster"] = openTestRedis(t, u)
	}
	return out
}

func openTestRedis(t *testing.T, u string) redis.UniversalClient {
	t.Helper()
	c, err := app.OpenRedis(t.Context(), config.RedisConfig{URL: u}, false)
	if err != nil {
		t.Fatalf("open %s: %v", config.RedactURL(u), err)
	}
	t.Cleanup(c.Close)
	return c.RDB
}

// A run's keys, its own and its asynq queue's, are counted on every master
// and removed from every master, and nothing else is.
func TestCleanupAndKeySpreadCoverEveryMaster(t *testing.T) {
	for name, rdb := range testRedises(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			prefix := "wabulk-lt-test-" + randHex(4) + ":"
			other := "wabulk-lt-test-other-" + randHex(4)
			const n = 300
			pipe := rdb.Pipeline()
			for i := range n {
				pipe.Set(ctx, fmt.Sprintf("%sk:%d", prefix, i), "v", 0)
			}
			pipe.Set(ctx, other, "v", 0)
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("write keys: %v", err)
			}
			t.Cleanup(func() { rdb.Del(context.WithoutCancel(ctx), other) })
			cl := asynq.NewClientFromRedisClient(rdb)
			if _, err := cl.Enqueue(asynq.NewTask("test", nil), asynq.Queue(prefix+"normal")); err != nil {
				t.Fatalf("enqueue: %v", err)
			}

			spread, err := keySpread(ctx, rdb, prefix)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			holding := 0
			for _, m := range spread {
				total += m.RunKeys
				if m.RunKeys > 0 {
					holding++
				}
				if m.DBSize < m.RunKeys {
					t.Errorf("%s: dbsize %d below its %d run keys", m.Addr, m.DBSize, m.RunKeys)
				}
			}
			// The run's n keys, and the queue's pending list and task.
			if total < n+2 {
				t.Errorf("run keys %d on %+v, want at least %d", total, spread, n+2)
			}
			if name == "cluster" && holding < 2 {
				t.Errorf("%d keys over many slots sit on %d master(s): %+v", n, holding, spread)
			}
			if spread[0].Share < spread[len(spread)-1].Share {
				t.Errorf("not busiest first: %+v", spread)
			}

			cleanup(ctx, rdb, prefix)
			spread, err = keySpread(ctx, rdb, prefix)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range spread {
				if m.RunKeys != 0 {
					t.Errorf("after cleanup %s still holds %d of the run's keys", m.Addr, m.RunKeys)
				}
			}
			if rdb.Exists(ctx, other).Val() != 1 {
				t.Errorf("cleanup removed %s, a key outside the run", other)
			}
		})
	}
}
