package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

func newStore(t *testing.T, now func() time.Time) *store.Store {
	t.Helper()
	r := storetest.New(t)
	return store.New(r.Client, store.Config{Prefix: r.Prefix, Now: now})
}

func TestCreateIsIdempotentAndTellsDuplicatesFromEarlierRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	rec := func(to, run string) store.NewRecord {
		return store.NewRecord{ID: message.CampaignMessageID("c1", to), CampaignID: "c1", Account: "a", To: to, Run: run}
	}
	got, err := st.Create(ctx, []store.NewRecord{rec("+255712000001", "r1"), rec("+255712000002", "r1"), rec("+255712000001", "r1")})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.CreateResult{{Created: true}, {Created: true}, {Status: message.Queued, SameRun: true}}
	for i := range want {
		if got[i].Created != want[i].Created || got[i].SameRun != want[i].SameRun {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// A second run sees both as already present, not duplicates.
	got, err = st.Create(ctx, []store.NewRecord{rec("+255712000001", "r2"), rec("+255712000002", "r2")})
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		if g.Created || g.SameRun || g.Status != message.Queued {
			t.Errorf("second run row %d: got %+v, want existing queued from another run", i, g)
		}
	}
	counts, err := st.CampaignCounts(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Counts{message.Queued: 2}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func TestTransitionsFollowTheTableAndMoveCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	ref := store.Ref{ID: "c2:+255712000009", CampaignID: "c2", Account: "acct"}
	if _, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: "c2", Account: "acct", To: "+255712000009"}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		to      message.Status
		upd     store.Update
		wantErr bool
	}{
		{message.Sending, store.Update{IncAttempts: true}, false},
		{message.Queued, store.Update{ErrorCode: "503", Error: "unavailable"}, false},
		{message.Sending, store.Update{IncAttempts: true}, false},
		{message.Accepted, store.Update{ProviderMessageID: "wamid.1"}, false},
		{message.Read, store.Update{}, false},
		{message.Sent, store.Update{}, true},      // a late "sent" never overwrites "read"
		{message.Sending, store.Update{}, true},   // never sent again
		{message.Delivered, store.Update{}, true}, // backwards
	}
	for i, s := range steps {
		_, err := st.Transition(ctx, ref, s.to, s.upd)
		if (err != nil) != s.wantErr {
			t.Fatalf("step %d → %s: err=%v, wantErr=%v", i, s.to, err, s.wantErr)
		}
		if s.wantErr && !store.IsTransitionError(err) {
			t.Fatalf("step %d: want a TransitionError, got %v", i, err)
		}
	}
	r, err := st.Get(ctx, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != message.Read || r.Attempts != 2 || r.ProviderMessageID != "wamid.1" || r.ErrorCode != "" {
		t.Errorf("record = %+v", r)
	}
	id, err := st.MessageByProviderID(ctx, "acct", "wamid.1")
	if err != nil || id != ref.ID {
		t.Errorf("MessageByProviderID = %q, %v", id, err)
	}
	counts, _ := st.CampaignCounts(ctx, "c2")
	if diff := cmp.Diff(store.Counts{message.Read: 1}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if _, err := st.Transition(ctx, store.Ref{ID: "nope"}, message.Sending, store.Update{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing record: err = %v, want ErrNotFound", err)
	}
}

// An ambiguous failure yields to the provider's definite answer; other
// failures do not.
func TestAmbiguousFailureYieldsToAcceptance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	for _, c := range []struct {
		code string
		ok   bool
		to   string
	}{{store.AmbiguousCode, true, "+255712000012"}, {"400", false, "+255712000013"}} {
		ref := store.Ref{ID: message.CampaignMessageID("c4", c.to), CampaignID: "c4", Account: "a"}
		if _, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: "c4", To: c.to}}); err != nil {
			t.Fatal(err)
		}
		must(t, ignore(st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})))
		must(t, ignore(st.Transition(ctx, ref, message.Failed, store.Update{ErrorCode: c.code})))
		_, err := st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: "wamid." + c.code})
		if (err == nil) != c.ok {
			t.Errorf("failed(%s) → accepted: err = %v, want allowed=%v", c.code, err, c.ok)
		}
	}
	counts, _ := st.CampaignCounts(ctx, "c4")
	if diff := cmp.Diff(store.Counts{message.Accepted: 1, message.Failed: 1}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func ignore(_ message.Status, err error) error { return err }

// Two workers racing to begin the same message: exactly one wins.
func TestConcurrentBeginHasOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	ref := store.Ref{ID: message.CampaignMessageID("c3", "+255712000010"), CampaignID: "c3"}
	if _, err := st.Create(ctx, []store.NewRecord{{ID: ref.ID, CampaignID: "c3", To: "+255712000010"}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev, err := st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})
			if err == nil && prev == message.Queued {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d workers moved queued → sending, want 1", wins)
	}
}

func TestWindowOnlyMovesForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	if open, _ := st.WindowOpen(ctx, "a", "", "+255712000011", t0); open {
		t.Fatal("window open with no inbound message")
	}
	must(t, st.SetLastInbound(ctx, "a", "", "+255712000011", t0))
	must(t, st.SetLastInbound(ctx, "a", "", "+255712000011", t0.Add(-time.Hour))) // late callback
	for _, c := range []struct {
		at   time.Time
		open bool
	}{{t0.Add(time.Minute), true}, {t0.Add(23*time.Hour + 59*time.Minute), true}, {t0.Add(24 * time.Hour), false}} {
		open, err := st.WindowOpen(ctx, "a", "", "+255712000011", c.at)
		must(t, err)
		if open != c.open {
			t.Errorf("at +%v: open=%v, want %v", c.at.Sub(t0), open, c.open)
		}
	}
	must(t, st.CloseWindow(ctx, "a", "", "+255712000011"))
	if open, _ := st.WindowOpen(ctx, "a", "", "+255712000011", t0.Add(time.Minute)); open {
		t.Error("window still open after CloseWindow")
	}
}

// A provider's refusal records the window closed (CloseWindow, at the
// Store's clock) until the contact writes again, or for Window at most;
// wabulk's own view (WindowOpen) stays closed until the contact writes.
func TestWindowClosedByTheProvider(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	st := newStore(t, func() time.Time { return t0 })
	const wrote, never = "+255712000021", "+255712000022"
	must(t, st.SetLastInbound(ctx, "a", "", wrote, t0.Add(-time.Hour)))
	for _, c := range []string{wrote, never} {
		if closed, err := st.WindowClosed(ctx, "a", "", c, t0); err != nil || closed {
			t.Errorf("%s before any refusal: WindowClosed %v, %v; want false", c, closed, err)
		}
		must(t, st.CloseWindow(ctx, "a", "", c))
	}
	for _, c := range []struct {
		at             time.Time
		closed, opened bool
	}{{t0, true, false}, {t0.Add(23*time.Hour + 59*time.Minute), true, false}, {t0.Add(store.Window), false, false}} {
		for _, contact := range []string{wrote, never} {
			closed, err := st.WindowClosed(ctx, "a", "", contact, c.at)
			must(t, err)
			open, err := st.WindowOpen(ctx, "a", "", contact, c.at)
			must(t, err)
			if closed != c.closed || open != c.opened {
				t.Errorf("%s at +%v: closed %v, open %v; want %v, %v", contact, c.at.Sub(t0), closed, open, c.closed, c.opened)
			}
		}
	}
	if _, ok, _ := st.LastInbound(ctx, "a", "", wrote); ok {
		t.Error("LastInbound still reports the inbound message the refusal closed")
	}
	// The contact writes: the window reopens, whatever the refusal's time.
	must(t, st.SetLastInbound(ctx, "a", "", wrote, t0.Add(-time.Minute)))
	if closed, _ := st.WindowClosed(ctx, "a", "", wrote, t0); closed {
		t.Error("still closed after an inbound message")
	}
	if open, _ := st.WindowOpen(ctx, "a", "", wrote, t0); !open {
		t.Error("not open after an inbound message")
	}
}

func TestEachMemberPagesInImportOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	var recs []store.NewRecord
	for i := range 1203 {
		to := fmt.Sprintf("+2557120%05d", i)
		recs = append(recs, store.NewRecord{ID: message.CampaignMessageID("big", to), CampaignID: "big", To: to})
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var seen []string
	must(t, st.EachMember(ctx, "big", 500, func(rs []*store.Record) error {
		for _, r := range rs {
			seen = append(seen, r.To)
		}
		return nil
	}))
	if len(seen) != len(recs) || seen[0] != recs[0].To || seen[len(seen)-1] != recs[len(recs)-1].To {
		t.Fatalf("saw %d members (first %v), want %d in import order", len(seen), seen[:1], len(recs))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The first pause reason stays; an open-until is only ever extended.
func TestAccountPauseAndOpenUntil(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	st := newStore(t, sharedtest.NewClock(t0).Now)
	must(t, st.PauseAccount(ctx, "a", "operator: invoice dispute"))
	must(t, st.PauseAccount(ctx, "a", "auth: 401"))
	must(t, st.OpenBreaker(ctx, "a", t0.Add(time.Minute), "outage"))
	must(t, st.OpenBreaker(ctx, "a", t0.Add(time.Second), "shorter"))
	got, err := st.Account(ctx, "a")
	must(t, err)
	if !got.Paused || got.PauseReason != "operator: invoice dispute" || !got.OpenUntil.Equal(t0.Add(time.Minute)) || got.OpenReason != "outage" {
		t.Fatalf("account state %+v", got)
	}
	must(t, st.ResumeAccount(ctx, "a"))
	if got, _ := st.Account(ctx, "a"); got.Paused || !got.OpenUntil.IsZero() {
		t.Fatalf("after resume: %+v", got)
	}
}
