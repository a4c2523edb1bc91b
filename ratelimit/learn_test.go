package ratelimit_test

import (
	"container/heap"
	"context"
	"math"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/ratelimit"
)

// provider is a fake provider's rate limit: a token bucket of limit/s
// holding burst tokens, answering 429 (false) when empty. Its limit may
// change at a time.
type provider struct {
	limit, burst float64
	changeAt     time.Time // zero: never
	then         float64   // the limit from changeAt on
	tokens       float64
	last         time.Time
}

func (p *provider) limitAt(now time.Time) float64 {
	if !p.changeAt.IsZero() && !now.Before(p.changeAt) {
		return p.then
	}
	return p.limit
}

func (p *provider) take(now time.Time) bool {
	if p.last.IsZero() {
		p.tokens = p.burst
	} else {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.limitAt(now))
	}
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// run is what a driven fleet did, per second since its start.
type run struct {
	accepted, throttled []int
	factors             []float64 // the limiter's factor at the end of each second
	learned             ratelimit.Learned
}

// rate is the accepted sends per second over seconds [from, to).
func (r run) rate(from, to int) float64 {
	n := 0
	for _, a := range r.accepted[from:to] {
		n += a
	}
	return float64(n) / float64(to-from)
}

// throttledShare is the 429s over every answer in seconds [from, to).
func (r run) throttledShare(from, to int) float64 {
	a, q := 0, 0
	for s := from; s < to; s++ {
		a, q = a+r.accepted[s], q+r.throttled[s]
	}
	return float64(q) / float64(a+q)
}

// event is a worker slot's next step: reserve, or send a reserved message.
type event struct {
	at   time.Time
	slot int
	send bool
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].slot < e[j].slot
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// drive runs slots workers with an endless backlog against p through l
// for d of the clock c, the way package worker does: reserve (bounded by
// a 2 s wait, else come back when the wait would fit), wait, send, and
// report a 429 with Throttled. Answers take 20 ms. Every step is a call
// at an instant of c; nothing sleeps.
func drive(t *testing.T, l limiter, c *sharedtest.Clock, p *provider, slots int, d time.Duration) run {
	t.Helper()
	ctx := context.Background()
	const maxWait, latency = 2 * time.Second, 20 * time.Millisecond
	start := c.Now()
	secs := int(d / time.Second)
	r := run{accepted: make([]int, secs), throttled: make([]int, secs), factors: make([]float64, secs)}
	q := &events{}
	for i := range slots {
		heap.Push(q, event{at: start, slot: i})
	}
	sec := 0
	for q.Len() > 0 {
		e := heap.Pop(q).(event)
		for sec < secs && !e.at.Before(start.Add(time.Duration(sec+1)*time.Second)) {
			c.Set(start.Add(time.Duration(sec+1) * time.Second))
			r.factors[sec] = factor(t, l, acct)
			sec++
		}
		if sec == secs {
			break
		}
		c.Set(e.at)
		if !e.send {
			res := reserve(t, l, ratelimit.Request{Account: acct}, maxWait)
			if res.OK {
				heap.Push(q, event{at: e.at.Add(res.Wait), slot: e.slot, send: true})
			} else {
				heap.Push(q, event{at: e.at.Add(max(res.Wait-maxWait, time.Millisecond)), slot: e.slot})
			}
			continue
		}
		if p.take(e.at) {
			r.accepted[sec]++
		} else {
			r.throttled[sec]++
			c.Set(e.at.Add(latency))
			if err := l.Throttled(ctx, acct); err != nil {
				t.Fatal(err)
			}
		}
		heap.Push(q, event{at: e.at.Add(latency), slot: e.slot})
	}
	var err error
	if r.learned, err = l.(interface {
		Learned(context.Context, string) (ratelimit.Learned, error)
	}).Learned(ctx, acct); err != nil {
		t.Fatal(err)
	}
	return r
}

