package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
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
	deadline := time.Now().Add(30 * time.Second)
	for e.record(again).Status == message.Queued || e.record(again).Status == message.Sending {
		if time.Now().After(deadline) {
			t.Fatal("the message after START never got an outcome")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.record(again); r.Status != message.Accepted || e.sim.Accepted(again.To) != 1 {
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
