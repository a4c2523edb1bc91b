package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/simulator"
)

// A campaign's fallback template goes out instead of a free-form message
// when the window is closed: known closed here (no inbound), or closed in
// the provider's eyes (its 470). The simulator enforces the window, so an
// acceptance of a closed-window contact proves a template went.
func TestFallbackTemplateWhenTheWindowIsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{Window: true})
	withFallback := func(m *message.Message) *message.Message {
		m.Fallback = &message.Template{Name: "we_tried_to_reach_you", Language: "en", Body: []string{"Amina"}}
		return m
	}

	neverWrote := withFallback(e.msg("text", 1)) // closed here: no request for the free-form text
	providerSaysClosed := withFallback(e.msg("text", 2))
	// We believe the window is open; the provider does not (its 470).
	must(t, e.st.SetLastInbound(ctx, account, "", providerSaysClosed.To, e.clock.Now().Add(-time.Hour)))
	inWindow := withFallback(e.msg("text", 3))
	must(t, e.st.SetLastInbound(ctx, account, "", inWindow.To, e.clock.Now().Add(-time.Hour)))
	e.sim.MarkInbound(inWindow.To, time.Now().Add(-time.Hour))
	noFallback := e.msg("text", 4)

	e.enqueue(neverWrote, providerSaysClosed, inWindow, noFallback)
	e.run(e.config(), nil)
	counts := e.waitOutcomes(4)

	for _, c := range []struct {
		m        *message.Message
		status   message.Status
		fallback bool
		attempts int
	}{
		{neverWrote, message.Accepted, true, 1},
		{providerSaysClosed, message.Accepted, true, 2}, // the refused free-form, then the template
		{inWindow, message.Accepted, false, 1},
		{noFallback, message.WindowClosed, false, 0},
	} {
		r := e.record(c.m)
		if r.Status != c.status || r.Fallback != c.fallback || r.Attempts != c.attempts {
			t.Errorf("%s: status=%s fallback=%v attempts=%d (%s %s); want %s fallback=%v attempts=%d",
				c.m.To, r.Status, r.Fallback, r.Attempts, r.ErrorCode, r.Error, c.status, c.fallback, c.attempts)
		}
	}
	if counts[message.Accepted] != 3 || counts[message.WindowClosed] != 1 {
		t.Errorf("counts %v, want 3 accepted and 1 window_closed", counts)
	}
	if n, err := e.st.CampaignFallbacks(ctx, "c"); err != nil || n != 2 {
		t.Errorf("campaign fallbacks = %d, %v; want 2", n, err)
	}
	if d := e.sim.Stats().Duplicates; d != 0 {
		t.Errorf("provider saw %d duplicates", d)
	}
}

// A fallback is only for free-form content, and must be a valid template.
func TestFallbackValidation(t *testing.T) {
	t.Parallel()
	m := &message.Message{ID: "x", Account: account, To: "+255712000001",
		Content:  message.Content{Template: &message.Template{Name: "a", Language: "en"}},
		Fallback: &message.Template{Name: "b", Language: "en"}}
	if err := m.Validate(); err == nil {
		t.Error("a template with a fallback template validated")
	}
	m.Content = message.Content{Text: &message.Text{Body: "hi"}}
	m.Fallback = &message.Template{Language: "en"}
	if err := m.Validate(); err == nil {
		t.Error("a fallback without a template name validated")
	}
	m.Fallback.Name = "b"
	if err := m.Validate(); err != nil {
		t.Errorf("a text with a valid fallback: %v", err)
	}
}
