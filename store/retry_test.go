package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// Requeue moves back to queued exactly the expired messages and the
// failures marked retryable, never one the provider may have taken, one
// that failed for good, or one of a cancelled campaign; counters, error,
// attempts and the retries counter follow.
func TestRequeueOnlyWhatMayBeSentAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "c", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	type step struct {
		to message.Status
		u  store.Update
	}
	sending := step{message.Sending, store.Update{IncAttempts: true}}
	cases := []struct {
		name  string
		steps []step
		ok    bool
	}{
		{"retryable failure", []step{sending, {message.Failed, store.Update{ErrorCode: "503", Error: "gave up", Retryable: true}}}, true},
		{"expired in the queue", []step{{message.Expired, store.Update{ErrorCode: "ttl"}}}, true},
		{"expired after an attempt", []step{sending, {message.Expired, store.Update{ErrorCode: "503"}}}, true},
		{"permanent failure", []step{sending, {message.Failed, store.Update{ErrorCode: "400"}}}, false},
		{"ambiguous failure", []step{sending, {message.Failed, store.Update{ErrorCode: store.AmbiguousCode}}}, false},
		{"ambiguous even if marked", []step{sending, {message.Failed, store.Update{ErrorCode: store.AmbiguousCode, Retryable: true}}}, false},
		{"failed receipt", []step{sending, {message.Accepted, store.Update{}}, {message.Failed, store.Update{ErrorCode: "131026"}}}, false},
		{"accepted", []step{sending, {message.Accepted, store.Update{}}}, false},
		{"read", []step{sending, {message.Accepted, store.Update{}}, {message.Read, store.Update{}}}, false},
		{"queued", nil, false},
		{"sending", []step{sending}, false},
		{"opted out", []step{{message.OptedOut, store.Update{}}}, false},
		{"window closed", []step{{message.WindowClosed, store.Update{}}}, false},
		{"invalid", []step{{message.Invalid, store.Update{}}}, false},
		{"cancelled", []step{{message.Cancelled, store.Update{}}}, false},
	}
	for i, c := range cases {
		to := fmt.Sprintf("+2557120000%02d", i)
		ref := store.Ref{ID: message.CampaignMessageID("c", to), CampaignID: "c", Account: "a"}
		if _, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: "c", Account: "a", To: to}}); err != nil {
			t.Fatal(err)
		}
		for _, s := range c.steps {
			if _, err := st.Transition(ctx, ref, s.to, s.u); err != nil {
				t.Fatalf("%s: move to %s: %v", c.name, s.to, err)
			}
		}
		before, _ := st.Get(ctx, ref.ID)
		n, err := st.Requeue(ctx, ref, before.Status)
		after, _ := st.Get(ctx, ref.ID)
		if !c.ok {
			if !store.IsTransitionError(err) || after.Status != before.Status {
				t.Errorf("%s: requeue: %v, status %s → %s; want refused and unchanged", c.name, err, before.Status, after.Status)
			}
			continue
		}
		if err != nil || n != 1 {
			t.Errorf("%s: requeue: %d, %v", c.name, n, err)
			continue
		}
		if after.Status != message.Queued || after.ErrorCode != "" || after.Error != "" || after.Retryable ||
			after.Attempts != before.Attempts || after.Retries != 1 {
			t.Errorf("%s: after requeue %+v (before %+v)", c.name, after, before)
		}
		// Twice is a no-op: the record is queued now.
		if _, err := st.Requeue(ctx, ref, before.Status); !store.IsTransitionError(err) {
			t.Errorf("%s: second requeue: %v, want refused", c.name, err)
		}
	}
	counts, err := st.CampaignCounts(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Counts{message.Queued: 4, message.Sending: 1, message.Failed: 4, message.Accepted: 1, message.Read: 1,
		message.OptedOut: 1, message.WindowClosed: 1, message.Invalid: 1, message.Cancelled: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if _, err := st.Requeue(ctx, store.Ref{ID: "c:+255799999999", CampaignID: "c"}, message.Expired); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("requeue of a missing record: %v", err)
	}

	// Nothing of a cancelled campaign moves.
	ref := store.Ref{ID: message.CampaignMessageID("c", "+255712999999"), CampaignID: "c"}
	must(t, createOne(ctx, st, ref))
	if _, err := st.Transition(ctx, ref, message.Expired, store.Update{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCampaignState(ctx, "c", store.CampaignCancelled, "op"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Requeue(ctx, ref, message.Expired); !errors.Is(err, store.ErrCampaignCancelled) {
		t.Errorf("requeue in a cancelled campaign: %v, want ErrCampaignCancelled", err)
	}
}

func createOne(ctx context.Context, st *store.Store, ref store.Ref) error {
	_, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: ref.CampaignID, Account: "a", To: ref.ID[len(ref.CampaignID)+1:]}})
	return err
}

