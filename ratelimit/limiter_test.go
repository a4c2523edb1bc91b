package ratelimit_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/ratelimit"
)

// The behaviour every limiter shares, run against Local and Shared on a
// fake clock.

func TestSpacesSendsExactlyAtTheRate(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		// Meta's standard: 80/s with the default burst of 8, then one every 12.5 ms.
		l := newLimiter(map[string]ratelimit.Limits{acct: {}}, c.Now)
		var got, want []time.Duration
		for i := range 40 {
			got = append(got, reserve(t, l, ratelimit.Request{Account: acct}, time.Minute).Wait)
			want = append(want, time.Duration(max(0, i-7))*12500*time.Microsecond)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("waits at 80/s burst 8 (-want +got):\n%s", diff)
		}

		// A rate whose interval is not a whole number of microseconds
		// (333333.33 µs) does not drift over a long stream.
		l = newLimiter(map[string]ratelimit.Limits{acct: {Rate: 3, Burst: 1}}, c.Now)
		const n = 1000
		for i := range n {
			r := reserve(t, l, ratelimit.Request{Account: acct}, 2*hour)
			want := time.Duration(i) * time.Second / 3
			if !r.OK || !near(r.Wait, want, time.Microsecond) {
				t.Fatalf("reservation %d at 3/s = %+v, want wait %v", i, r, want)
			}
			if (r.Reason == ratelimit.ReasonRate) != (i > 0) {
				t.Fatalf("reservation %d reason %q", i, r.Reason)
			}
		}
	})
}

func TestBurstRefillsAtTheRate(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 10, Burst: 5}}, c.Now)
		waits := func(n int) (w []time.Duration) {
			for range n {
				w = append(w, reserve(t, l, ratelimit.Request{Account: acct}, time.Minute).Wait)
			}
			return w
		}
		ms := time.Millisecond
		if diff := cmp.Diff([]time.Duration{0, 0, 0, 0, 0, 100 * ms, 200 * ms}, waits(7)); diff != "" {
			t.Errorf("a full burst (-want +got):\n%s", diff)
		}
		// 700 ms later the queue of 2 has drained and 5 slots came back.
		c.Advance(700 * ms)
		if diff := cmp.Diff([]time.Duration{0, 0, 0, 0, 0, 100 * ms}, waits(6)); diff != "" {
			t.Errorf("after 700 ms (-want +got):\n%s", diff)
		}
		// 250 ms later: 2.5 intervals came back, one whole slot and half
		// of the next.
		c.Advance(250 * ms)
		if diff := cmp.Diff([]time.Duration{0, 50 * ms, 150 * ms}, waits(3)); diff != "" {
			t.Errorf("after 250 ms more (-want +got):\n%s", diff)
		}
	})
}

func TestRefusalBeyondMaxWaitTakesNoSlot(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 10, Burst: 2}}, c.Now)
		req := ratelimit.Request{Account: acct, Recipient: "+255700000001", Template: true}
		ms := time.Millisecond
		for i, want := range []time.Duration{0, 0, 100 * ms} {
			req.Recipient = string(rune('a' + i))
			if r := reserve(t, l, req, time.Second); !r.OK || r.Wait != want {
				t.Fatalf("reservation %d = %+v, want OK wait %v", i, r, want)
			}
		}
		// Over the bound: not reserved, and the hint says how long.
		req.Recipient = "z"
		for range 3 {
			r := reserve(t, l, req, 150*ms)
			if diff := cmp.Diff(ratelimit.Reservation{Wait: 200 * ms, Reason: ratelimit.ReasonRate}, r); diff != "" {
				t.Fatalf("over the bound (-want +got):\n%s", diff)
			}
		}
		// The refusals took nothing: the slot is still the next one, and
		// the recipient has no pair limit yet.
		if r := reserve(t, l, req, time.Second); !r.OK || r.Wait != 200*ms || r.Reason != ratelimit.ReasonRate {
			t.Fatalf("after refusals: %+v, want OK wait 200ms (rate)", r)
		}
		// Bound 0 takes only an immediate slot.
		c.Advance(time.Second)
		if r := reserve(t, l, ratelimit.Request{Account: acct}, 0); !r.OK || r.Wait != 0 || r.Reason != "" {
			t.Fatalf("idle, bound 0: %+v, want OK at once", r)
		}
	})
}

