package store_test

import (
	"context"
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

var pollT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// pollStores returns n stores on one Redis and prefix, as n pods see it,
// all on the clock now.
func pollStores(t *testing.T, n int, now func() time.Time) []*store.Store {
	t.Helper()
	r := storetest.New(t)
	out := make([]*store.Store, n)
	for i := range out {
		out[i] = store.New(r.Client, store.Config{Prefix: r.Prefix, Now: now})
	}
	return out
}

func claimedIDs(items []store.PollItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ProviderMessageID)
	}
	return out
}

func claim(t *testing.T, st *store.Store, now time.Time, max int, rate float64) []store.PollItem {
	t.Helper()
	items, err := st.ClaimPolls(context.Background(), "dt", now, max, rate, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestClaimPollsTakesOnlyDueIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pollStores(t, 1, sharedtest.NewClock(pollT0).Now)[0]
	must(t, st.SchedulePoll(ctx, "dt", "554", pollT0.Add(10*time.Second)))
	must(t, st.SchedulePoll(ctx, "dt", "555", pollT0.Add(20*time.Second)))
	must(t, st.SchedulePoll(ctx, "other", "556", pollT0)) // another account's

	if got := claim(t, st, pollT0.Add(9*time.Second), 10, 0); len(got) != 0 {
		t.Errorf("before anything is due: claimed %v", claimedIDs(got))
	}
	want := []store.PollItem{{ProviderMessageID: "554", Since: pollT0}}
	if diff := cmp.Diff(want, claim(t, st, pollT0.Add(10*time.Second), 10, 0)); diff != "" {
		t.Errorf("at the first due time (-want +got):\n%s", diff)
	}
	// 554 is leased for a minute; 555 comes due.
	if diff := cmp.Diff([]string{"555"}, claimedIDs(claim(t, st, pollT0.Add(20*time.Second), 10, 0))); diff != "" {
		t.Errorf("at the second due time (-want +got):\n%s", diff)
	}
	if n, err := st.PendingPolls(ctx, "dt"); err != nil || n != 2 {
		t.Errorf("PendingPolls = %d, %v; want 2 (claimed is not done)", n, err)
	}
}

// A claim leases its ids: another pod claiming at the same time gets none
// of them, and once the lease ends without a settlement (the claimer
// died) they are due again.
func TestClaimPollsLeaseHidesFromASecondClaimer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pods := pollStores(t, 2, sharedtest.NewClock(pollT0).Now)
	for i := range 5 {
		must(t, pods[0].SchedulePoll(ctx, "dt", fmt.Sprint(100+i), pollT0))
	}
	if got := claim(t, pods[0], pollT0, 3, 0); len(got) != 3 {
		t.Fatalf("first pod claimed %v, want 3", claimedIDs(got))
	}
	if diff := cmp.Diff([]string{"103", "104"}, claimedIDs(claim(t, pods[1], pollT0, 10, 0))); diff != "" {
		t.Errorf("second pod (-want +got):\n%s", diff)
	}
	if got := claim(t, pods[1], pollT0.Add(59*time.Second), 10, 0); len(got) != 0 {
		t.Errorf("within the lease: claimed %v", claimedIDs(got))
	}
	if got := claim(t, pods[1], pollT0.Add(time.Minute), 10, 0); len(got) != 5 {
		t.Errorf("after the lease: claimed %v, want all 5 again", claimedIDs(got))
	}
}

