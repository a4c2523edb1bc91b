package simulator

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is the simulator's view of what it was asked and how it answered.
// The request counts cover the send endpoint only; the callback counts
// cover receipts and inbound messages posted to Config.CallbackURL.
type Stats struct {
	// Requests is every request that reached the send endpoint, including
	// those whose client went away before they were answered.
	Requests int64 `json:"requests"`
	// Accepted is every accepted send, duplicates included.
	Accepted int64 `json:"accepted"`
	// Recipients is how many distinct recipients were accepted at least once.
	Recipients int64 `json:"recipients"`
	// Duplicates is accepted sends beyond the first per recipient: anything
	// but 0 means some message went out twice.
	Duplicates int64 `json:"duplicates"`
	// ByCode counts answers by the code they carried ("200", "429", "470",
	// "401", "1009", ...).
	ByCode map[string]int64 `json:"by_code"`
	// Callbacks is callbacks the receiver answered with a 2xx.
	Callbacks int64 `json:"callbacks"`
	// CallbackErrors is callbacks that failed: no connection, a timeout, or
	// an answer other than 2xx. They are not retried.
	CallbackErrors int64 `json:"callback_errors"`
	// CallbacksDropped is callbacks never sent because the pending heap or
	// the queue was full (the receiver is too slow for the send rate).
	CallbacksDropped int64 `json:"callbacks_dropped"`
	// PeakPerSecond is the most sends accepted within any one second
	// (a sliding window at 100 ms resolution): what a rate limit is judged by.
	PeakPerSecond int64 `json:"peak_per_second"`
	// FirstAccept and LastAccept bound the accepted sends; zero when none.
	FirstAccept time.Time `json:"first_accept,omitzero"`
	LastAccept  time.Time `json:"last_accept,omitzero"`
	// Gaps are the longest pauses between two consecutive accepts (at most
	// MaxGaps, longest first): when and how long sending stalled (a Redis
	// failover, an outage, tasks waiting to be recovered).
	Gaps []Gap `json:"gaps,omitempty"`
}

// MaxGaps is how many of the longest gaps Stats keeps.
const MaxGaps = 5

// Gap is a pause between two consecutive accepts: From is the accept
// before it, To the one that ended it.
type Gap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Len is how long the gap lasted.
func (g Gap) Len() time.Duration { return g.To.Sub(g.From) }

// AcceptRate is the accepted sends per second between the first and the
// last accept; 0 with fewer than two.
func (s Stats) AcceptRate() float64 {
	span := s.LastAccept.Sub(s.FirstAccept).Seconds()
	if s.Accepted < 2 || span <= 0 {
		return 0
	}
	return float64(s.Accepted-1) / span
}

// timeline counts accepts in 100 ms buckets, for PeakPerSecond, and
// keeps the longest gaps between consecutive accepts. It counts the
// rate-limit answers in 100 ms buckets too, for Windows.
type timeline struct {
	mu          sync.Mutex
	buckets     map[int64]int64
	limited     map[int64]int64
	first, last time.Time
	gaps        []Gap // longest first, at most MaxGaps
}

func (t *timeline) add(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buckets == nil {
		t.buckets = map[int64]int64{}
	}
	t.buckets[now.UnixMilli()/100]++
	if t.first.IsZero() || now.Before(t.first) {
		t.first = now
	}
	if now.After(t.last) {
		if !t.last.IsZero() {
			t.addGap(Gap{From: t.last, To: now})
		}
		t.last = now
	}
}

func (t *timeline) rateLimited(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limited == nil {
		t.limited = map[int64]int64{}
	}
	t.limited[now.UnixMilli()/100]++
}

// Window is what the simulator answered during one span of time.
type Window struct {
	Start time.Time `json:"start"`
	// Accepted is the sends accepted; RateLimited the requests answered
	// with the rate-limit error because the account's limit was exceeded
	// (scripted and faulted answers are not counted).
	Accepted    int64 `json:"accepted"`
	RateLimited int64 `json:"rate_limited"`
}

// windows splits [from, to) into windows of step (rounded to 100 ms, at
// least 100 ms) and counts each one's accepts and rate-limit answers.
func (t *timeline) windows(from, to time.Time, step time.Duration) []Window {
	t.mu.Lock()
	defer t.mu.Unlock()
	per := max(int64(step/(100*time.Millisecond)), 1)
	step = time.Duration(per) * 100 * time.Millisecond
	var out []Window
	for at := from; at.Before(to); at = at.Add(step) {
		w := Window{Start: at}
		b := at.UnixMilli() / 100
		for i := range per {
			w.Accepted += t.buckets[b+i]
			w.RateLimited += t.limited[b+i]
		}
		out = append(out, w)
	}
	return out
}