func TestPairLimit(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {}}, c.Now) // 80/s, one per recipient per 6 s
		to := func(who string) ratelimit.Request { return ratelimit.Request{Account: acct, Recipient: who} }
		if r := reserve(t, l, to("a"), time.Minute); !r.OK || r.Wait != 0 {
			t.Fatalf("first to a: %+v", r)
		}
		if r := reserve(t, l, to("b"), time.Minute); !r.OK || r.Wait != 0 {
			t.Fatalf("another recipient waited: %+v", r)
		}
		if diff := cmp.Diff(ratelimit.Reservation{Wait: 6 * time.Second, Reason: ratelimit.ReasonPair},
			reserve(t, l, to("a"), 5*time.Second)); diff != "" {
			t.Fatalf("second to a within 5 s (-want +got):\n%s", diff)
		}
		// A pair wait is never reserved, whatever the bound: it would move
		// the account's rate clock and hold up every other recipient.
		if diff := cmp.Diff(ratelimit.Reservation{Wait: 6 * time.Second, Reason: ratelimit.ReasonPair},
			reserve(t, l, to("a"), time.Minute)); diff != "" {
			t.Fatalf("second to a, however long the bound (-want +got):\n%s", diff)
		}
		// Meanwhile other recipients go at the account's rate.
		if r := reserve(t, l, to("c"), time.Minute); !r.OK || r.Reason == ratelimit.ReasonPair {
			t.Fatalf("another recipient while a waits: %+v", r)
		}
		c.Advance(6 * time.Second)
		if r := reserve(t, l, to("a"), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("to a after 6 s: %+v", r)
		}
		c.Advance(18 * time.Second)
		if r := reserve(t, l, to("a"), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("to a after 18 s: %+v", r)
		}
		// A message without a recipient has no pair limit.
		if r := reserve(t, l, to(""), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("no recipient: %+v", r)
		}
	})
}

// The pair interval counts from when the send actually goes, which the rate
// may have pushed later; a pair wait reserves nothing, so the rate slot it
// would have taken goes to the next recipient.
func TestPairCountsFromTheSendTime(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 1, Burst: 1, PairEvery: 2500 * time.Millisecond}}, c.Now)
		var got []ratelimit.Reservation
		for _, who := range []string{"a", "b", "c", "b"} {
			got = append(got, reserve(t, l, ratelimit.Request{Account: acct, Recipient: who}, time.Minute))
		}
		want := []ratelimit.Reservation{
			{OK: true},
			{OK: true, Wait: time.Second, Reason: ratelimit.ReasonRate},
			{OK: true, Wait: 2 * time.Second, Reason: ratelimit.ReasonRate},
			// b went at 1 s, so not before 3.5 s (the rate alone says 3 s):
			// refused, nothing reserved.
			{Wait: 3500 * time.Millisecond, Reason: ratelimit.ReasonPair},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// The 3 s rate slot is still free for d.
		if r := reserve(t, l, ratelimit.Request{Account: acct, Recipient: "d"}, time.Minute); !r.OK || r.Wait != 3*time.Second {
			t.Errorf("after the pair-refused send: %+v, want the 3 s slot", r)
		}
	})
}

func TestDailyBudget(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: -1, PairEvery: -1, DailyBudget: 3}}, c.Now)
		tmpl := func(who string) ratelimit.Request {
			return ratelimit.Request{Account: acct, Recipient: who, Template: true}
		}
		for _, who := range []string{"r1", "r2", "r3"} {
			if r := reserve(t, l, tmpl(who), 0); !r.OK || r.Wait != 0 {
				t.Fatalf("%s within the budget: %+v", who, r)
			}
		}
		c.Advance(hour)
		// The 4th unique recipient waits until the window rolls past the first.
		if diff := cmp.Diff(ratelimit.Reservation{Wait: 23 * hour, Reason: ratelimit.ReasonBudget},
			reserve(t, l, tmpl("r4"), time.Minute)); diff != "" {
			t.Fatalf("4th unique recipient (-want +got):\n%s", diff)
		}
		// A recipient already counted costs nothing, and neither does a
		// session (non-template) message.
		if r := reserve(t, l, tmpl("r2"), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("repeat recipient: %+v", r)
		}
		if r := reserve(t, l, ratelimit.Request{Account: acct, Recipient: "r4"}, 0); !r.OK || r.Wait != 0 {
			t.Fatalf("session message to a new recipient: %+v", r)
		}
		// The refusal above counted nothing.
		if r := reserve(t, l, tmpl("r4"), time.Minute); r.OK || r.Wait != 23*hour {
			t.Fatalf("4th again: %+v", r)
		}
		// When the window has rolled past r1..r3, new recipients go.
		c.Advance(23 * hour)
		for _, who := range []string{"r4", "r5", "r1"} {
			if r := reserve(t, l, tmpl(who), 0); !r.OK || r.Wait != 0 {
				t.Fatalf("%s in the next window: %+v", who, r)
			}
		}
		if r := reserve(t, l, tmpl("r6"), 48*hour); r.OK || r.Wait != day || r.Reason != ratelimit.ReasonBudget {
			t.Fatalf("r6 after the budget is spent again: %+v, want refused, wait 24h (budget)", r)
		}
	})
}

