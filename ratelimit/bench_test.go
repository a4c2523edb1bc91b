package ratelimit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabulk/wabulk/ratelimit"
)

// The cost of one reservation. Waits are returned, never slept, so these
// measure the limiter alone. "rate" is the account rate only; "all" adds
// the pair limit and the daily budget (a template to a new recipient every
// time: the most work a reservation does). Against a real Redis:
//
//	WABULK_TEST_REDIS=redis://127.0.0.1:6379/0 go test -run '^$' -bench . -benchmem ./ratelimit
func BenchmarkSharedReserve(b *testing.B) {
	benchReserve(b, func(b *testing.B, limits map[string]ratelimit.Limits) ratelimit.Limiter {
		r := newRedis(b)
		return ratelimit.NewShared(r.Client, r.Prefix, limits)
	})
}

func BenchmarkLocalReserve(b *testing.B) {
	benchReserve(b, func(_ *testing.B, limits map[string]ratelimit.Limits) ratelimit.Limiter {
		return ratelimit.NewLocal(limits, nil)
	})
}

// BenchmarkRedisPing is the floor: one round trip that does nothing.
func BenchmarkRedisPing(b *testing.B) {
	r := newRedis(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if err := r.Client.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := r.Client.Ping(ctx).Err(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func benchReserve(b *testing.B, newLimiter func(*testing.B, map[string]ratelimit.Limits) ratelimit.Limiter) {
	limits := map[string]ratelimit.Limits{acct: {DailyBudget: 1 << 30}}
	for _, rules := range []string{"rate", "all"} {
		var next atomic.Int64
		req := func() ratelimit.Request {
			if rules == "rate" {
				return ratelimit.Request{Account: acct}
			}
			return ratelimit.Request{Account: acct, Recipient: strconv.FormatInt(next.Add(1), 10), Template: true}
		}
		// The stream runs far ahead of the clock; every reservation is taken.
		const maxWait = 1 << 62
		b.Run(rules+"/serial", func(b *testing.B) {
			l := newLimiter(b, limits)
			ctx := context.Background()
			for b.Loop() {
				if r, err := l.Reserve(ctx, req(), maxWait); err != nil || !r.OK {
					b.Fatal(r, err)
				}
			}
		})
		b.Run(rules+"/parallel", func(b *testing.B) {
			l := newLimiter(b, limits)
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r, err := l.Reserve(ctx, req(), time.Duration(maxWait)); err != nil || !r.OK {
						b.Error(r, err)
						return
					}
				}
			})
		})
	}
}
