package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// Pause and cancel hold the send claim in the same step as it is tried;
// resume lets it through; cancel is final.
func TestCampaignStateHoldsTheClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "c1", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"c1:+255712000001", "c1:+255712000002"}
	for _, id := range ids {
		if _, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "c1", Account: "a", To: id[3:]}}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(id string) error {
		_, err := st.Transition(ctx, store.Ref{ID: id, CampaignID: "c1", Account: "a"}, message.Sending, store.Update{From: message.Queued, IncAttempts: true})
		return err
	}
	if s, err := st.CampaignState(ctx, "c1"); err != nil || s.State != store.CampaignActive {
		t.Fatalf("new campaign state %+v, %v; want active", s, err)
	}

	if prev, err := st.SetCampaignState(ctx, "c1", store.CampaignPaused, "operator"); err != nil || prev != store.CampaignActive {
		t.Fatalf("pause: %s, %v", prev, err)
	}
	if _, err := st.SetCampaignState(ctx, "c1", store.CampaignPaused, "again"); err != nil {
		t.Fatalf("pausing a paused campaign: %v", err)
	}
	if s, _ := st.CampaignState(ctx, "c1"); s.State != store.CampaignPaused || s.Reason != "operator" || s.Since.IsZero() {
		t.Errorf("paused state %+v, want the first reason and a time", s)
	}
	if state, held := store.IsCampaignHeld(claim(ids[0])); !held || state != store.CampaignPaused {
		t.Fatalf("claim while paused: held=%v state=%s", held, state)
	}
	if r, _ := st.Get(ctx, ids[0]); r.Status != message.Queued || r.Attempts != 0 {
		t.Errorf("a held claim changed the record: %s, %d attempts", r.Status, r.Attempts)
	}
	// Other moves are not held: a paused campaign's message can still expire.
	if _, err := st.Transition(ctx, store.Ref{ID: ids[1], CampaignID: "c1"}, message.Expired, store.Update{From: message.Queued}); err != nil {
		t.Errorf("expire while paused: %v", err)
	}

	if _, err := st.SetCampaignState(ctx, "c1", store.CampaignActive, "resumed"); err != nil {
		t.Fatal(err)
	}
	if err := claim(ids[0]); err != nil {
		t.Fatalf("claim after resume: %v", err)
	}

	if _, err := st.SetCampaignState(ctx, "c1", store.CampaignCancelled, "operator"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCampaignState(ctx, "c1", store.CampaignActive, ""); !errors.Is(err, store.ErrCampaignCancelled) {
		t.Errorf("resume after cancel: %v, want ErrCampaignCancelled", err)
	}
	if _, err := st.SetCampaignState(ctx, "nope", store.CampaignPaused, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pause of an unknown campaign: %v, want ErrNotFound", err)
	}
	// Messages outside campaigns are never held.
	if _, err := st.Create(ctx, []store.NewRecord{{ID: "direct-1", Account: "a", To: "+255712000003"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, store.Ref{ID: "direct-1", Account: "a"}, message.Sending, store.Update{From: message.Queued}); err != nil {
		t.Errorf("claim of a direct message: %v", err)
	}
}
