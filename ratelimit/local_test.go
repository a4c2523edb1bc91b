package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/ratelimit"
)

// A fake clock: the limiter never sleeps, so no test needs to.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func reserve(t *testing.T, l *ratelimit.Local, max time.Duration) ratelimit.Reservation {
	t.Helper()
	r, err := l.Reserve(context.Background(), "acct", max)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLocalSpacesSendsAtTheRate(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	l := ratelimit.NewLocal(map[string]ratelimit.Limit{"acct": {Rate: 10, Burst: 2}}, c.now)
	// The burst goes at once, then one every 100 ms.
	for i, want := range []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		r := reserve(t, l, time.Second)
		if !r.OK || r.Wait != want {
			t.Fatalf("reservation %d = %+v, want OK wait %v", i, r, want)
		}
	}
	// Over the bound: not reserved, and the hint says how long.
	r := reserve(t, l, 350*time.Millisecond)
	if r.OK || r.Wait != 400*time.Millisecond {
		t.Fatalf("over the bound: %+v, want not OK with wait 400ms", r)
	}
	// The refused reservation gave its slot back.
	c.add(400 * time.Millisecond)
	if r := reserve(t, l, 0); !r.OK || r.Wait != 0 {
		t.Fatalf("after 400ms: %+v, want an immediate slot", r)
	}
}

func TestLocalUnlimitedKeys(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewLocal(nil, nil)
	for range 1000 {
		if r := reserve(t, l, 0); !r.OK || r.Wait != 0 {
			t.Fatalf("unlimited key waited: %+v", r)
		}
	}
}
