package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/worker"
)

// says is an inbound text from contact.
func says(from, text string) providers.Event {
	return providers.Event{Kind: providers.EventInbound, InboundID: "in-" + from + text, From: from, Text: text, Time: time.Now().UTC()}
}

// A contact that writes STOP gets no more messages from the account: the
// send ends opted_out without a request. START takes it back.
func TestStopOptsOutAndStartOptsBackIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	e.run(e.config(), nil)
	stopped, swahili, chatty := e.msg("template", 1), e.msg("template", 2), e.msg("template", 3)

	e.apply(says(stopped.To, "  stop\n"), says(swahili.To, "Acha"), says(chatty.To, "please stop texting me"))
	for _, c := range []struct {
		to   string
		want bool
	}{{stopped.To, true}, {swahili.To, true}, {chatty.To, false}} {
		if got, err := e.st.OptedOut(ctx, account, c.to); err != nil || got != c.want {
			t.Errorf("OptedOut(%s) = %v, %v; want %v", c.to, got, err, c.want)
		}
	}

	e.enqueue(stopped, swahili, chatty)
	e.waitOutcomes(3)
	for m, want := range map[*message.Message]message.Status{
		stopped: message.OptedOut, swahili: message.OptedOut, chatty: message.Accepted,
	} {
		if r := e.record(m); r.Status != want {
			t.Errorf("%s: %s, want %s", m.To, r.Status, want)
		}
	}
	if n := e.sim.Stats().Requests; n != 1 {
		t.Errorf("provider saw %d requests, want 1 (only the contact that did not opt out)", n)
	}

	e.apply(says(stopped.To, "START"))
	if got, err := e.st.OptedOut(ctx, account, stopped.To); err != nil || got {
		t.Fatalf("OptedOut after START = %v, %v; want false", got, err)
	}
	again := e.msg("template", 1)
	again.ID, again.CampaignID = message.CampaignMessageID("c-again", again.To), "c-again"
	e.enqueue(again)
	if r := e.waitOutcome(again); r.Status != message.Accepted || e.sim.Accepted(again.To) != 1 {
		t.Errorf("after START: %s, provider accepted %d; want accepted once", r.Status, e.sim.Accepted(again.To))
	}
}

// Config.OptOutKeywords replaces the defaults.
func TestOptOutKeywordsOverride(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.OptOutKeywords = []string{"BASI"}
	e.run(cfg, nil)
	a, b := e.msg("template", 1), e.msg("template", 2)
	e.apply(says(a.To, "basi"), says(b.To, "STOP"))
	if got, _ := e.st.OptedOut(ctx, account, a.To); !got {
		t.Error("the configured keyword did not opt out")
	}
	if got, _ := e.st.OptedOut(ctx, account, b.To); got {
		t.Error("a default keyword still opts out when Config replaces them")
	}
}

// Keywords apply in the order the contact wrote them: a STOP redelivered
// (at least once) or applied again with a held batch after a later START
// changes nothing; a later STOP still does.
func TestKeywordsApplyInTheOrderWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	h := worker.NewEvents(e.config(), e.st)
	contact := "+255712000077"
	t0 := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	at := func(text string, d time.Duration) providers.Event {
		ev := says(contact, text)
		ev.Time = t0.Add(d)
		return ev
	}
	// A receipt for an id not recorded yet holds the batch: it is applied
	// again, STOP included, after the START below.
	held := batch(receipt("not-yet", message.Delivered), at("STOP", 0))
	for _, step := range []struct {
		b    receipts.Batch
		want bool
	}{
		{held, true},
		{batch(at("START", time.Second)), false},
		{held, false},                            // the held batch, tried again
		{batch(at("STOP", 0)), false},            // STOP redelivered
		{batch(at("stop", 2*time.Second)), true}, // a new STOP
	} {
		if err := h.ProcessTask(ctx, eventsTask(t, step.b)); err != nil && !errors.Is(err, asynq.SkipRetry) && worker.IsFailure(err) {
			t.Fatal(err)
		}
		if got, err := e.st.OptedOut(ctx, account, contact); err != nil || got != step.want {
			t.Fatalf("after %s at %v: opted out = %v, %v; want %v", step.b.Events[len(step.b.Events)-1].Text,
				step.b.Events[len(step.b.Events)-1].Time.Sub(t0), got, err, step.want)
		}
	}
}

// A failed receipt for WhatsApp's window error (470, 131047) closes the
// contact's window, so the next free-form message ends window_closed
// without a request; an inbound message after it keeps the new window.
func TestWindowErrorReceiptClosesTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	e.run(e.config(), nil)
	h := worker.NewEvents(e.config(), e.st)
	now := time.Now().UTC()
	var ms []*message.Message
	for i := range 3 {
		m := e.msg("text", 40+i)
		must(t, e.st.SetLastInbound(ctx, account, "", m.To, now.Add(-time.Hour)))
		ms = append(ms, m)
	}
	e.enqueue(ms...)
	e.waitOutcomes(3)
	failed := func(m *message.Message, code string) providers.Event {
		ev := receipt(e.pmid(m), message.Failed)
		ev.ErrorCode, ev.Time = code, now
		return ev
	}
	// ms[1] wrote again after the provider's refusal was reported.
	must(t, e.st.SetLastInbound(ctx, account, "", ms[1].To, now.Add(time.Second)))
	b := batch(failed(ms[0], "131047"), failed(ms[1], "470"), failed(ms[2], "131026"))
	b.Received = now.Add(2 * time.Second)
	must(t, h.ProcessTask(ctx, eventsTask(t, b)))
	// A window refusal ends window_closed; another failure, failed.
	for i, want := range []bool{false, true, true} {
		if open, err := e.st.WindowOpen(ctx, account, "", ms[i].To, now.Add(3*time.Second)); err != nil || open != want {
			t.Errorf("%s: window open = %v, %v; want %v", ms[i].To, open, err, want)
		}
		status := []message.Status{message.WindowClosed, message.WindowClosed, message.Failed}[i]
		if r := e.record(ms[i]); r.Status != status {
			t.Errorf("%s: %s, want %s", ms[i].To, r.Status, status)
		}
	}
	next := e.msg("text", 40)
	next.ID, next.CampaignID = message.CampaignMessageID("c-next", next.To), "c-next"
	e.enqueue(next)
	if r := e.waitOutcome(next); r.Status != message.WindowClosed || e.sim.Accepted(next.To) != 1 {
		t.Errorf("next free-form message: %s, provider accepted %d (the first only); want window_closed without a request", r.Status, e.sim.Accepted(next.To))
	}
}