// The rate holds for the account across claimers: two pods claiming at
// once on one clock get a second's worth between them, and no more until
// the clock moves on.
func TestClaimPollsRateIsFleetWide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pods := pollStores(t, 2, sharedtest.NewClock(pollT0).Now)
	for i := range 40 {
		must(t, pods[0].SchedulePoll(ctx, "dt", fmt.Sprint(1000+i), pollT0))
	}
	claimAll := func(now time.Time) int {
		var wg sync.WaitGroup
		n := make([]int, len(pods))
		for i, st := range pods {
			wg.Go(func() {
				items, err := st.ClaimPolls(ctx, "dt", now, 50, 5, time.Hour)
				if err != nil {
					t.Error(err)
				}
				n[i] = len(items)
			})
		}
		wg.Wait()
		return n[0] + n[1]
	}
	steps := []struct {
		after time.Duration
		want  int
	}{
		{0, 5},                        // a second's worth at once
		{0, 0},                        // nothing more at the same instant
		{100 * time.Millisecond, 0},   // 1/rate is 200ms
		{200 * time.Millisecond, 1},   // one more every 200ms
		{1200 * time.Millisecond, 5},  // a second later: a second's worth
		{10 * time.Second, 5},         // idle for long: still one second's worth
		{10 * time.Second, 0},         // ...and no more
		{10200 * time.Millisecond, 1}, //
	}
	for _, s := range steps {
		if got := claimAll(pollT0.Add(s.after)); got != s.want {
			t.Errorf("at +%v: claimed %d, want %d", s.after, got, s.want)
		}
	}

	// Below one poll a second: one at a time, 1/rate apart.
	slow := pollStores(t, 1, sharedtest.NewClock(pollT0).Now)[0]
	for i := range 3 {
		must(t, slow.SchedulePoll(ctx, "dt", fmt.Sprint(i+1), pollT0))
	}
	for _, s := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {time.Second, 0}, {2 * time.Second, 1}} {
		if got := claim(t, slow, pollT0.Add(s.after), 10, 0.5); len(got) != s.want {
			t.Errorf("rate 0.5 at +%v: claimed %d, want %d", s.after, len(got), s.want)
		}
	}
	// rate ≤ 0: unlimited.
	if got := claim(t, pods[0], pollT0.Add(2*time.Hour), 100, 0); len(got) != 40 {
		t.Errorf("unlimited: claimed %d, want every due id (40)", len(got))
	}
}

func TestRescheduleAndDonePoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := sharedtest.NewClock(pollT0)
	st := pollStores(t, 1, clock.Now)[0]
	must(t, st.SchedulePoll(ctx, "dt", "554", pollT0.Add(10*time.Second)))
	clock.Set(pollT0.Add(5 * time.Second))
	// Scheduling again moves the due time, keeps the first-scheduled time.
	must(t, st.SchedulePoll(ctx, "dt", "554", pollT0.Add(20*time.Second)))
	if got := claim(t, st, pollT0.Add(19*time.Second), 10, 0); len(got) != 0 {
		t.Errorf("before the moved due time: claimed %v", claimedIDs(got))
	}
	claim(t, st, pollT0.Add(20*time.Second), 10, 0)
	must(t, st.ReschedulePoll(ctx, "dt", "554", pollT0.Add(time.Minute), message.Delivered))
	want := []store.PollItem{{ProviderMessageID: "554", Since: pollT0, Last: message.Delivered}}
	if diff := cmp.Diff(want, claim(t, st, pollT0.Add(time.Minute), 10, 0)); diff != "" {
		t.Errorf("rescheduled (-want +got):\n%s", diff)
	}
	// "" keeps the last status.
	must(t, st.ReschedulePoll(ctx, "dt", "554", pollT0.Add(2*time.Minute), ""))
	if diff := cmp.Diff(want, claim(t, st, pollT0.Add(2*time.Minute), 10, 0)); diff != "" {
		t.Errorf("rescheduled keeping the status (-want +got):\n%s", diff)
	}

	must(t, st.DonePoll(ctx, "dt", "554"))
	must(t, st.DonePoll(ctx, "dt", "554")) // again: no error
	// A reschedule racing a done does not bring the id back.
	must(t, st.ReschedulePoll(ctx, "dt", "554", pollT0.Add(3*time.Minute), message.Read))
	if got := claim(t, st, pollT0.Add(24*time.Hour), 10, 0); len(got) != 0 {
		t.Errorf("after DonePoll: claimed %v", claimedIDs(got))
	}
	if n, err := st.PendingPolls(ctx, "dt"); err != nil || n != 0 {
		t.Errorf("PendingPolls = %d, %v; want 0", n, err)
	}
	// Scheduled afresh, it starts afresh.
	must(t, st.SchedulePoll(ctx, "dt", "554", pollT0.Add(25*time.Hour)))
	if got := claim(t, st, pollT0.Add(25*time.Hour), 10, 0); len(got) != 1 || got[0].Last != "" || !got[0].Since.Equal(clock.Now()) {
		t.Errorf("scheduled again after done: %+v, want a fresh item since %v", got, clock.Now())
	}
}
