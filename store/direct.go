package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// QueuedDirect returns the records of messages outside campaigns (API
// sends) that are queued and were last changed before before: the
// candidates of a send that stopped between its record and its task. It
// scans their keys (every master of a Cluster), at most limit records.
func (s *Store) QueuedDirect(ctx context.Context, before time.Time, limit int) ([]*Record, error) {
	var (
		mu  sync.Mutex
		out []*Record
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, s.prefix+"msg:{~*}:*", 1000).Result()
			if err != nil {
				return err
			}
			pipe := c.Pipeline()
			gets := make([]*redis.StringCmd, len(keys))
			for i, k := range keys {
				gets[i] = pipe.Get(ctx, k)
			}
			if len(keys) > 0 {
				if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
					return err
				}
			}
			for i, key := range keys {
				v, err := gets[i].Result()
				j := strings.Index(key, "}:")
				if err != nil || j < 0 {
					continue // gone meanwhile
				}
				r := unpackRecord(key[j+2:], v, "")
				last := r.UpdatedAt
				if last.IsZero() {
					last = r.CreatedAt
				}
				if r.Status != message.Queued || !last.Before(before) {
					continue
				}
				mu.Lock()
				full := len(out) >= limit
				if !full {
					out = append(out, r)
				}
				mu.Unlock()
				if full {
					return nil
				}
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return scan(ctx, m) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return out, fmt.Errorf("scan messages outside campaigns: %w", err)
	}
	return out, nil
}