// addGap keeps g if it is among the MaxGaps longest.
func (t *timeline) addGap(g Gap) {
	if len(t.gaps) == MaxGaps && g.Len() <= t.gaps[MaxGaps-1].Len() {
		return
	}
	i, _ := slices.BinarySearchFunc(t.gaps, g, func(a, b Gap) int { return cmp.Compare(b.Len(), a.Len()) })
	t.gaps = slices.Insert(t.gaps, i, g)
	if len(t.gaps) > MaxGaps {
		t.gaps = t.gaps[:MaxGaps]
	}
}

// peak is the largest sum over ten consecutive buckets; gaps a copy of
// the longest gaps.
func (t *timeline) peak() (peak int64, first, last time.Time, gaps []Gap) {
	t.mu.Lock()
	defer t.mu.Unlock()
	gaps = slices.Clone(t.gaps)
	for b := range t.buckets {
		var sum int64
		for i := int64(0); i < 10; i++ {
			sum += t.buckets[b+i]
		}
		peak = max(peak, sum)
	}
	return peak, t.first, t.last, gaps
}

func (t *timeline) reset() {
	t.mu.Lock()
	t.buckets, t.limited, t.first, t.last, t.gaps = nil, nil, time.Time{}, time.Time{}, nil
	t.mu.Unlock()
}

// counters holds Stats as atomics, so the hot path never takes a lock.
type counters struct {
	requests   atomic.Int64
	accepted   atomic.Int64
	recipients atomic.Int64
	duplicates atomic.Int64
	byCode     sync.Map // int → *atomic.Int64

	callbacks        atomic.Int64
	callbackErrors   atomic.Int64
	callbacksDropped atomic.Int64

	timeline timeline
}

func (c *counters) answered(code int) {
	v, ok := c.byCode.Load(code)
	if !ok {
		v, _ = c.byCode.LoadOrStore(code, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (c *counters) snapshot() Stats {
	st := Stats{
		Requests:   c.requests.Load(),
		Accepted:   c.accepted.Load(),
		Recipients: c.recipients.Load(),
		Duplicates: c.duplicates.Load(),
		ByCode:     make(map[string]int64),

		Callbacks:        c.callbacks.Load(),
		CallbackErrors:   c.callbackErrors.Load(),
		CallbacksDropped: c.callbacksDropped.Load(),
	}
	st.PeakPerSecond, st.FirstAccept, st.LastAccept, st.Gaps = c.timeline.peak()
	c.byCode.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Load(); n > 0 {
			st.ByCode[strconv.Itoa(k.(int))] = n
		}
		return true
	})
	return st
}

func (c *counters) reset() {
	c.timeline.reset()
	c.requests.Store(0)
	c.accepted.Store(0)
	c.recipients.Store(0)
	c.duplicates.Store(0)
	c.callbacks.Store(0)
	c.callbackErrors.Store(0)
	c.callbacksDropped.Store(0)
	// Zero rather than delete: a concurrent answered() may hold a counter.
	c.byCode.Range(func(_, v any) bool {
		v.(*atomic.Int64).Store(0)
		return true
	})
}

// shardCount spreads recipients over independently locked maps so that
// concurrent accepts for different recipients rarely contend.
const shardCount = 64

// recipientCounts counts accepts per recipient (wa_id digits).
type recipientCounts struct {
	seed   maphash.Seed
	shards [shardCount]recipientShard
}

type recipientShard struct {
	mu sync.Mutex
	m  map[string]int64
	_  [40]byte // keep shards on separate cache lines
}

func newRecipientCounts() *recipientCounts {
	c := &recipientCounts{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]int64)
	}
	return c
}

func (c *recipientCounts) shard(to string) *recipientShard {
	return &c.shards[maphash.String(c.seed, to)%shardCount]
}

// add counts one accept for to and returns its new total.
func (c *recipientCounts) add(to string) int64 {
	sh := c.shard(to)
	sh.mu.Lock()
	sh.m[to]++
	n := sh.m[to]
	sh.mu.Unlock()
	return n
}

func (c *recipientCounts) get(to string) int64 {
	sh := c.shard(to)
	sh.mu.Lock()
	n := sh.m[to]
	sh.mu.Unlock()
	return n
}

func (c *recipientCounts) reset() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]int64)
		sh.mu.Unlock()
	}
}

// scripts holds the scripted answers per recipient.
type scripts struct {
	pending atomic.Int64 // codes waiting across all recipients: 0 skips the lock
	mu      sync.Mutex
	m       map[string][]int
}

func (s *scripts) push(to string, codes []int) {
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string][]int)
	}
	s.m[to] = append(s.m[to], codes...)
	s.pending.Add(int64(len(codes)))
	s.mu.Unlock()
}

// pop takes the next scripted code for to, if any.
func (s *scripts) pop(to string) (int, bool) {
	if s.pending.Load() == 0 {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.m[to]
	if len(q) == 0 {
		return 0, false
	}
	code := q[0]
	if len(q) == 1 {
		delete(s.m, to)
	} else {
		s.m[to] = q[1:]
	}
	s.pending.Add(-1)
	return code, true
}

func (s *scripts) reset() {
	s.mu.Lock()
	s.m = nil
	s.pending.Store(0)
	s.mu.Unlock()
}
