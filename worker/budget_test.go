package worker_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// budgetCampaign saves campaign id with budget and returns n of its
// template messages, the first failing ones scripted to get a 400.
func (e *env) budgetCampaign(id string, b *store.ErrorBudget, n, failing, from int) []*message.Message {
	e.t.Helper()
	if _, _, err := e.st.SaveCampaign(context.Background(), store.Campaign{ID: id, Account: account, Spec: []byte("{}"), ErrorBudget: b}); err != nil {
		e.t.Fatal(err)
	}
	var ms []*message.Message
	for i := range n {
		m := e.msg("template", from+i)
		m.ID, m.CampaignID = message.CampaignMessageID(id, m.To), id
		if i < failing {
			e.sim.Script(m.To, 400)
		}
		ms = append(ms, m)
	}
	return ms
}

// waitFor waits until cond holds for campaign id's counts and state.
func (e *env) waitFor(id string, cond func(store.Counts, store.CampaignStatus) bool) (store.Counts, store.CampaignStatus) {
	e.t.Helper()
	ctx := context.Background()
	type seen struct {
		counts store.Counts
		state  store.CampaignStatus
	}
	got := sharedtest.WaitFor(e.t, func() seen {
		// The state first: a pause comes after the outcome that caused it.
		s, err := e.st.CampaignState(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		return seen{e.counts(id), s}
	}, func(v seen) bool { return cond(v.counts, v.state) }, waitTimeout, "campaign %s", id)
	return got.counts, got.state
}

var budgetReasonRE = regexp.MustCompile(`^error budget: \d+(\.\d)?% of \d+ outcomes failed \(limit 20%\)$`)

// A campaign whose failures cross its error budget is paused, once, by
// one of the workers sending it at the same time, with the ratio as the
// reason; its other messages wait.
func TestErrorBudgetPausesTheCampaign(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	ms := e.budgetCampaign("c", &store.ErrorBudget{MaxFailureRatio: 0.2, MinOutcomes: 10}, 60, 20, 0)
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := e.config()
	cfg.Logger = zap.New(core)
	cfg.CampaignPausedRecheck = time.Hour
	e.enqueue(ms...)
	e.run(cfg, nil)

	_, s := e.waitFor("c", func(c store.Counts, s store.CampaignStatus) bool {
		return s.State == store.CampaignPaused && c[message.Sending] == 0
	})
	if !budgetReasonRE.MatchString(s.Reason) {
		t.Errorf("pause reason %q", s.Reason)
	}
	spent := func() int { return logs.FilterMessageSnippet("error budget is spent").Len() }
	sharedtest.Eventually(t, func() bool { return spent() > 0 }, waitTimeout, "the warning that the budget is spent")
	if n := spent(); n != 1 {
		t.Errorf("%d warnings that the budget is spent, want 1", n)
	}
	c, _ := e.st.CampaignCounts(context.Background(), "c")
	if c[message.Queued] == 0 {
		t.Errorf("counts %v: want the messages after the pause still queued", c)
	}
}

// A campaign below its budget's min_outcomes is never paused, however many
// of its messages fail.
func TestErrorBudgetWaitsForMinOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	ms := e.budgetCampaign("small", &store.ErrorBudget{MaxFailureRatio: 0.2, MinOutcomes: 50}, 10, 10, 0)
	e.enqueue(ms...)
	e.run(e.config(), nil)
	c, s := e.waitFor("small", func(c store.Counts, _ store.CampaignStatus) bool { return c.Outcomes() == 10 })
	if s.State != store.CampaignActive || c[message.Failed] != 10 {
		t.Errorf("counts %v, state %+v: want 10 failed and the campaign active", c, s)
	}
}

// Resumed after the budget paused it, a campaign is judged on the outcomes
// since: the failures before do not pause it again.
func TestErrorBudgetCountsAfreshAfterResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	// One at a time, in order: ten failures, then twenty good ones.
	ms := e.budgetCampaign("c", &store.ErrorBudget{MaxFailureRatio: 0.2, MinOutcomes: 10}, 30, 10, 0)
	cfg := e.config()
	cfg.Concurrency = 1
	cfg.CampaignPausedRecheck = 20 * time.Millisecond
	cfg.AccountStateTTL = time.Millisecond
	e.enqueue(ms...)
	e.run(cfg, nil)
	c, s := e.waitFor("c", func(_ store.Counts, s store.CampaignStatus) bool { return s.State == store.CampaignPaused })
	if s.Reason != "error budget: 100% of 10 outcomes failed (limit 20%)" || c[message.Failed] != 10 {
		t.Errorf("paused with %q at %v", s.Reason, c)
	}
	if _, err := e.st.SetCampaignState(context.Background(), "c", store.CampaignActive, "resumed"); err != nil {
		t.Fatal(err)
	}
	c, s = e.waitFor("c", func(c store.Counts, _ store.CampaignStatus) bool { return c.Outcomes() == 30 })
	if s.State != store.CampaignActive || c[message.Accepted] != 20 {
		t.Errorf("after resume: counts %v, state %+v; want 20 accepted, active", c, s)
	}
}

// The spec's error_budget is validated, takes its default min_outcomes and
// is stored with the campaign, where workers read it.
func TestErrorBudgetFromTheSpec(t *testing.T) {
	t.Parallel()
	base := "id: eb\naccount: tj\nmessage:\n  template: {name: promo, language: en}\n"
	for _, c := range []struct{ yaml, want string }{
		{"error_budget: {max_failure_ratio: 0}\n", "error_budget: max_failure_ratio 0 must be a share between 0 and 1"},
		{"error_budget: {max_failure_ratio: 20}\n", "error_budget: max_failure_ratio 20 must be a share between 0 and 1"},
		{"error_budget: {max_failure_ratio: 0.2, min_outcomes: -1}\n", "error_budget: min_outcomes -1 must not be negative"},
		{"error_budget: {max_failure: 0.2}\n", `unknown field "max_failure"`},
	} {
		if _, err := producer.ParseSpec([]byte(base + c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
	e := newEnv(t, simulator.Config{})
	spec, err := producer.ParseSpec([]byte(base + "error_budget: {max_failure_ratio: 0.05}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := producer.New(e.st, e.client, producer.Config{Prefix: e.r.Prefix})
	if _, err := p.Import(context.Background(), spec, strings.NewReader("phone\n+255712000001\n"), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.Campaign(context.Background(), "eb")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ErrorBudget{MaxFailureRatio: 0.05, MinOutcomes: producer.DefaultMinOutcomes}); c.ErrorBudget == nil || *c.ErrorBudget != want {
		t.Errorf("stored budget %+v, want %+v", c.ErrorBudget, want)
	}
}
