package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Health watches whether this process can write to Redis: a small write
// every interval, so that a worker left on a replica after a failover
// (READONLY) or cut off from Redis says so in its log and reports itself
// not ready (Ready) until the client has found a writable master again.
type Health struct {
	rdb      redis.UniversalClient
	key      string
	interval time.Duration
	log      *zap.Logger

	mu     sync.Mutex
	ready  bool
	reason string
	since  time.Time
}

// NewHealth returns a Health for the process named name (worker,
// scheduler, …) writing under prefix every interval (default 2 s).
func NewHealth(rdb redis.UniversalClient, prefix, name string, interval time.Duration, log *zap.Logger) *Health {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	host, _ := os.Hostname()
	return &Health{rdb: rdb, key: prefix + "health:" + name + ":" + host + ":" + fmt.Sprint(os.Getpid()),
		interval: interval, log: log, ready: true, since: time.Now()}
}

// Ready reports whether the last write succeeded, and if not why and
// since when.
func (h *Health) Ready() (ok bool, reason string, since time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ready, h.reason, h.since
}

// Check writes once and records the result.
func (h *Health) Check(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, h.interval)
	defer cancel()
	err := h.rdb.Set(cctx, h.key, time.Now().UnixMilli(), 3*h.interval).Err()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil && !h.ready:
		h.log.Info("Redis is writable again", zap.Duration("after", time.Since(h.since).Round(time.Millisecond)))
		h.ready, h.reason, h.since = true, "", time.Now()
	case err != nil && h.ready:
		h.reason = err.Error()
		if redis.IsReadOnlyError(err) || errors.Is(err, context.DeadlineExceeded) {
			h.reason = "Redis does not take writes (a replica after a failover?): " + err.Error()
		}
		h.log.Warn("not ready: Redis cannot be written; sends wait until it can", zap.String("why", h.reason))
		h.ready, h.since = false, time.Now()
	}
	return err
}

// Run checks every interval until ctx ends.
func (h *Health) Run(ctx context.Context) {
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		_ = h.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckReplicas logs an error for every master with fewer than want
// replicas connected: with redis.confirm_replicas set, such a master
// cannot confirm a claim, and no message is sent until it can.
func CheckReplicas(ctx context.Context, rdb redis.UniversalClient, want int, log *zap.Logger) {
	if want <= 0 {
		return
	}
	check := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		n := 0
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if n < want {
			log.Error("this Redis master has fewer replicas than redis.confirm_replicas: no message is sent until enough confirm its claims; add replicas, or set redis.confirm_replicas lower (0 turns the confirmation off, and a failover may then resend what was in flight)",
				zap.String("master", c.Options().Addr), zap.Int("replicas", n), zap.Int("confirm_replicas", want))
		}
		return nil
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, check)
	case *redis.Client:
		err = check(ctx, c)
	}
	if err != nil {
		log.Warn("could not count the Redis replicas", zap.Error(err))
	}
}
