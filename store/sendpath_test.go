package store_test

import (
	"context"
	"errors"
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
		sup, err := st.Suppression(ctx, "a", c)
		if err != nil {
			t.Fatal(err)
		}
		got[c] = answer{sup.OptedOut, sup.MarketingStopped}
	}
	// Another account's lists say nothing about this one.
	if sup, err := st.Suppression(ctx, "b", "+255712000001"); err != nil || sup.OptedOut || sup.MarketingStopped {
		t.Errorf("account b: %+v, %v; want neither, nil", sup, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppression (-want +got):\n%s", diff)
	}
}

func ignore2[T any](_ T, err error) error { return err }

// TestGetForSendReadsRecordAndSuppression: the record and its recipient's
// suppression on the record's account, for a campaign's message and for
// one outside campaigns, and ErrNotFound for a message without a record.
func TestGetForSendReadsRecordAndSuppression(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	out, kept := "+255712000001", "+255712000002"
	must(t, st.OptOut(ctx, "a", out, "STOP"))
	if _, err := st.StopMarketingAt(ctx, "a", kept, "STOP PROMO", time.Now()); err != nil {
		t.Fatal(err)
	}
	recs := []store.NewRecord{
		{ID: message.CampaignMessageID("gfs", out), CampaignID: "gfs", Account: "a", To: out},
		{ID: message.CampaignMessageID("gfs", kept), CampaignID: "gfs", Account: "a", To: kept},
		{ID: "api:gfs-1", Account: "a", To: out},
	}
	must(t, ignore2(st.Create(ctx, recs)))
	want := []store.Suppressed{
		{Account: "a", Contact: out, OptedOut: true},
		{Account: "a", Contact: kept, MarketingStopped: true},
		{Account: "a", Contact: out, OptedOut: true},
	}
	for i, r := range recs {
		rec, sup, err := st.GetForSend(ctx, r.ID)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		if rec.ID != r.ID || rec.To != r.To || rec.Status != message.Queued {
			t.Errorf("%s: record %s to %s, %s; want %s to %s, queued", r.ID, rec.ID, rec.To, rec.Status, r.ID, r.To)
		}
		if diff := cmp.Diff(want[i], sup); diff != "" {
			t.Errorf("%s: suppression (-want +got):\n%s", r.ID, diff)
		}
	}
	if _, _, err := st.GetForSend(ctx, message.CampaignMessageID("gfs", "+255712000009")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a message without a record: %v, want ErrNotFound", err)
	}
}