// At the window's edge: a budget wait is refused, never reserved; once
// the window has rolled, the place goes to whoever asks first.
func TestDailyBudgetAcrossTheWindowEdge(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: -1, PairEvery: -1, DailyBudget: 1}}, c.Now)
		tmpl := func(who string) ratelimit.Request {
			return ratelimit.Request{Account: acct, Recipient: who, Template: true}
		}
		reserve(t, l, tmpl("a"), 0)
		c.Advance(day - time.Second)
		if r := reserve(t, l, tmpl("b"), 5*time.Second); r.OK || r.Wait != time.Second || r.Reason != ratelimit.ReasonBudget {
			t.Fatalf("b a second before the edge: %+v, want refused, wait 1s (budget)", r)
		}
		c.Advance(time.Second)
		if r := reserve(t, l, tmpl("b"), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("b at the edge: %+v", r)
		}
		// b holds the only place for 24 h from now.
		if r := reserve(t, l, tmpl("c"), 0); r.OK || r.Wait != day {
			t.Fatalf("c after the edge: %+v, want refused, wait 24h", r)
		}
		if r := reserve(t, l, tmpl("b"), 0); !r.OK || r.Wait != 0 {
			t.Fatalf("b again: %+v", r)
		}
	})
}

// A 429 opens a measurement: the rate holds while the limiter counts what
// the provider accepts, then becomes that less the margin. A burst of 429s
// is one measurement, and 429s within HoldOff of its decision change
// nothing.
func TestThrottledMeasuresOnce(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		ctx := context.Background()
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{
			acct:    {Rate: 10, Burst: 1, Measure: 3 * time.Second}, // margin 3 %, back-off 0.5, hold-off 2 s
			"fixed": {Rate: 10, Burst: 1, Recovery: -1},
		}, c.Now)
		learned := func(account string) ratelimit.Learned {
			t.Helper()
			lr, err := l.(interface {
				Learned(context.Context, string) (ratelimit.Learned, error)
			}).Learned(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			return lr
		}
		throttled := func(n int) {
			t.Helper()
			for range n {
				if err := l.Throttled(ctx, acct); err != nil {
					t.Fatal(err)
				}
			}
		}
		if lr := learned(acct); lr != (ratelimit.Learned{Rate: 10}) {
			t.Fatalf("before any 429: %+v", lr)
		}
		// Sends k = 0, 1, ... every 100 ms (the full rate), each reserved
		// and sent at once. A burst of three 429s at k = 10 opens the
		// measurement (the first answers a send before it; the others came
		// at the same instant: bunched, they do not count), then every
		// third send is answered 429: k = 12, ..., 39.
		for k := 0; k <= 40; k++ {
			if k > 0 {
				c.Advance(100 * time.Millisecond)
			}
			if res := reserve(t, l, ratelimit.Request{Account: acct}, 0); !res.OK || res.Wait != 0 {
				t.Fatalf("send %d: %+v", k, res)
			}
			switch {
			case k == 10:
				throttled(3)
				if lr := learned(acct); lr != (ratelimit.Learned{Rate: 10, Measuring: true}) {
					t.Fatalf("after a burst of 429s: %+v, want measuring at the full rate", lr)
				}
			case k > 10 && k < 40 && k%3 == 0:
				throttled(1)
			}
		}
		// Decided at k = 40, 3 s in: sends 11..39 (29) went out, 10 came
		// back 429: 19 in 3 s, 6.33/s.
		lr := learned(acct)
		if !nearF(lr.Limit, 19.0/3) || !nearF(lr.Rate, 0.97*19/3) || lr.Measuring || !lr.Probing {
			t.Fatalf("after the measurement: %+v, want limit %.4g, rate %.4g, probing", lr, 19.0/3, 0.97*19/3)
		}
		if f := factor(t, l, acct); !nearF(f, 0.97*19/30) {
			t.Errorf("factor = %v, want %v", f, 0.97*19/30)
		}
		// A straggler within the hold-off changes nothing.
		c.Advance(time.Second)
		before := learned(acct)
		throttled(5)
		if lr := learned(acct); lr != before {
			t.Errorf("429s within the hold-off: %+v, want %+v", lr, before)
		}
		// Probing: within the margin of the limit it climbs 1/10 of Rate
		// per Recovery (60 s): 1/600 of 10/s per second.
		c.Advance(9 * time.Second)
		if lr := learned(acct); !nearF(lr.Rate, 0.97*19/3+10.0/600*10) {
			t.Errorf("10 s after the decision: rate %v, want %v", lr.Rate, 0.97*19/3+10.0/600*10)
		}
		// Past the hold-off, a 429 opens a new measurement at the rate then.
		throttled(1)
		r0 := 0.97*19/3 + 10.0/600*10
		if lr := learned(acct); !lr.Measuring || lr.Probing || !nearF(lr.Rate, r0) {
			t.Errorf("a later 429: %+v, want a new measurement at %v", lr, r0)
		}
		// No other 429 comes: it was jitter, and the rate resumes probing
		// from where it froze.
		for range 15 {
			c.Advance(200 * time.Millisecond)
			if res := reserve(t, l, ratelimit.Request{Account: acct}, time.Second); !res.OK {
				t.Fatalf("reserve: %+v", res)
			}
		}
		if lr := learned(acct); lr.Measuring || !lr.Probing || !nearF(lr.Rate, r0) || !nearF(lr.Limit, 19.0/3) {
			t.Errorf("after a lone 429: %+v, want probing on from %v, limit still %v", lr, r0, 19.0/3)
		}
		// Once the probe has passed the limit measured, even a lone 429 is
		// the limit found again: the rate goes back below it.
		c.Advance(3 * time.Second)
		above := learned(acct).Rate
		if above <= 19.0/3 {
			t.Fatalf("3 s later the rate is %v, want above the limit %v", above, 19.0/3)
		}
		throttled(1)
		for range 20 { // asking faster than the rate: sends go out at it
			c.Advance(150 * time.Millisecond)
			if res := reserve(t, l, ratelimit.Request{Account: acct}, time.Second); !res.OK {
				t.Fatalf("reserve: %+v", res)
			}
		}
		if lr := learned(acct); lr.Measuring || lr.Rate >= 19.0/3 || lr.Limit < 19.0/3-0.1 || lr.Limit > above {
			t.Errorf("after a lone 429 at %v: %+v, want a limit near %v (at most the rate then) and the rate below it", above, lr, 19.0/3)
		}
		// An account with learning switched off ignores 429s.
		if err := l.Throttled(ctx, "fixed"); err != nil {
			t.Fatal(err)
		}
		c.Advance(5 * time.Second)
		if f := factor(t, l, "fixed"); f != 1 {
			t.Errorf("factor with Recovery<0 = %v, want 1", f)
		}
	})
}

