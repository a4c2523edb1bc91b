package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// processDirect runs one message through a Sender, as asynq would.
func processDirect(t *testing.T, e *env, s *worker.Sender, m *message.Message) error {
	t.Helper()
	if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
		t.Fatal(err)
	}
	task, err := message.NewSendTask(m)
	if err != nil {
		t.Fatal(err)
	}
	return s.ProcessTask(context.Background(), task)
}

func TestPausedAccountDefersAndResumeSends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.Now = e.clock.Now
	s := worker.NewSender(cfg, e.st, e.provs, nil)

	must(t, e.st.PauseAccount(ctx, account, "operator: invoice dispute"))
	m := e.msg("template", 50)
	err := processDirect(t, e, s, m)
	if err == nil || worker.IsFailure(err) {
		t.Fatalf("send on a paused account: err = %v, want a deferral", err)
	}
	if r := e.record(m); r.Status != message.Queued || r.Attempts != 0 || e.sim.Stats().Requests != 0 {
		t.Fatalf("paused: record %s/%d attempts, %d requests; want queued, none", r.Status, r.Attempts, e.sim.Stats().Requests)
	}
	must(t, e.st.ResumeAccount(ctx, account))
	e.clock.Advance(2 * time.Second) // past the cached account state
	task, _ := message.NewSendTask(m)
	must(t, s.ProcessTask(ctx, task))
	if r := e.record(m); r.Status != message.Accepted {
		t.Errorf("after resume: %s, want accepted", r.Status)
	}
}

// An account-level failure pauses the account for every pod: the next
// message waits without a request.
func TestAccountLevelFailurePausesTheAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.Now = e.clock.Now
	s := worker.NewSender(cfg, e.st, e.provs, nil)
	first := e.msg("template", 51)
	e.sim.Script(first.To, 401)
	if err := processDirect(t, e, s, first); err == nil || worker.IsFailure(err) {
		t.Fatalf("401: err = %v, want a deferral", err)
	}
	st, err := e.st.Account(ctx, account)
	if err != nil || !st.Paused || st.PauseReason == "" {
		t.Fatalf("account state %+v, %v; want paused with a reason", st, err)
	}
	before := e.sim.Stats().Requests
	other := worker.NewSender(cfg, e.st, e.provs, nil) // another pod
	if err := processDirect(t, e, other, e.msg("template", 52)); err == nil || worker.IsFailure(err) {
		t.Fatalf("second message: err = %v, want a deferral", err)
	}
	if n := e.sim.Stats().Requests; n != before {
		t.Errorf("a paused account made %d more requests", n-before)
	}
}

// Transient failures past the ratio open this pod's breaker; the open state
// is shared, so another pod waits too, until it passes.
func TestBreakerOpensAndEveryPodWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.Now = e.clock.Now
	cfg.BreakerMinRequests = 4
	cfg.BreakerFailureRatio = 0.5
	cfg.BreakerOpenFor = 30 * time.Second
	cfg.AccountStateTTL = time.Nanosecond
	s := worker.NewSender(cfg, e.st, e.provs, nil)
	// Permanent refusals do not count toward the breaker.
	for i := range 4 {
		m := e.msg("template", 60+i)
		e.sim.Script(m.To, 400)
		must(t, processDirect(t, e, s, m))
	}
	if st, _ := e.st.Account(ctx, account); !st.OpenUntil.IsZero() {
		t.Fatalf("permanent failures opened the breaker: %+v", st)
	}
	for i := range 4 {
		m := e.msg("template", 70+i)
		e.sim.Script(m.To, 503)
		if err := processDirect(t, e, s, m); err == nil || !worker.IsFailure(err) {
			t.Fatalf("503 #%d: err = %v, want a retry", i, err)
		}
	}
	// The open state is shared in the background: wait for it to land.
	st := sharedtest.WaitFor(t, func() store.AccountState { st, _ := e.st.Account(ctx, account); return st },
		func(st store.AccountState) bool { return !st.OpenUntil.IsZero() }, waitTimeout, "the shared open state")
	if want := e.clock.Now().Add(30 * time.Second); st.OpenUntil.Sub(want).Abs() > time.Second {
		t.Fatalf("shared open until = %v, want ≈ %v", st.OpenUntil, want)
	}
	before := e.sim.Stats().Requests
	other := worker.NewSender(cfg, e.st, e.provs, nil) // another pod, its own breaker closed
	for _, snd := range []*worker.Sender{s, other} {
		err := processDirect(t, e, snd, e.msg("template", 80+int(before)))
		before++
		if err == nil || worker.IsFailure(err) {
			t.Fatalf("while open: err = %v, want a deferral", err)
		}
		if d := worker.RetryDelay(0, err, nil); d < 29*time.Second || d > 31*time.Second {
			t.Errorf("deferred %v, want the ≈30s the breaker stays open", d)
		}
	}
	if n := e.sim.Stats().Requests; n != before-2 {
		t.Errorf("requests made while the breaker was open: %d", n-(before-2))
	}
	// Once "open until" passes, the other pod sends again.
	e.clock.Advance(31 * time.Second)
	m := e.msg("template", 99)
	must(t, processDirect(t, e, other, m))
	if r := e.record(m); r.Status != message.Accepted {
		t.Errorf("after the open period: %s, want accepted", r.Status)
	}
}

// The per-account concurrency cap: with one slot and a slow provider, a
// second send at the same time is deferred, not sent alongside.
func TestConcurrencyCapDefers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Latency: 400 * time.Millisecond})
	cfg := e.config()
	cfg.MaxInFlight = 1
	cfg.MaxLimiterWait = 50 * time.Millisecond
	s := worker.NewSender(cfg, e.st, e.provs, nil)
	first, second := e.msg("template", 90), e.msg("template", 91)
	done := make(chan error, 1)
	go func() { done <- processDirect(t, e, s, first) }()
	sharedtest.Eventually(t, func() bool { return e.sim.Stats().Requests > 0 }, waitTimeout, "the first send in flight")
	err := processDirect(t, e, s, second)
	if err == nil || worker.IsFailure(err) {
		t.Fatalf("second send while the cap is full: err = %v, want a deferral", err)
	}
	must(t, <-done)
	if r := e.record(second); r.Status != message.Queued || r.Attempts != 0 {
		t.Errorf("second: %s with %d attempts, want queued with none", r.Status, r.Attempts)
	}
}

// A deferral that would outlive the message's TTL ends it expired instead.
func TestDeferralPastTheTTLExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.Now = e.clock.Now
	s := worker.NewSender(cfg, e.st, e.provs, nil)
	must(t, e.st.PauseAccount(ctx, account, "operator"))
	m := e.msg("template", 92)
	m.ExpiresAt = e.clock.Now().Add(30 * time.Second) // the pause defers for AccountRetryDelay (1 min)
	must(t, processDirect(t, e, s, m))
	if r := e.record(m); r.Status != message.Expired || e.sim.Stats().Requests != 0 {
		t.Errorf("record %s, %d requests; want expired, none", r.Status, e.sim.Stats().Requests)
	}
}
