package fleet

import (
	"context"
	"errors"
	"fmt"

	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/scheduler"
	"github.com/wabulk/wabulk/store"
)

// AccountConfig is one provider account as the config declares it.
type AccountConfig struct {
	Name string
	Kind string
	// Rate is the configured send rate in messages/s; 0 or less: no limit.
	Rate float64
	// Checkable: Config.Check can check this account (its send
	// credentials are at hand).
	Checkable bool
}

// Config configures a Fleet.
type Config struct {
	// Accounts are the provider accounts, in the config's order.
	Accounts []AccountConfig
	// Jobs are the recurring reminder jobs (scheduler.Job).
	Jobs []scheduler.Job
	// Factor, when set, returns an account's current rate factor (the
	// rate learned from 429s over the configured one: 1 at full rate). Nil: 1.
	Factor func(ctx context.Context, account string) (float64, error)
	// Check, when set, checks an account's base_url and credentials
	// (`wabulk provider check`). Nil: no account can be checked.
	Check func(ctx context.Context, account string) CheckResult
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Fleet reads and changes the accounts, schedules and opt-outs.
type Fleet struct {
	st  *store.Store
	p   *producer.Producer
	cfg Config
}

// New returns the Fleet over st, reading campaigns through p.
func New(st *store.Store, p *producer.Producer, cfg Config) *Fleet {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Fleet{st: st, p: p, cfg: cfg}
}

// ErrUnknownAccount is an account name the config does not declare.
var ErrUnknownAccount = errors.New("no such provider account")

// Account is where one provider account stands.
type Account struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Rate is the configured rate (messages/s; 0: no limit); CurrentRate
	// the rate the limiter allows now, lower after the provider answered
	// 429 (Rate × Factor).
	Rate        float64 `json:"rate"`
	CurrentRate float64 `json:"current_rate"`
	Factor      float64 `json:"factor"`
	// Paused: an operator, a 401 or a provider notice paused it; its
	// messages wait (deferred, never failed) until it is resumed.
	Paused      bool      `json:"paused"`
	PauseReason string    `json:"pause_reason,omitempty"`
	PausedAt    time.Time `json:"paused_at,omitzero"`
	// BreakerOpenUntil is when its circuit breaker closes again (zero or
	// past: closed), BreakerReason why it opened.
	BreakerOpenUntil time.Time `json:"breaker_open_until,omitzero"`
	BreakerReason    string    `json:"breaker_reason,omitempty"`
	// Breaker is "open" or "closed".
	Breaker string `json:"breaker"`
	// InFlight is how many of its messages are being sent now (state
	// sending); Pending how many wait or are being sent (queued or
	// sending), across its campaigns.
	InFlight int64 `json:"in_flight"`
	Pending  int64 `json:"pending"`
	// Checkable: Check can check its credentials here.
	Checkable bool `json:"checkable"`
}

// Accounts returns every configured account's state.
func (f *Fleet) Accounts(ctx context.Context) ([]Account, error) {
	load, err := f.loads(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(f.cfg.Accounts))
	for _, ac := range f.cfg.Accounts {
		a, err := f.account(ctx, ac, load[ac.Name])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Account returns one account's state; ErrUnknownAccount (wrapped) when
// the config has no such account.
func (f *Fleet) Account(ctx context.Context, name string) (Account, error) {
	ac, err := f.accountConfig(name)
	if err != nil {
		return Account{}, err
	}
	load, err := f.loads(ctx)
	if err != nil {
		return Account{}, err
	}
	return f.account(ctx, ac, load[name])
}

func (f *Fleet) accountConfig(name string) (AccountConfig, error) {
	var names []string
	for _, ac := range f.cfg.Accounts {
		if ac.Name == name {
			return ac, nil
		}
		names = append(names, ac.Name)
	}
	return AccountConfig{}, fmt.Errorf("%w %q (the config has: %s)", ErrUnknownAccount, name, strings.Join(names, ", "))
}

// load is an account's messages in flight and pending.
type load struct{ sending, pending int64 }

// loads sums the pending messages of every campaign per account, from
// each campaign's counters (one small hash per campaign part), and the
// messages outside campaigns.
func (f *Fleet) loads(ctx context.Context) (map[string]load, error) {
	ids, err := f.st.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]load{}
	for _, id := range ids {
		c, err := f.st.Campaign(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // purged meanwhile
		}
		if err != nil {
			return nil, err
		}
		counts, err := f.st.CampaignCounts(ctx, id)
		if err != nil {
			return nil, err
		}
		l := out[c.Account]
		l.sending += counts[message.Sending]
		l.pending += counts[message.Queued] + counts[message.Sending]
		out[c.Account] = l
	}
	return out, nil
}

func (f *Fleet) account(ctx context.Context, ac AccountConfig, l load) (Account, error) {
	s, err := f.st.Account(ctx, ac.Name)
	if err != nil {
		return Account{}, err
	}
	a := Account{Name: ac.Name, Kind: ac.Kind, Rate: ac.Rate, Factor: 1, Paused: s.Paused, PauseReason: s.PauseReason,
		PausedAt: s.PausedAt, InFlight: l.sending, Pending: l.pending, Checkable: ac.Checkable && f.cfg.Check != nil, Breaker: "closed"}
	if s.OpenUntil.After(f.cfg.Now()) {
		a.Breaker, a.BreakerOpenUntil, a.BreakerReason = "open", s.OpenUntil, s.OpenReason
	}
	if f.cfg.Factor != nil && ac.Rate > 0 {
		if a.Factor, err = f.cfg.Factor(ctx, ac.Name); err != nil {
			return Account{}, fmt.Errorf("rate of account %s: %w", ac.Name, err)
		}
	}
	if ac.Rate > 0 {
		a.CurrentRate = ac.Rate * a.Factor
	}
	return a, nil
}

// PauseAccount pauses account name: its messages wait until
// ResumeAccount. An account paused already keeps its first reason.
func (f *Fleet) PauseAccount(ctx context.Context, name, reason string) error {
	if _, err := f.accountConfig(name); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		reason = "paused by an operator"
	}
	return f.st.PauseAccount(ctx, name, reason)
}

// ResumeAccount lifts account name's pause.
func (f *Fleet) ResumeAccount(ctx context.Context, name string) error {
	if _, err := f.accountConfig(name); err != nil {
		return err
	}
	return f.st.ResumeAccount(ctx, name)
}

// CheckResult is what a credential check of an account found (`wabulk
// provider check`).
type CheckResult struct {
	Account string `json:"account"`
	// Verdict is one of providers.Verdict's values ("works", "reachable",
	// "wrong credentials", ...), or "not checkable here".
	Verdict string `json:"verdict"`
	// OK: the account may be used as it stands.
	OK     bool      `json:"ok"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

// VerdictNotCheckable is the verdict of an account whose send credentials
// this process does not hold.
const VerdictNotCheckable = "not checkable here"

// Check checks account name's base_url and credentials.
func (f *Fleet) Check(ctx context.Context, name string) (CheckResult, error) {
	ac, err := f.accountConfig(name)
	if err != nil {
		return CheckResult{}, err
	}
	if !ac.Checkable || f.cfg.Check == nil {
		return CheckResult{Account: name, Verdict: VerdictNotCheckable, At: f.cfg.Now(),
			Detail: "this process does not hold the account's send credentials: run 'wabulk provider check " + name + "' where the workers' credentials are"}, nil
	}
	r := f.cfg.Check(ctx, name)
	r.Account = name
	if r.At.IsZero() {
		r.At = f.cfg.Now()
	}
	return r, nil
}
