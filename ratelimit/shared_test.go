package ratelimit_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/ratelimit"
)

// On Redis TIME (production's clock) the slots of a steady stream from many
// goroutines are exactly 1/L apart. The test cannot read Redis's clock at
// each call, but it can bound it: call i ran between local times s_i and
// e_i, so its slot (Redis now + wait) minus the clocks' offset lies in
// [s_i+wait_i, e_i+wait_i]. Sorted, slot j is c + j*T for one unknown c,
// which must therefore lie in every [s_j+wait_j-j*T, e_j+wait_j-j*T].
func TestSharedOnRedisTimeSpacesSlotsExactly(t *testing.T) {
	t.Parallel()
	r := newRedis(t)
	// T far above any call's duration, so sorting by the bound cannot
	// swap two calls.
	const rate, n, goroutines = 2, 64, 8
	T := time.Second / rate
	s := ratelimit.NewShared(r.Client, r.Prefix, map[string]ratelimit.Limits{acct: {Rate: rate, Burst: 1}})
	type call struct{ lo, hi time.Duration }
	var (
		mu    sync.Mutex
		calls []call
		wg    sync.WaitGroup
	)
	base := time.Now()
	for range goroutines {
		wg.Go(func() {
			for range n / goroutines {
				start := time.Since(base)
				res, err := s.Reserve(context.Background(), ratelimit.Request{Account: acct}, time.Hour)
				end := time.Since(base)
				if err != nil || !res.OK {
					t.Errorf("reserve: %+v %v", res, err)
					return
				}
				mu.Lock()
				calls = append(calls, call{start + res.Wait, end + res.Wait})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(calls) != n {
		t.Fatalf("%d calls", len(calls))
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].lo < calls[j].lo })
	lo, hi := time.Duration(-1<<62), time.Duration(1<<62)
	for j, c := range calls {
		lo = max(lo, c.lo-time.Duration(j)*T)
		hi = min(hi, c.hi-time.Duration(j)*T)
	}
	// 2 µs: Redis TIME has microsecond resolution.
	if lo > hi+2*time.Microsecond {
		t.Errorf("the slots are not one arithmetic sequence %v apart: no start fits (lo %v > hi %v)", T, lo, hi)
	}
}

// The same in a tight loop, as the worker sees it. Once the burst is spent
// (the first positive wait, slot j), slot i (Redis now + wait) is exactly
// (i-j)*T after slot j; the test knows each call's Redis now only to within
// the call's duration.
func TestSharedOnRedisTimeSequentialWaits(t *testing.T) {
	t.Parallel()
	r := newRedis(t)
	const burst = 8
	T := 500 * time.Millisecond
	s := ratelimit.NewShared(r.Client, r.Prefix, map[string]ratelimit.Limits{acct: {Rate: 2, Burst: burst}})
	base := time.Now()
	var slotJ, rttJ time.Duration
	j := -1
	const tick = 2 * time.Microsecond // Redis TIME resolution, and rounding
	for i := range 100 {
		start := time.Since(base)
		res := reserve(t, s, ratelimit.Request{Account: acct}, time.Hour)
		rtt := time.Since(base) - start
		switch {
		case !res.OK:
			t.Fatalf("reservation %d refused: %+v", i, res)
		case i < burst && res.Wait != 0:
			t.Fatalf("burst reservation %d waited %v", i, res.Wait)
		case j < 0 && res.Wait > 0:
			j, slotJ, rttJ = i, start+res.Wait, rtt
		case j >= 0:
			want := time.Duration(i-j) * T
			got := start + res.Wait - slotJ
			if got > want+rttJ+tick || got < want-rtt-tick {
				t.Fatalf("reservation %d: slot %v after slot %d, want %v (calls took %v and %v)", i, got, j, want, rttJ, rtt)
			}
		}
	}
	if j < 0 || j > burst+1 {
		t.Errorf("the first wait came at reservation %d, want %d (or one later, on a slow machine)", j, burst)
	}
}

func TestSharedInstancesShareTheLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRedis(t)
	c := newClock()
	limits := map[string]ratelimit.Limits{acct: {Rate: 10, Burst: 1, Measure: 3 * time.Second}}
	// Two pods: two clients, one Redis.
	other := redis.NewClient(r.Opt)
	t.Cleanup(func() { _ = other.Close() })
	a, b := ratelimit.NewShared(r.Client, r.Prefix, limits), ratelimit.NewShared(other, r.Prefix, limits)
	ratelimit.SetClock(a, c.Now)
	ratelimit.SetClock(b, c.Now)
	var got []time.Duration
	for i := range 6 {
		pod := a
		if i%2 == 1 {
			pod = b
		}
		got = append(got, reserve(t, pod, ratelimit.Request{Account: acct}, time.Minute).Wait)
	}
	ms := time.Millisecond
	if diff := cmp.Diff([]time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms}, got); diff != "" {
		t.Errorf("alternating pods (-want +got):\n%s", diff)
	}
	// A 429 seen by one pod opens the measurement for every pod, a 429 on
	// another decides it, and every pod reserves at the learned rate: 1 of
	// the 6 sends had gone out at the first 429, and 1 of the 5 since came
	// back 429, so the provider took 4 in 3 s; one measurement lowers the
	// rate at most by half (less the margin).
	if err := a.Throttled(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if lr, err := b.Learned(ctx, acct); err != nil || !lr.Measuring {
		t.Errorf("the other pod's learned rate = %+v, %v; want measuring", lr, err)
	}
	c.Advance(3 * time.Second)
	if err := b.Throttled(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if f := factor(t, a, acct); !nearF(f, 0.5*0.97) {
		t.Errorf("the first pod's factor = %v, want %v", f, 0.5*0.97)
	}
	// And the pair limit and budget are fleet-wide too.
	pl := map[string]ratelimit.Limits{acct: {Rate: -1, DailyBudget: 1}}
	a, b = ratelimit.NewShared(r.Client, r.Prefix+"p:", pl), ratelimit.NewShared(other, r.Prefix+"p:", pl)
	ratelimit.SetClock(a, c.Now)
	ratelimit.SetClock(b, c.Now)
	reserve(t, a, ratelimit.Request{Account: acct, Recipient: "x", Template: true}, 0)
	if res := reserve(t, b, ratelimit.Request{Account: acct, Recipient: "x"}, 0); res.OK || res.Reason != ratelimit.ReasonPair {
		t.Errorf("pair on the other pod: %+v", res)
	}
	if res := reserve(t, b, ratelimit.Request{Account: acct, Recipient: "y", Template: true}, 0); res.OK || res.Reason != ratelimit.ReasonBudget {
		t.Errorf("budget on the other pod: %+v", res)
	}
}

// Throttled on Redis TIME: the measurement opens at once, at the full rate.
func TestSharedThrottledOnRedisTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRedis(t)
	s := ratelimit.NewShared(r.Client, r.Prefix, map[string]ratelimit.Limits{acct: {Rate: 10, Recovery: time.Hour}})
	if err := s.Throttled(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if lr, err := s.Learned(ctx, acct); err != nil || lr != (ratelimit.Learned{Rate: 10, Measuring: true}) {
		t.Errorf("learned just after a 429 = %+v, %v; want measuring at 10/s", lr, err)
	}
}

func TestSharedKeysLiveUnderThePrefixAndExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRedis(t)
	// Expiries are instants on the limiter's clock, counted down on the
	// server's: the clock starts at the server's time (in whole
	// milliseconds, as expiries are kept), and miniredis's stands still
	// there until fast-forwarded.
	now, err := r.Client.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	now = now.Truncate(time.Millisecond)
	if r.Mini != nil {
		r.Mini.SetTime(now)
	}
	c := sharedtest.NewClock(now)
	s := ratelimit.NewShared(r.Client, r.Prefix, map[string]ratelimit.Limits{acct: {Rate: 1, DailyBudget: 250}})
	ratelimit.SetClock(s, c.Now)
	k := func(what string) string { return r.Prefix + "rl:{" + acct + "}:" + what }
	checkTTLs := func(want map[string]time.Duration) {
		t.Helper()
		keys, err := r.Client.Keys(ctx, r.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), keys); diff != "" {
			t.Fatalf("keys (-want +got):\n%s", diff)
		}
		for key, ttl := range want {
			got, err := r.Client.PTTL(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			// A real server counts down meanwhile.
			if got > ttl || got < ttl-time.Second {
				t.Errorf("TTL of %s = %v, want %v", key, got, ttl)
			}
		}
	}
	reserve(t, s, ratelimit.Request{Account: acct, Recipient: "+255700000001", Template: true}, 0)
	checkTTLs(map[string]time.Duration{
		k("rate"):               time.Second, // one interval at 1/s
		k("pair:+255700000001"): 6 * time.Second,
		k("budget"):             day,
	})
	// What was learned lives until the rate is full again: an open
	// measurement as if it ended (5 s) at the floor (0.05), which climbs
	// slowly to 0.05*1.03 (0.9 s) and then by 1 per minute (56.91 s).
	if err := s.Throttled(ctx, acct); err != nil {
		t.Fatal(err)
	}
	reserve(t, s, ratelimit.Request{Account: acct}, time.Minute)
	checkTTLs(map[string]time.Duration{
		k("rate"):               62810 * time.Millisecond,
		k("pair:+255700000001"): 6 * time.Second,
		k("budget"):             day,
	})
	if r.Mini == nil {
		return // a real server expires them on its own clock
	}
	r.Mini.FastForward(6 * time.Second)
	for key, gone := range map[string]bool{k("pair:+255700000001"): true, k("rate"): false, k("budget"): false} {
		if r.Mini.Exists(key) == gone {
			t.Errorf("after 6 s, %s exists = %v", key, !gone)
		}
	}
	r.Mini.FastForward(time.Minute)
	if r.Mini.Exists(k("rate")) {
		t.Errorf("the rate hash outlived what it learned")
	}
	r.Mini.FastForward(day)
	if keys := r.Mini.Keys(); len(keys) != 0 {
		t.Errorf("after a day, keys left: %v", keys)
	}
}

// A refusal writes nothing at all: every key is byte for byte the same,
// even the budget members that have aged out (pruned only on a write).
func TestSharedRefusalWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRedis(t)
	c := newClock()
	s := ratelimit.NewShared(r.Client, r.Prefix, map[string]ratelimit.Limits{acct: {Rate: 5, Burst: 2, DailyBudget: 2}})
	ratelimit.SetClock(s, c.Now)
	refuseAll := func(reqs ...ratelimit.Request) {
		t.Helper()
		before := dump(t, r.Client, r.Prefix)
		for _, req := range reqs {
			if res := reserve(t, s, req, 10*time.Millisecond); res.OK {
				t.Fatalf("%+v was reserved: %+v", req, res)
			}
		}
		if diff := cmp.Diff(before, dump(t, r.Client, r.Prefix)); diff != "" {
			t.Errorf("refusals changed Redis (-before +after):\n%s", diff)
		}
	}
	for _, who := range []string{"a", "b"} {
		reserve(t, s, ratelimit.Request{Account: acct, Recipient: who, Template: true}, 0)
	}
	if err := s.Throttled(ctx, acct); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	refuseAll(
		ratelimit.Request{Account: acct, Recipient: "e", Template: true}, // budget
		ratelimit.Request{Account: acct, Recipient: "a"},                 // pair
	)
	// A day later a and b have aged out but are still stored; the burst
	// goes to session messages, which the budget does not count.
	c.Advance(day)
	reserve(t, s, ratelimit.Request{Account: acct}, 0)
	reserve(t, s, ratelimit.Request{Account: acct}, 0)
	refuseAll(
		ratelimit.Request{Account: acct, Recipient: "x", Template: true}, // rate; the budget would let x in
		ratelimit.Request{Account: acct},                                 // rate
	)
}