// One measurement lowers the rate at most by Backoff, and never below
// MinFactor; probing climbs back to the configured rate and no further.
func TestLearnedRateBounds(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		ctx := context.Background()
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 10, Burst: 1, HoldOff: -1, MinFactor: 0.2, Measure: 3 * time.Second}}, c.Now)
		// Nothing accepted at all, again and again: 0.5, 0.25, then the floor.
		var fs []float64
		for range 4 {
			if err := l.Throttled(ctx, acct); err != nil {
				t.Fatal(err)
			}
			c.Advance(3 * time.Second)
			if err := l.Throttled(ctx, acct); err != nil {
				t.Fatal(err)
			}
			fs = append(fs, factor(t, l, acct))
		}
		want := []float64{0.5 * 0.97, 0.5 * 0.5 * 0.97 * 0.97, 0.2, 0.2}
		for i := range want {
			if !nearF(fs[i], want[i]) {
				t.Errorf("factors after measurements with nothing accepted = %v, want %v", fs, want)
				break
			}
		}
		// From the floor it climbs back to 1 and stays there.
		for range 20 {
			c.Advance(10 * time.Second)
			if f := factor(t, l, acct); f > 1 {
				t.Fatalf("factor %v above 1", f)
			}
		}
		if f := factor(t, l, acct); f != 1 {
			t.Errorf("factor 200 s later = %v, want 1", f)
		}
	})
}

