package ratelimit

import (
	"context"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Local is the single-process limiter: the same rules and the same answers
// as Shared, with the state in memory and the time from its clock. It
// serves the embedded default, tests and single-pod deployments.
type Local struct {
	now    func() time.Time
	limits table

	mu       sync.Mutex
	accounts map[string]*account
}

// NewLocal returns a limiter for the accounts in limits (an account not in
// limits gets the defaults). now defaults to time.Now.
func NewLocal(limits map[string]Limits, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{now: now, limits: newTable(limits), accounts: map[string]*account{}}
}

// account is one account's state; times are Unix nanoseconds.
type account struct {
	mu sync.Mutex

	// Rate: GCRA, the theoretical arrival time kept as anchor + n*interval
	// (see reserve.lua). interval 0: no state yet.
	anchor   int64
	n        int64
	interval float64

	// grants counts reservations (for measurements), learn is the
	// learned rate.
	grants int64
	learn  learning

	pairs  pairs
	budget budget
}

func (l *Local) account(name string) *account {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.accounts[name]
	if !ok {
		a = &account{}
		l.accounts[name] = a
	}
	return a
}

// Reserve reserves one send for r if every rule lets it go within maxWait.
// Not OK means nothing was taken; Wait then says when a slot would be free.
func (l *Local) Reserve(_ context.Context, r Request, maxWait time.Duration) (Reservation, error) {
	lim := l.limits.of(r.Account)
	rate, pair, budget := lim.rules(r)
	if !rate && !pair && !budget {
		return Reservation{OK: true}, nil
	}
	a := l.account(r.Account)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := l.now().UnixNano()
	at, reason := now, ""

	var anchor, n, tat int64
	var T float64
	var learn learning
	if rate {
		// A measurement that has run its course is decided first; it is
		// kept only if this send is reserved.
		learn = a.learn.due(now, a.sent(now, lim), lim)
		T = 1e9 / (lim.Rate * learn.factor(now, lim))
		anchor, n = a.anchor, a.n
		switch {
		case a.interval == 0:
			anchor, n = now, 0
		case a.interval != T || n >= 1<<20: // keep n*T exact in a float64
			anchor, n = anchor+round(float64(n)*a.interval), 0
		}
		tat = anchor + round(float64(n)*T)
		if e := tat - round(float64(lim.Burst-1)*T); e > at {
			at, reason = e, ReasonRate
		}
	}
	if pair {
		if e, ok := a.pairs.next[r.Recipient]; ok && e > at {
			at, reason = e, ReasonPair
		}
	}
	counted := true
	window := int64(BudgetWindow)
	if budget {
		a.budget.prune(now - window)
		if _, ok := a.budget.first[r.Recipient]; !ok {
			counted = false
			if k := len(a.budget.order) - lim.DailyBudget; k >= 0 {
				if e := a.budget.order[k].at + window; e > at {
					at, reason = e, ReasonBudget
				}
			}
		}
	}

	wait := time.Duration(at - now)
	// A wait set by the pair or the budget is this recipient's, not the
	// account's: reserving it would move the account's rate clock and hold
	// up every other recipient. Nothing is reserved; the caller defers.
	if wait > maxWait || (wait > 0 && reason != ReasonRate) {
		return Reservation{Wait: wait, Reason: reason}, nil
	}
	if rate {
		if tat < at {
			anchor, n = at, 0
		}
		a.anchor, a.n, a.interval = anchor, n+1, T
		a.grants++
		a.learn = learn
	}
	if pair {
		a.pairs.set(r.Recipient, at+int64(lim.PairEvery), now)
	}
	if !counted {
		a.budget.add(r.Recipient, at)
	}
	if wait <= 0 {
		return Reservation{OK: true}, nil
	}
	return Reservation{OK: true, Wait: wait, Reason: reason}, nil
}

// Throttled reports a 429: the first one (past HoldOff after the last
// decision) opens a measurement, and once it has lasted Measure the rate
// becomes what the provider accepted meanwhile (see the package doc).
func (l *Local) Throttled(_ context.Context, account string) error {
	lim := l.limits.of(account)
	if lim.Recovery <= 0 {
		return nil
	}
	a := l.account(account)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := l.now().UnixNano()
	a.learn = a.learn.throttled(now, a.sent(now, lim), lim)
	return nil
}

// Factor is the account's current effective-rate factor: the rate it
// reserves at over Limits.Rate (1: full rate).
func (l *Local) Factor(ctx context.Context, account string) (float64, error) {
	lim := l.limits.of(account)
	if lim.Rate <= 0 {
		return 1, nil
	}
	lr, err := l.Learned(ctx, account)
	if err != nil {
		return 0, err
	}
	return lr.Rate / lim.Rate, nil
}

// Learned is what the limiter has learned of the account's real limit.
func (l *Local) Learned(_ context.Context, account string) (Learned, error) {
	lim := l.limits.of(account)
	if lim.Rate <= 0 {
		return Learned{Rate: lim.Rate}, nil
	}
	a := l.account(account)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := l.now().UnixNano()
	s := a.learn
	return learnedOf(s.factor(now, lim), s.m, s.decided, s.measuring, lim), nil
}

// sent is how many of the account's reservations had gone out by now.
func (a *account) sent(now int64, lim Limits) float64 {
	tat := a.anchor + round(float64(a.n)*a.interval)
	return sentBy(a.grants, tat, now, a.interval, lim.Burst)
}

func round(f float64) int64 { return int64(math.Round(f)) }

// pairs holds each recipient's next allowed time. Entries in the past
// constrain nothing; a sweep drops them whenever the map has doubled, so it
// holds about Rate*PairEvery live entries at most.
type pairs struct {
	next    map[string]int64
	sweepAt int
}

func (p *pairs) set(who string, next, now int64) {
	if p.next == nil {
		p.next = map[string]int64{}
	}
	p.next[who] = next
	if len(p.next) < p.sweepAt {
		return
	}
	for k, t := range p.next {
		if t <= now {
			delete(p.next, k)
		}
	}
	p.sweepAt = max(1024, 2*len(p.next))
}

// budget is the rolling window of template recipients: each one's first
// send time, in a map and in time order.
type budget struct {
	first map[string]int64
	order []stamp
}

type stamp struct {
	at  int64
	who string
}

// prune drops the recipients at or before cut.
func (b *budget) prune(cut int64) {
	i := 0
	for ; i < len(b.order) && b.order[i].at <= cut; i++ {
		if s := b.order[i]; b.first[s.who] == s.at {
			delete(b.first, s.who)
		}
	}
	b.order = b.order[i:]
}

func (b *budget) add(who string, at int64) {
	if b.first == nil {
		b.first = map[string]int64{}
	}
	b.first[who] = at
	i := sort.Search(len(b.order), func(i int) bool { return b.order[i].at > at })
	b.order = slices.Insert(b.order, i, stamp{at: at, who: who})
}
