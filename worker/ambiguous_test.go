package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

// A message settled ambiguous has no provider id; a receipt for it, held
// to the end of its hold because its id was never recorded, reconciles it
// by recipient: the record takes the receipt's status and the provider's
// id.
func TestReceiptReconcilesAnAmbiguousMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	to := "+255712345601"
	id := message.CampaignMessageID("amb", to)
	ref := store.Ref{ID: id, CampaignID: "amb", Account: "tj"}
	if _, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "amb", Account: "tj", To: to}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, ref, message.Failed, store.Update{ErrorCode: store.AmbiguousCode}); err != nil {
		t.Fatal(err)
	}
	if err := st.NoteAmbiguous(ctx, "tj", to, id); err != nil {
		t.Fatal(err)
	}
	h := worker.NewEvents(worker.Config{Prefix: r.Prefix, EventHoldFor: time.Minute}, st)
	// Received long enough ago that the hold is over.
	task, err := receipts.NewTask(receipts.Batch{Account: "tj", Received: time.Now().Add(-time.Hour), Events: []providers.Event{
		{Kind: providers.EventStatus, ProviderMessageID: "wamid.LATE", Status: message.Delivered, Recipient: "255712345601"},
		{Kind: providers.EventStatus, ProviderMessageID: "wamid.OTHER", Status: message.Delivered, Recipient: "255712345699"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Get(ctx, id)
	if err != nil || rec.Status != message.Delivered || rec.ProviderMessageID != "wamid.LATE" || rec.ErrorCode != "" {
		t.Fatalf("record after the receipt: %+v, %v", rec, err)
	}
	if got, err := st.MessageByProviderID(ctx, "tj", "wamid.LATE"); err != nil || got != id {
		t.Errorf("provider id indexed: %q, %v", got, err)
	}
	counts, _ := st.CampaignCounts(ctx, "amb")
	if counts[message.Delivered] != 1 || counts[message.Failed] != 0 {
		t.Errorf("counts %v", counts)
	}
}
