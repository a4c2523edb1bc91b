package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A marketing stop is kept apart from the suppression list, and ordered
// by when the contact changed its preference: a stop arriving after a
// later resume changes nothing.
func TestMarketingStopIsSeparateAndOrdered(t *testing.T) {
	t.Parallel()
	st := newStore(t, nil)
	ctx := context.Background()
	const a, b = "+255712000001", "+255712000002"
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	stopped := func(contact string) bool {
		t.Helper()
		ok, err := st.MarketingStopped(ctx, "acct", contact)
		must(t, err)
		return ok
	}
	for _, c := range []string{b, a} {
		applied, err := st.StopMarketingAt(ctx, "acct", c, "User requested to stop marketing messages", t0)
		must(t, err)
		if !applied {
			t.Errorf("StopMarketingAt(%s) not applied", c)
		}
	}
	if !stopped(a) || stopped("+255712000003") {
		t.Errorf("MarketingStopped: a %v, a contact never stopped %v; want true, false", stopped(a), stopped("+255712000003"))
	}
	if ok, err := st.MarketingStopped(ctx, "other", a); err != nil || ok {
		t.Errorf("MarketingStopped on another account = %v, %v; want false", ok, err)
	}
	if out, err := st.OptedOut(ctx, "acct", a); err != nil || out {
		t.Errorf("OptedOut after a marketing stop = %v, %v; want false (a marketing stop is no opt-out)", out, err)
	}
	list, err := st.MarketingStops(ctx, "acct")
	must(t, err)
	if diff := cmp.Diff([]string{a, b}, list); diff != "" {
		t.Errorf("MarketingStops (-want +got):\n%s", diff)
	}

	applied, err := st.ResumeMarketingAt(ctx, "acct", a, t0.Add(time.Minute))
	must(t, err)
	if !applied || stopped(a) {
		t.Errorf("after resume: applied %v, stopped %v; want true, false", applied, stopped(a))
	}
	// The stop again, redelivered late: older than the resume.
	applied, err = st.StopMarketingAt(ctx, "acct", a, "late", t0)
	must(t, err)
	if applied || stopped(a) {
		t.Errorf("late stop: applied %v, stopped %v; want false, false", applied, stopped(a))
	}
	// An opt-out keeps its own order: it is not refused for being older
	// than the marketing resume.
	outApplied, err := st.OptOutAt(ctx, "acct", a, "keyword STOP", t0)
	must(t, err)
	if !outApplied {
		t.Error("OptOutAt older than a marketing resume was refused; the two are ordered apart")
	}
	list, err = st.MarketingStops(ctx, "acct")
	must(t, err)
	if diff := cmp.Diff([]string{b}, list); diff != "" {
		t.Errorf("MarketingStops after resume (-want +got):\n%s", diff)
	}
}

// ResumeAccountPausedFor lifts only the pause it names.
func TestResumeAccountPausedFor(t *testing.T) {
	t.Parallel()
	st := newStore(t, nil)
	ctx := context.Background()
	const notice = "blocked (provider notice DISABLED_UPDATE: "
	must(t, st.PauseAccount(ctx, "a", "operator: invoice dispute"))
	if ok, err := st.ResumeAccountPausedFor(ctx, "a", notice); err != nil || ok {
		t.Errorf("resume of an operator's pause = %v, %v; want false", ok, err)
	}
	if s, err := st.Account(ctx, "a"); err != nil || !s.Paused || s.PauseReason != "operator: invoice dispute" {
		t.Errorf("account after a refused resume = %+v, %v; want still paused by the operator", s, err)
	}
	must(t, st.PauseAccount(ctx, "b", notice+"WhatsApp disabled the business account)"))
	must(t, st.OpenBreaker(ctx, "b", time.Now().Add(time.Hour), "transient failures"))
	if ok, err := st.ResumeAccountPausedFor(ctx, "b", notice); err != nil || !ok {
		t.Errorf("resume of the notice's pause = %v, %v; want true", ok, err)
	}
	s, err := st.Account(ctx, "b")
	must(t, err)
	if s.Paused || s.PauseReason != "" || s.OpenUntil.IsZero() {
		t.Errorf("account after resume = %+v; want not paused, the breaker left as it was", s)
	}
	if ok, err := st.ResumeAccountPausedFor(ctx, "never-paused", notice); err != nil || ok {
		t.Errorf("resume of an account never paused = %v, %v; want false", ok, err)
	}
}
