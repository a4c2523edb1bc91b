package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
)

// gate decides per provider account whether sends may go now. Three things
// make messages wait (deferred, never failed, no attempt burned):
//
//   - a pause, by an operator (wabulk provider pause) or by an
//     account-level failure (bad credentials, no credit, spam block,
//     wrong endpoint), until an operator resumes the account;
//   - this pod's circuit breaker (github.com/sony/gobreaker), open when the
//     ratio of transient failures crosses the threshold;
//   - another pod's open breaker: a pod whose breaker opens writes "open
//     until" to the store, and every pod waits for it. (gobreaker's own
//     distributed breaker serialises every call behind a Redis lock.)
//
// The shared state is read at most once per AccountStateTTL per account.
type gate struct {
	cfg   Config
	store *store.Store
	log   *zap.Logger

	mu       sync.Mutex
	breakers map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]
	cache    map[string]cachedAccount
	inFlight map[string]chan struct{} // per-account concurrency cap
}

type cachedAccount struct {
	st store.AccountState
	at time.Time
}

// errNotSent is reported to a breaker that allowed a send which then did
// not happen (e.g. deferred by the rate limit): it counts for nothing.
var errNotSent = errors.New("not sent")

func newGate(cfg Config, st *store.Store) *gate {
	return &gate{cfg: cfg, store: st, log: cfg.Logger,
		breakers: map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]{}, cache: map[string]cachedAccount{},
		inFlight: map[string]chan struct{}{}}
}

// wait returns how long sends on account must wait (0: they may go now)
// and why.
func (g *gate) wait(ctx context.Context, account string) (time.Duration, string, error) {
	st, err := g.state(ctx, account)
	if err != nil {
		return 0, "", err
	}
	now := g.cfg.Now()
	switch {
	case st.Paused:
		return g.cfg.AccountRetryDelay, "account paused: " + st.PauseReason, nil
	case now.Before(st.OpenUntil):
		return st.OpenUntil.Sub(now), "circuit breaker open: " + st.OpenReason, nil
	}
	return 0, "", nil
}

func (g *gate) state(ctx context.Context, account string) (store.AccountState, error) {
	now := g.cfg.Now()
	g.mu.Lock()
	c, ok := g.cache[account]
	g.mu.Unlock()
	if ok && now.Sub(c.at) < g.cfg.AccountStateTTL {
		return c.st, nil
	}
	st, err := g.store.Account(ctx, account)
	if err != nil {
		return store.AccountState{}, err
	}
	paused := 0.0
	if st.Paused {
		paused = 1
	}
	accountPaused.WithLabelValues(account).Set(paused)
	if st.OpenUntil.After(now) {
		breakerOpen.WithLabelValues(account).Set(1)
	}
	g.mu.Lock()
	g.cache[account] = cachedAccount{st: st, at: now}
	g.mu.Unlock()
	return st, nil
}

func (g *gate) forget(account string) {
	g.mu.Lock()
	delete(g.cache, account)
	g.mu.Unlock()
}

// allow asks this pod's breaker for account. When it refuses, ok is false
// and wait is how long to defer; otherwise done must be called with the
// send's outcome (nil, a *providers.SendError, or errNotSent).
func (g *gate) allow(account string) (done func(error), wait time.Duration, ok bool) {
	d, err := g.breaker(account).Allow()
	if err != nil {
		return nil, g.cfg.BreakerOpenFor, false
	}
	return d, 0, true
}

// acquire takes one of account's in-flight slots (Config.MaxInFlight, per
// worker process), waiting at most maxWait; release gives it back. ok is
// false when none freed up in time: the send is deferred.
func (g *gate) acquire(ctx context.Context, account string, maxWait time.Duration) (release func(), ok bool) {
	if g.cfg.MaxInFlight <= 0 {
		return func() {}, true
	}
	g.mu.Lock()
	sem, found := g.inFlight[account]
	if !found {
		sem = make(chan struct{}, g.cfg.MaxInFlight)
		g.inFlight[account] = sem
	}
	g.mu.Unlock()
	release = func() { <-sem }
	select {
	case sem <- struct{}{}:
		return release, true
	default:
	}
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

func (g *gate) breaker(account string) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cb, ok := g.breakers[account]; ok {
		return cb
	}
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        account,
		MaxRequests: 3,
		Interval:    g.cfg.BreakerWindow,
		Timeout:     g.cfg.BreakerOpenFor,
		// Judged on sends that got an answer: excluded calls (deferred
		// before sending) and calls still in flight are not evidence.
		ReadyToTrip: func(c gobreaker.Counts) bool {
			n := c.TotalSuccesses + c.TotalFailures
			return n >= uint32(g.cfg.BreakerMinRequests) && float64(c.TotalFailures) >= g.cfg.BreakerFailureRatio*float64(n)
		},
		IsSuccessful: func(err error) bool { return !countsAsFailure(err) },
		IsExcluded:   func(err error) bool { return errors.Is(err, errNotSent) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			g.log.Warn("circuit breaker", zap.String("account", name), zap.String("from", from.String()), zap.String("to", to.String()))
			open := 0.0
			if to == gobreaker.StateOpen {
				open = 1
			}
			breakerOpen.WithLabelValues(name).Set(open)
			if to == gobreaker.StateOpen {
				until := g.cfg.Now().Add(g.cfg.BreakerOpenFor)
				reason := fmt.Sprintf("transient failures reached %.0f%% of sends", 100*g.cfg.BreakerFailureRatio)
				// Not under gobreaker's lock: a slow Redis must not hold up
				// every send of this account in this pod.
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if err := g.store.OpenBreaker(ctx, name, until, reason); err != nil {
						g.log.Error("could not share the open breaker", zap.String("account", name), zap.Error(err))
					}
					g.forget(name)
				}()
			}
		},
	})
	g.breakers[account] = cb
	return cb
}

// countsAsFailure: only transient failures say the provider is unwell;
// a permanent refusal of one message, or the provider's rate limit
// (handled by adaptive back-off), do not.
func countsAsFailure(err error) bool {
	if err == nil || errors.Is(err, errNotSent) {
		return false
	}
	var se *providers.SendError
	if !errors.As(err, &se) {
		return true
	}
	return se.Class == providers.Transient && se.Reason != providers.ReasonThrottled
}

// pause pauses account after an account-level failure, once: an operator
// resumes it.
func (g *gate) pause(ctx context.Context, account string, se *providers.SendError) {
	reason := fmt.Sprintf("%s (%s)", se.Reason, se.Error())
	if st, err := g.state(ctx, account); err == nil && st.Paused {
		return
	}
	if err := g.store.PauseAccount(ctx, account, reason); err != nil {
		g.log.Error("could not pause the account", zap.String("account", account), zap.Error(err))
		return
	}
	g.log.Error("account paused after an account-level failure; its messages wait until `wabulk provider resume "+account+"`",
		zap.String("account", account), zap.String("reason", string(se.Reason)), zap.String("code", se.Code))
	g.forget(account)
}