// One Reserve is one Redis command (EVALSHA), whichever rules apply.
func TestSharedReserveIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	r := newRedis(t)
	client := redis.NewClient(r.Opt)
	t.Cleanup(func() { _ = client.Close() })
	var cmds atomic.Int64
	var names sync.Map
	client.AddHook(countHook{&cmds, &names})
	s := ratelimit.NewShared(client, r.Prefix, map[string]ratelimit.Limits{acct: {DailyBudget: 10000}})
	reserve(t, s, ratelimit.Request{Account: acct}, time.Minute) // loads the script (EVALSHA, then EVAL)
	cmds.Store(0)
	const n = 100
	for i := range n {
		reserve(t, s, ratelimit.Request{Account: acct, Recipient: fmt.Sprint(i), Template: true}, time.Hour)
	}
	if got := cmds.Load(); got != n {
		var seen []string
		names.Range(func(k, _ any) bool { seen = append(seen, k.(string)); return true })
		t.Errorf("%d reservations took %d commands (%v), want %d", n, got, seen, n)
	}
	// Rules that do not apply cost no command at all.
	cmds.Store(0)
	u := ratelimit.NewShared(client, r.Prefix, map[string]ratelimit.Limits{acct: ratelimit.Unlimited})
	reserve(t, u, ratelimit.Request{Account: acct, Recipient: "x", Template: true}, 0)
	if got := cmds.Load(); got != 0 {
		t.Errorf("an unlimited account cost %d commands", got)
	}
}

type countHook struct {
	n     *atomic.Int64
	names *sync.Map
}

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		h.names.Store(cmd.Name(), true)
		return next(ctx, cmd)
	}
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// dump is every key under prefix with its full value.
func dump(t *testing.T, c redis.UniversalClient, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		var v any
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "hash":
			v = c.HGetAll(ctx, k).Val()
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		default:
			v = typ
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}
