package loadtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// eachMaster runs fn on every master that holds keys: each master of a
// Cluster (concurrently, as go-redis's ForEachMaster does), or rdb itself
// for one node or Sentinel's master. SCAN, DBSIZE and the like see one
// node only: on a Cluster they must run on every master.
func eachMaster(ctx context.Context, rdb redis.UniversalClient, fn func(ctx context.Context, addr string, node redis.Cmdable) error) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return fn(ctx, c.Options().Addr, c)
		})
	}
	return fn(ctx, nodeAddr(ctx, rdb), rdb)
}

// nodeAddr names a node that is not a Cluster's: its address, or for
// Sentinel's failover client (whose options name no address) the master's
// port as it reports it.
func nodeAddr(ctx context.Context, rdb redis.UniversalClient) string {
	if c, ok := rdb.(*redis.Client); ok && strings.Contains(c.Options().Addr, ":") {
		return c.Options().Addr
	}
	if port := readInfoField(ctx, rdb, "server", "tcp_port"); port != "" {
		return "master :" + port
	}
	return "master"
}

// readInfoField is one field of INFO section, "" when unreadable.
func readInfoField(ctx context.Context, rdb redis.Cmdable, section, name string) string {
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	v, _ := infoField(info, name)
	return v
}

// runPatterns are the SCAN patterns of a run's keys under prefix: wabulk's
// own, and asynq's for the run's queues (asynq:{prefix...}:...).
func runPatterns(prefix string) []string {
	return []string{prefix + "*", "asynq:{" + prefix + "*"}
}

// scanNode calls fn with each batch of keys on node matching the patterns.
func scanNode(ctx context.Context, node redis.Cmdable, patterns []string, fn func([]string) error) error {
	for _, pat := range patterns {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, pat, 1000).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", pat, err)
			}
			if len(keys) > 0 {
				if err := fn(keys); err != nil {
					return err
				}
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
	}
	return nil
}

// cleanup removes a loadtest's keys and queues from a shared Redis, on
// every master of a Cluster. Best effort: a load test's result does not
// depend on it.
func cleanup(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	queues, _ := insp.Queues()
	for _, q := range queues {
		if strings.HasPrefix(q, prefix) {
			_ = insp.DeleteQueue(q, true)
		}
	}
	_ = eachMaster(ctx, rdb, func(ctx context.Context, _ string, node redis.Cmdable) error {
		return scanNode(ctx, node, runPatterns(prefix), func(keys []string) error {
			// One UNLINK per key: a Cluster node refuses a command whose
			// keys lie in different slots, even slots it holds.
			pipe := node.Pipeline()
			for _, k := range keys {
				pipe.Unlink(ctx, k)
			}
			_, err := pipe.Exec(ctx)
			return err
		})
	})
}

// masterKeys is how many keys one master holds: the run's, and all
// (DBSIZE).
type masterKeys struct {
	Addr    string  `json:"addr"`
	RunKeys int64   `json:"run_keys"`
	Share   float64 `json:"run_share"` // of the run's keys on every master
	DBSize  int64   `json:"dbsize"`
}

// keySpread counts the run's keys (under prefix, and its asynq queues')
// on every master, busiest first.
func keySpread(ctx context.Context, rdb redis.UniversalClient, prefix string) ([]masterKeys, error) {
	var mu sync.Mutex
	var out []masterKeys
	err := eachMaster(ctx, rdb, func(ctx context.Context, addr string, node redis.Cmdable) error {
		m := masterKeys{Addr: addr}
		if err := scanNode(ctx, node, runPatterns(prefix), func(keys []string) error {
			m.RunKeys += int64(len(keys))
			return nil
		}); err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		n, err := node.DBSize(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s: dbsize: %w", addr, err)
		}
		m.DBSize = n
		mu.Lock()
		out = append(out, m)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	var total int64
	for _, m := range out {
		total += m.RunKeys
	}
	for i := range out {
		if total > 0 {
			out[i].Share = round(float64(out[i].RunKeys) / float64(total))
		}
	}
	slices.SortFunc(out, func(a, b masterKeys) int {
		return cmp.Or(cmp.Compare(b.RunKeys, a.RunKeys), strings.Compare(a.Addr, b.Addr))
	})
	return out, nil
}
