package app

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/config"
)

// Conn is an open Redis: a real server, or an embedded miniredis that this
// process hosts (Mini != nil).
type Conn struct {
	RDB  redis.UniversalClient
	Mini *miniredis.Miniredis
}

// Close closes the client and stops a hosted miniredis.
func (c *Conn) Close() {
	_ = c.RDB.Close()
	if c.Mini != nil {
		c.Mini.Close()
	}
}

// OpenRedis connects to the configured Redis. With url "embedded", a
// hosting command (worker, demo) starts miniredis on redis.listen and the
// others connect to it there.
func OpenRedis(ctx context.Context, rc config.RedisConfig, host bool) (*Conn, error) {
	if rc.Embedded() {
		if host {
			m := miniredis.NewMiniRedis()
			if err := m.StartAddr(rc.Listen); err != nil {
				return nil, fmt.Errorf("start embedded Redis on %s: %w (is another wabulk worker running? set redis.listen to another address)", rc.Listen, err)
			}
			return &Conn{RDB: redis.NewClient(&redis.Options{Addr: m.Addr()}), Mini: m}, nil
		}
		c := redis.NewClient(&redis.Options{Addr: rc.Listen})
		if err := ping(ctx, c); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("no embedded Redis answers at %s: start `wabulk worker` first (it hosts the embedded Redis), or set redis.url to a real Redis", rc.Listen)
		}
		return &Conn{RDB: c}, nil
	}
	opt, err := redis.ParseURL(rc.URL)
	if err != nil {
		// Not %w: the parser's error repeats the URL, password and all.
		return nil, fmt.Errorf("redis.url %s is not a valid Redis URL (redis://[user:password@]host:port/db)", config.RedactURL(rc.URL))
	}
	c := redis.NewClient(opt)
	if err := ping(ctx, c); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", opt.Addr, err)
	}
	return &Conn{RDB: c}, nil
}

func ping(ctx context.Context, c *redis.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}
