package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// TestOutcomeWithProviderIDAfterScriptFlush: the outcome that carries a
// provider message id writes the index entry and the record in one round
// trip; with the scripts flushed from Redis (a restart, a failover to a
// replica that never loaded them) it loads the script and still writes
// both.
func TestOutcomeWithProviderIDAfterScriptFlush(t *testing.T) {
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour})
	id := message.CampaignMessageID("flush", "+255712000001")
	must(t, ignore2(st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "flush", Account: "a", To: "+255712000001", Run: "r1"}})))
	ref := store.Ref{ID: id, CampaignID: "flush", Account: "a"}
	must(t, ignore(st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued})))
	if err := r.Client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if prev, err := st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: "pm-flush"}); err != nil || prev != message.Sending {
		t.Fatalf("Transition to accepted: previous %q, %v; want sending, nil", prev, err)
	}
	if got, err := st.MessageByProviderID(ctx, "a", "pm-flush"); err != nil || got != id {
		t.Errorf("MessageByProviderID: %q, %v; want %q", got, err, id)
	}
	rec, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != message.Accepted || rec.ProviderMessageID != "pm-flush" {
		t.Errorf("record: %s with provider id %q, want accepted with pm-flush", rec.Status, rec.ProviderMessageID)
	}
}

// TestSuppressionReadsBothLists: one read answers the opt-out and the
// marketing stop of a contact, each from its own list.
func TestSuppressionReadsBothLists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	must(t, st.OptOut(ctx, "a", "+255712000001", "STOP"))
	if _, err := st.StopMarketingAt(ctx, "a", "+255712000002", "STOP PROMO", time.Now()); err != nil {
		t.Fatal(err)
	}
	type answer struct{ OptedOut, MarketingStopped bool }
	want := map[string]answer{"+255712000001": {true, false}, "+255712000002": {false, true}, "+255712000003": {}}
	got := map[string]answer{}
	for c := range want {
		out, stopped, err := st.Suppression(ctx, "a", c)
		if err != nil {
			t.Fatal(err)
		}
		got[c] = answer{out, stopped}
	}
	// Another account's lists say nothing about this one.
	if out, stopped, err := st.Suppression(ctx, "b", "+255712000001"); err != nil || out || stopped {
		t.Errorf("account b: %v, %v, %v; want false, false, nil", out, stopped, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppression (-want +got):\n%s", diff)
	}
}

func ignore2[T any](_ T, err error) error { return err }
