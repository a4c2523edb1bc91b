package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

// accepted creates a record of account for contact to and records the
// provider's acceptance under pmid, as a send does.
func accepted(t *testing.T, st *store.Store, account, to, pmid string) store.Ref {
	t.Helper()
	ctx := context.Background()
	ref := store.Ref{ID: message.CampaignMessageID("c-"+account, to), CampaignID: "c-" + account, Account: account}
	_, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: ref.CampaignID, Account: account, To: to}})
	must(t, err)
	_, err = st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})
	must(t, err)
	_, err = st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: pmid})
	must(t, err)
	return ref
}

// A receipt that reaches one account's endpoint for a message another
// account of the same provider kind sent is applied to that message; one
// whose id only an account of another kind knows is not (it is held).
// Without the kinds, the other account's receipt is held too.
func TestReceiptMatchedInAnotherAccountOfTheKind(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	ctx := context.Background()
	sibling := accepted(t, st, "tj-b", "+255712000001", "gBEGkYiEB1VXAglK1ZEqA1YKPrU")
	otherKind := accepted(t, st, "mt-x", "+255712000002", "wamid.HBgLMjU1NzEyMDAwMDAyFQIAERgSQUFFQkJDRkE5QTk4")
	b := receipts.Batch{Account: "tj-a", Received: time.Now().UTC(), Events: []providers.Event{
		{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Delivered, ProviderStatus: "delivered"},
		{Kind: providers.EventStatus, ProviderMessageID: "wamid.HBgLMjU1NzEyMDAwMDAyFQIAERgSQUFFQkJDRkE5QTk4", Status: message.Delivered, ProviderStatus: "delivered"},
	}}
	status := func(ref store.Ref) message.Status {
		t.Helper()
		rec, err := st.Get(ctx, ref.ID)
		must(t, err)
		return rec.Status
	}
	cfg := worker.Config{Prefix: r.Prefix, EventHoldFor: time.Hour}

	// Without the accounts' kinds: each account's own index only.
	err := worker.NewEvents(cfg, st).ProcessTask(ctx, eventsTask(t, b))
	if err == nil || worker.IsFailure(err) {
		t.Fatalf("without kinds: ProcessTask = %v; want a deferral holding both receipts", err)
	}
	if got := status(sibling); got != message.Accepted {
		t.Errorf("without kinds: the other account's message is %s, want accepted", got)
	}

	cfg.AccountKinds = map[string]string{"tj-a": "tujenge", "tj-b": "tujenge", "mt-x": "meta"}
	err = worker.NewEvents(cfg, st).ProcessTask(ctx, eventsTask(t, b))
	if err == nil || worker.IsFailure(err) || !strings.Contains(err.Error(), "holding 1 receipts") {
		t.Fatalf("with kinds: ProcessTask = %v; want a deferral holding the other kind's receipt only", err)
	}
	if got := status(sibling); got != message.Delivered {
		t.Errorf("with kinds: the same kind's message is %s, want delivered", got)
	}
	if got := status(otherKind); got != message.Accepted {
		t.Errorf("with kinds: another kind's message is %s, want accepted (never matched across kinds)", got)
	}
}