// A record keeps the placeholder values it was rendered from; one created
// without them says so (nil), and an empty list stays an empty list.
func TestRecordKeepsItsValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	recs := []store.NewRecord{
		{ID: "c:+255712000001", CampaignID: "c", Account: "a", To: "+255712000001", Values: []string{"Amina", `say "hi"\n`, "🎉"}},
		{ID: "c:+255712000002", CampaignID: "c", Account: "a", To: "+255712000002", Values: []string{}},
		{ID: "c:+255712000003", CampaignID: "c", Account: "a", To: "+255712000003"},
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetMany(ctx, []string{recs[0].ID, recs[1].ID, recs[2].ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs[0].Values, got[0].Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if got[1].Values == nil || len(got[1].Values) != 0 {
		t.Errorf("empty values read back as %#v, want an empty list", got[1].Values)
	}
	if got[2].Values != nil {
		t.Errorf("no values read back as %#v, want nil", got[2].Values)
	}
	// A re-import gives a record without values its values, and leaves
	// those of a record that has them.
	recs[0].Values, recs[2].Values = []string{"other"}, []string{"Chausiku"}
	if _, err := st.Create(ctx, []store.NewRecord{recs[0], recs[2]}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetMany(ctx, []string{recs[0].ID, recs[2].ID})
	if got[0].Values[0] != "Amina" || len(got[1].Values) != 1 || got[1].Values[0] != "Chausiku" {
		t.Errorf("after a re-import: %q and %q", got[0].Values, got[1].Values)
	}
}

// Outcomes from a pending state count in the rate series; receipts and
// moves back to queued do not. The rate is counted from the first outcome
// in the window.
func TestCampaignRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := sharedtest.NewClock(time.UnixMilli(1_800_000_000_000)) // on a bucket boundary
	st := newStore(t, clock.Now)
	if r, err := st.CampaignRate(ctx, "c", time.Minute); err != nil || r != 0 {
		t.Fatalf("rate of nothing: %v, %v", r, err)
	}
	for i := range 30 {
		ref := store.Ref{ID: fmt.Sprintf("c:+2557120%05d", i), CampaignID: "c", Account: "a"}
		must(t, createOne(ctx, st, ref))
		for _, to := range []message.Status{message.Sending, message.Queued, message.Sending, message.Accepted, message.Delivered} {
			if _, err := st.Transition(ctx, ref, to, store.Update{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Advance(10 * time.Second)
	r, err := st.CampaignRate(ctx, "c", time.Minute)
	if err != nil || math.Abs(r-3) > 1e-9 {
		t.Errorf("30 outcomes in 10 s: rate %v, %v; want 3/s", r, err)
	}
	clock.Advance(20 * time.Second)
	if r, _ := st.CampaignRate(ctx, "c", time.Minute); math.Abs(r-1) > 1e-9 {
		t.Errorf("30 outcomes in 30 s: rate %v; want 1/s", r)
	}
	if r, _ := st.CampaignRate(ctx, "other", time.Minute); r != 0 {
		t.Errorf("another campaign's rate %v, want 0", r)
	}
}

// AccountPending sums queued and sending over one account's campaigns.
func TestAccountPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	add := func(campaign, account string, n int) {
		if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: campaign, Account: account, Spec: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			ref := store.Ref{ID: fmt.Sprintf("%s:+2557120%05d", campaign, i), CampaignID: campaign}
			must(t, createOne(ctx, st, ref))
		}
	}
	add("a1", "tj", 5)
	add("a2", "tj", 3)
	add("b1", "meta", 7)
	// One of a1's is sending, one has an outcome.
	if _, err := st.Transition(ctx, store.Ref{ID: "a1:+255712000000", CampaignID: "a1"}, message.Sending, store.Update{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, store.Ref{ID: "a1:+255712000001", CampaignID: "a1"}, message.Expired, store.Update{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		account, except string
		want            int64
	}{{"tj", "", 7}, {"tj", "a2", 4}, {"meta", "", 7}, {"none", "", 0}} {
		if got, err := st.AccountPending(ctx, c.account, c.except); err != nil || got != c.want {
			t.Errorf("AccountPending(%s, except %q) = %d, %v; want %d", c.account, c.except, got, err, c.want)
		}
	}
}

// The error budget is stored with the campaign; pausing for it happens
// once, keeps a baseline, and a requeue takes the outcomes it removes out
// of the baseline too.
func TestErrorBudgetBaseline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	b := &store.ErrorBudget{MaxFailureRatio: 0.25, MinOutcomes: 4}
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "c", Account: "a", Spec: []byte("{}"), ErrorBudget: b}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.Campaign(ctx, "c"); err != nil || !cmp.Equal(c.ErrorBudget, b) {
		t.Fatalf("campaign's budget %+v, %v; want %+v", c.ErrorBudget, err, b)
	}
	var refs []store.Ref
	for i := range 4 {
		ref := store.Ref{ID: fmt.Sprintf("c:+2557120%05d", i), CampaignID: "c"}
		refs = append(refs, ref)
		must(t, createOne(ctx, st, ref))
		to, u := message.Accepted, store.Update{}
		if i < 2 {
			to, u = message.Failed, store.Update{ErrorCode: "503", Retryable: true}
		}
		for _, s := range []message.Status{message.Sending, to} {
			if _, err := st.Transition(ctx, ref, s, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	bs, err := st.CampaignBudget(ctx, "c")
	if err != nil || bs.Failed != 2 || bs.Outcomes != 4 || bs.State != store.CampaignActive {
		t.Fatalf("budget status %+v, %v", bs, err)
	}
	if ok, err := st.PauseForBudget(ctx, "c", "error budget", bs.Failed, bs.Outcomes); !ok || err != nil {
		t.Fatalf("pause for budget: %v, %v", ok, err)
	}
	if ok, _ := st.PauseForBudget(ctx, "c", "again", 2, 4); ok {
		t.Error("a paused campaign was paused for its budget again")
	}
	if s, _ := st.CampaignState(ctx, "c"); s.State != store.CampaignPaused || s.Reason != "error budget" {
		t.Errorf("state %+v", s)
	}
	bs, _ = st.CampaignBudget(ctx, "c")
	if f, o := bs.Since(); f != 0 || o != 0 {
		t.Errorf("since the pause: %d failed of %d, want 0 of 0", f, o)
	}
	if _, err := st.Requeue(ctx, refs[0], message.Failed); err != nil {
		t.Fatal(err)
	}
	bs, _ = st.CampaignBudget(ctx, "c")
	if bs.BaseFailed != 1 || bs.BaseOutcomes != 3 || bs.Failed != 1 || bs.Outcomes != 3 {
		t.Errorf("after a requeue: %+v, want base and counts 1 failed of 3", bs)
	}
	if c, _ := st.CampaignBudget(ctx, "nope"); c.Budget != nil {
		t.Errorf("a missing campaign has budget %+v", c.Budget)
	}
}