// The fleet's rate converges to a provider's real limit below the
// configured one within 30 s, with few 429s after that, and stays there.
func TestLearnsTheProvidersLimit(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 20, Burst: 1, HoldOff: 4 * time.Second}}, c.Now)
		r := drive(t, l, c, &provider{limit: 10, burst: 2}, 30, 90*time.Second)
		for w := 30; w < 90; w += 5 {
			if got := r.rate(w, w+5); got < 9.5 {
				t.Errorf("seconds %d-%d: %.1f/s accepted, want ≥ 9.5 (95 %% of the limit)", w, w+5, got)
			}
		}
		if got := r.throttledShare(30, 90); got > 0.02 {
			t.Errorf("429s after 30 s: %.1f %% of the answers, want ≤ 2 %%", 100*got)
		}
		for s, f := range r.factors {
			if f > 1 || f <= 0 {
				t.Fatalf("factor at %d s = %v, want in (0, 1]", s, f)
			}
		}
		if lr := r.learned; math.Abs(lr.Limit-10) > 0.5 || lr.Rate > 10.6 || lr.Rate < 9.5 {
			t.Errorf("learned %+v, want a limit of 10/s ± 5 %% and a rate near it", lr)
		}
	})
}

// When the provider's limit rises the learned rate climbs back, up to the
// configured rate and never above it.
func TestLearnedRateClimbsBack(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 20, Burst: 1, HoldOff: 4 * time.Second}}, c.Now)
		p := &provider{limit: 10, burst: 2, changeAt: c.Now().Add(40 * time.Second), then: 18}
		r := drive(t, l, c, p, 30, 120*time.Second)
		if got := r.rate(30, 40); got < 9.5 {
			t.Errorf("before the limit rose: %.1f/s, want ≥ 9.5", got)
		}
		if got := r.rate(100, 120); got < 0.95*18 {
			t.Errorf("60 s after the limit rose to 18/s: %.1f/s, want ≥ %.1f", got, 0.95*18)
		}
		// Then the provider allows more than the configured rate: the
		// rate goes back to the configured one, and no further.
		c2 := newClock()
		l2 := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 20, Burst: 1, HoldOff: 4 * time.Second}}, c2.Now)
		p2 := &provider{limit: 10, burst: 2, changeAt: c2.Now().Add(20 * time.Second), then: 40}
		r2 := drive(t, l2, c2, p2, 30, 120*time.Second)
		for s, a := range r2.accepted {
			if a > 21 {
				t.Errorf("second %d: %d accepted, above the configured 20/s + burst", s, a)
			}
		}
		if f := r2.factors[len(r2.factors)-1]; f != 1 {
			t.Errorf("factor long after the limit rose above the configured rate = %v, want 1", f)
		}
		if got := r2.rate(100, 120); got < 19.5 {
			t.Errorf("back at the configured rate: %.1f/s, want 20", got)
		}
	})
}

// A provider that allows the configured rate never sees a 429, and the
// limiter learns nothing.
func TestRightRateLearnsNothing(t *testing.T) {
	eachImpl(t, func(t *testing.T, newLimiter func(map[string]ratelimit.Limits, func() time.Time) limiter) {
		c := newClock()
		l := newLimiter(map[string]ratelimit.Limits{acct: {Rate: 50, Burst: 2}}, c.Now)
		r := drive(t, l, c, &provider{limit: 50, burst: 4}, 30, 20*time.Second)
		if got := r.throttledShare(0, 20); got != 0 {
			t.Errorf("429s: %.1f %%, want none", 100*got)
		}
		if got := r.rate(1, 20); got < 0.99*50 {
			t.Errorf("rate %.1f/s, want ≥ 99 %% of 50", got)
		}
		if lr := r.learned; lr != (ratelimit.Learned{Rate: 50}) {
			t.Errorf("learned %+v, want nothing", lr)
		}
	})
}

// Shared and Local learn alike: the same fleet against the same provider
// sees the same factors, second by second, and the same sends go out.
func TestSharedAndLocalLearnAlike(t *testing.T) {
	t.Parallel()
	limits := map[string]ratelimit.Limits{acct: {Rate: 20, Burst: 1}}
	var runs []run
	for _, impl := range impls {
		c := newClock()
		l := impl.new(t, limits, c.Now)
		p := &provider{limit: 10, burst: 2, changeAt: c.Now().Add(30 * time.Second), then: 16}
		runs = append(runs, drive(t, l, c, p, 30, 60*time.Second))
	}
	local, shared := runs[0], runs[1]
	for s := range local.factors {
		if math.Abs(local.factors[s]-shared.factors[s]) > 1e-6 {
			t.Errorf("second %d: factor %v locally, %v shared", s, local.factors[s], shared.factors[s])
		}
	}
	if la, sa := local.rate(0, 60), shared.rate(0, 60); math.Abs(la-sa) > 0.1 {
		t.Errorf("accepted %.2f/s locally, %.2f/s shared", la, sa)
	}
}
