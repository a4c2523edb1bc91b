package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store/storetest"
)

// newClock is a fake clock at a fixed start: the limiters never sleep, so
// no test needs to. The start is far ahead of real time: Shared's keys
// expire at instants on this clock, which a real Redis reaches on its own
// clock only long after the test (newRedis deletes them at its end).
func newClock() *sharedtest.Clock {
	return sharedtest.NewClock(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
}

// limiter is what both implementations offer.
type limiter interface {
	ratelimit.Limiter
	Factor(ctx context.Context, account string) (float64, error)
}

var (
	_ limiter = (*ratelimit.Local)(nil)
	_ limiter = (*ratelimit.Shared)(nil)
)

// impls builds each implementation on a fake clock: the same rules must
// give the same answers in one process and across the fleet.
var impls = []struct {
	name string
	new  func(t testing.TB, limits map[string]ratelimit.Limits, now func() time.Time) limiter
}{
	{"local", func(_ testing.TB, limits map[string]ratelimit.Limits, now func() time.Time) limiter {
		return ratelimit.NewLocal(limits, now)
	}},
	{"shared", func(t testing.TB, limits map[string]ratelimit.Limits, now func() time.Time) limiter {
		r := newRedis(t)
		s := ratelimit.NewShared(r.Client, r.Prefix, limits)
		ratelimit.SetClock(s, now)
		return s
	}},
}

// eachImpl runs f as a parallel subtest per implementation.
func eachImpl(t *testing.T, f func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter)) {
	t.Helper()
	t.Parallel()
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			f(t, func(l map[string]ratelimit.Limits, now func() time.Time) limiter { return impl.new(t, l, now) })
		})
	}
}

// newRedis is storetest.New plus removing the test's keys at the end, so a
// shared CI Redis keeps no day-long budget sets.
func newRedis(t testing.TB) *storetest.Redis {
	t.Helper()
	r := storetest.New(t)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := r.Client.Scan(ctx, 0, r.Prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		for len(keys) > 0 {
			n := min(len(keys), 1000)
			r.Client.Del(ctx, keys[:n]...)
			keys = keys[n:]
		}
	})
	return r
}

func reserve(t testing.TB, l ratelimit.Limiter, r ratelimit.Request, maxWait time.Duration) ratelimit.Reservation {
	t.Helper()
	res, err := l.Reserve(context.Background(), r, maxWait)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func factor(t testing.TB, l limiter, account string) float64 {
	t.Helper()
	f, err := l.Factor(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// near reports whether got is want within tol.
func near(got, want, tol time.Duration) bool {
	d := got - want
	return d >= -tol && d <= tol
}

const (
	acct = "acct"
	hour = time.Hour
	day  = 24 * time.Hour
)
