package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/worker"
)

// A message accepted by a provider without push receipts (DecisionTelecom)
// is scheduled for status polling PollFirstAfter later; one accepted by a
// provider that pushes its receipts (Tujenge) is not.
func TestAcceptedMessagesOfPolledProvidersAreScheduled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	sim, err := simulator.New(simulator.Config{Kind: "decisiontelecom", APIKey: "dt-key-0123456789"})
	must(t, err)
	base, err := sim.Start("127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	dt, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: base + "/v1/api", APIKey: "dt-key-0123456789", Source: "wabulk"})
	must(t, err)
	var _ providers.StatusPoller = dt
	e.provs["dt"] = dt

	cfg := e.config()
	cfg.Now = e.clock.Now
	cfg.PollFirstAfter = 30 * time.Second
	s := worker.NewSender(cfg, e.st, e.provs, nil)

	m := e.msg("template", 1)
	m.Account = "dt"
	must(t, processDirect(t, e, s, m))
	pmid := e.pmid(m)
	tj := e.msg("template", 2)
	must(t, processDirect(t, e, s, tj))
	if r := e.record(tj); r.Status != message.Accepted {
		t.Fatalf("tujenge message: %s, want accepted", r.Status)
	}

	claim := func(account string, after time.Duration) []string {
		t.Helper()
		items, err := e.st.ClaimPolls(ctx, account, e.clock.Now().Add(after), 10, 0, time.Minute)
		must(t, err)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ProviderMessageID)
			if it.Since.IsZero() {
				t.Errorf("%s: no first-scheduled time", it.ProviderMessageID)
			}
		}
		return ids
	}
	if ids := claim("dt", 30*time.Second-time.Millisecond); len(ids) != 0 {
		t.Errorf("due before PollFirstAfter: %v", ids)
	}
	if ids := claim("dt", 30*time.Second); len(ids) != 1 || ids[0] != pmid {
		t.Errorf("due at PollFirstAfter: %v, want [%s]", ids, pmid)
	}
	if n, err := e.st.PendingPolls(ctx, account); err != nil || n != 0 {
		t.Errorf("tujenge pushes its receipts: %d polls scheduled (%v), want 0", n, err)
	}

	// A message the provider refused is not polled.
	bad := e.msg("template", 3)
	bad.Account = "dt"
	sim.Script(bad.To, 1)
	_ = processDirect(t, e, s, bad)
	if r := e.record(bad); r.Status != message.Failed {
		t.Fatalf("refused message: %s, want failed", r.Status)
	}
	if n, err := e.st.PendingPolls(ctx, "dt"); err != nil || n != 1 {
		t.Errorf("%d polls scheduled (%v), want only the accepted message's", n, err)
	}
}
