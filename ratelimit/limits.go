package ratelimit

import (
	"context"
	"time"
)

// Limiter is what a sender needs of a limiter: Local and Shared both are one.
type Limiter interface {
	// Reserve reserves one send if every rule lets it go within maxWait.
	Reserve(ctx context.Context, r Request, maxWait time.Duration) (Reservation, error)
	// Throttled reports that the provider answered "too many requests"
	// (HTTP 429, Meta 130429): the account's rate backs off.
	Throttled(ctx context.Context, account string) error
}

var (
	_ Limiter = (*Local)(nil)
	_ Limiter = (*Shared)(nil)
)

// Request is one send to reserve.
type Request struct {
	// Account is the provider account (one sender number); its Limits apply.
	Account string
	// Recipient is the contact, for the pair limit and the daily budget.
	// Empty: neither applies.
	Recipient string
	// Template marks a business-initiated (template) message: only those
	// count against DailyBudget.
	Template bool
}

// Reservation is a limiter's answer.
type Reservation struct {
	// OK means a slot is reserved: wait Wait, then send.
	OK bool
	// Wait is how long to wait before sending (OK), or how long until a
	// slot would be free (not OK): the natural deferral.
	Wait time.Duration
	// Reason names the rule that set Wait: ReasonRate, ReasonPair or
	// ReasonBudget; empty when Wait is 0.
	Reason string
}

// The rules a Reservation's Reason names.
const (
	ReasonRate   = "rate"   // messages per second per account (Limits.Rate, Burst)
	ReasonPair   = "pair"   // one message per recipient per Limits.PairEvery
	ReasonBudget = "budget" // unique template recipients per 24 h (Limits.DailyBudget)
)

// BudgetWindow is the rolling window of Limits.DailyBudget.
const BudgetWindow = 24 * time.Hour

// Limits configures one provider account's limits. Zero fields take the
// defaults named. An account a limiter has no Limits for gets Limits{}: the
// defaults, never "unlimited".
type Limits struct {
	// Rate is messages per second per account (sender number). Defaults to
	// 80, Meta's standard throughput. Negative: unlimited.
	Rate float64
	// Burst is how many sends may go at once after an idle spell. Defaults
	// to max(1, Rate/10).
	Burst int
	// PairEvery allows at most one message to a recipient per PairEvery
	// (Meta error 131056). Defaults to 6 s. Negative: off.
	PairEvery time.Duration
	// DailyBudget is how many unique recipients template messages may reach
	// in any rolling 24 h window (WhatsApp's messaging-limit tiers: 250,
	// 2000, 10000, 100000). 0 (or negative) = unlimited.
	DailyBudget int
	// Backoff bounds one measurement's decrease: the learned rate is at
	// least Backoff times the rate the 429s interrupted (less Margin), so
	// a provider limit far below takes a few measurements rather than one
	// noisy one. Defaults to 0.5; values outside (0, 1] take the default.
	Backoff float64
	// MinFactor is the floor of the learned rate, as a fraction of Rate.
	// Defaults to 0.05; values outside (0, 1] take the default.
	MinFactor float64
	// Recovery sets how fast the learned rate probes upward: past the
	// provider's last measured limit it climbs by Rate every Recovery
	// (linearly), near that limit (within Margin of it) ProbeSlowdown
	// times slower. Defaults to 60 s. Negative: no learning (Throttled does
	// nothing and the account always reserves at Rate).
	Recovery time.Duration
	// HoldOff: a Throttled within HoldOff of the last decision changes
	// nothing — 429s keep answering sends reserved at the old rate and
	// requests still in flight. Defaults to 2 s; negative: none.
	HoldOff time.Duration
	// Measure is how long a measurement lasts: from the first 429 that
	// counts, the limiter counts the sends that went out and the 429s that
	// came back, and after Measure sets the learned rate to what the
	// provider accepted. Defaults to 5 s.
	Measure time.Duration
	// Margin is how far below the measured limit the learned rate is set
	// (and how far above it probing stays slow). Defaults to 0.03;
	// values outside (0, 0.5) take the default.
	Margin float64
}

// Unlimited is Limits that never make a send wait: no rate, no pair limit,
// no budget.
var Unlimited = Limits{Rate: -1, PairEvery: -1}

// The defaults of Limits.
const (
	DefaultRate      = 80
	DefaultPairEvery = 6 * time.Second
	DefaultBackoff   = 0.5
	DefaultMinFactor = 0.05
	DefaultRecovery  = 60 * time.Second
	DefaultHoldOff   = 2 * time.Second
	DefaultMeasure   = 5 * time.Second
	DefaultMargin    = 0.03
)

// Smoothing: a measurement within this fraction of the limit the last
// one found is averaged with it (a measurement of a few seconds is noisy:
// the provider's burst, jitter in when sends arrive); further off, the
// limit has moved and the new measurement stands alone.
const Smoothing = 0.1

// ProbeSlowdown is how many times slower the learned rate climbs within
// Margin of the provider's last measured limit than past it.
const ProbeSlowdown = 10

// WithDefaults returns l with every zero (or out-of-range) field set to its
// default.
func (l Limits) WithDefaults() Limits {
	if l.Rate == 0 {
		l.Rate = DefaultRate
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(l.Rate/10))
	}
	if l.PairEvery == 0 {
		l.PairEvery = DefaultPairEvery
	}
	if l.DailyBudget < 0 {
		l.DailyBudget = 0
	}
	if !(l.Backoff > 0 && l.Backoff <= 1) {
		l.Backoff = DefaultBackoff
	}
	if !(l.MinFactor > 0 && l.MinFactor <= 1) {
		l.MinFactor = DefaultMinFactor
	}
	if l.Recovery == 0 {
		l.Recovery = DefaultRecovery
	}
	if l.HoldOff == 0 {
		l.HoldOff = DefaultHoldOff
	} else if l.HoldOff < 0 {
		l.HoldOff = 0
	}
	if l.Measure <= 0 {
		l.Measure = DefaultMeasure
	}
	if !(l.Margin > 0 && l.Margin < 0.5) {
		l.Margin = DefaultMargin
	}
	return l
}

// rules says which rules apply to r under l (l with defaults).
func (l Limits) rules(r Request) (rate, pair, budget bool) {
	return l.Rate > 0, l.PairEvery > 0 && r.Recipient != "",
		l.DailyBudget > 0 && r.Template && r.Recipient != ""
}

// table holds each account's Limits with defaults applied.
type table struct {
	byAccount map[string]Limits
	fallback  Limits
}

func newTable(limits map[string]Limits) table {
	t := table{byAccount: make(map[string]Limits, len(limits)), fallback: Limits{}.WithDefaults()}
	for name, l := range limits {
		t.byAccount[name] = l.WithDefaults()
	}
	return t
}

func (t table) of(account string) Limits {
	if l, ok := t.byAccount[account]; ok {
		return l
	}
	return t.fallback
}