// Many goroutines at once get distinct slots, exactly 1/L apart.
func TestConcurrentReservationsAreExact(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 50, Burst: 4}}, c.Now)
		const goroutines, each = 16, 25
		var mu sync.Mutex
		var got []time.Duration
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					r, err := l.Reserve(context.Background(), ratelimit.Request{Account: acct}, time.Hour)
					if err != nil || !r.OK {
						t.Errorf("reserve: %+v %v", r, err)
						return
					}
					mu.Lock()
					got = append(got, r.Wait)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(got)
		want := make([]time.Duration, goroutines*each)
		for i := range want {
			want[i] = time.Duration(max(0, i-3)) * 20 * time.Millisecond
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sorted waits (-want +got):\n%s", diff)
		}
	})
}

func TestAccountsAndDefaults(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{"slow": {Rate: 1}, "open": ratelimit.Unlimited}, c.Now)
		for i := range 100 {
			if r := reserve(t, l, ratelimit.Request{Account: "open", Recipient: "a", Template: true}, 0); !r.OK || r.Wait != 0 {
				t.Fatalf("unlimited account, reservation %d: %+v", i, r)
			}
		}
		reserve(t, l, ratelimit.Request{Account: "slow"}, time.Minute)
		if r := reserve(t, l, ratelimit.Request{Account: "slow"}, time.Minute); r.Wait != time.Second {
			t.Fatalf("slow account: %+v, want 1s", r)
		}
		// An account not configured gets the defaults: 80/s, burst 8.
		var got []time.Duration
		for range 10 {
			got = append(got, reserve(t, l, ratelimit.Request{Account: "unknown"}, time.Minute).Wait)
		}
		us := time.Microsecond
		if diff := cmp.Diff([]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 12500 * us, 25000 * us}, got); diff != "" {
			t.Errorf("unconfigured account (-want +got):\n%s", diff)
		}
	})
}

func TestLimitsWithDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   ratelimit.Limits
		want ratelimit.Limits
	}{
		{"zero", ratelimit.Limits{}, ratelimit.Limits{Rate: 80, Burst: 8, PairEvery: 6 * time.Second,
			Backoff: 0.5, MinFactor: 0.05, Recovery: time.Minute, HoldOff: 2 * time.Second, Measure: 5 * time.Second, Margin: 0.03}},
		{"slow", ratelimit.Limits{Rate: 5, DailyBudget: 250}, ratelimit.Limits{Rate: 5, Burst: 1, PairEvery: 6 * time.Second,
			DailyBudget: 250, Backoff: 0.5, MinFactor: 0.05, Recovery: time.Minute, HoldOff: 2 * time.Second, Measure: 5 * time.Second, Margin: 0.03}},
		{"unlimited", ratelimit.Unlimited, ratelimit.Limits{Rate: -1, Burst: 1, PairEvery: -1,
			Backoff: 0.5, MinFactor: 0.05, Recovery: time.Minute, HoldOff: 2 * time.Second, Measure: 5 * time.Second, Margin: 0.03}},
		{"out of range", ratelimit.Limits{Rate: 1000, Burst: -3, DailyBudget: -1, Backoff: 2, MinFactor: -1, Recovery: -1, Measure: -1, Margin: 0.5},
			ratelimit.Limits{Rate: 1000, Burst: 100, PairEvery: 6 * time.Second, Backoff: 0.5, MinFactor: 0.05, Recovery: -1, HoldOff: 2 * time.Second, Measure: 5 * time.Second, Margin: 0.03}},
	} {
		if diff := cmp.Diff(tc.want, tc.in.WithDefaults()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func nearF(got, want float64) bool { return got > want-1e-9 && got < want+1e-9 }
