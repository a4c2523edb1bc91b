package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// One Create of records of two campaigns and outside campaigns, more than
// one script call holds for a part, with a repeat: each record is reported
// as if created alone and in order, the counters and member lists follow.
func TestCreateManyRecordsInOneCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	const big = 1205 // more than one script call's records
	var (
		recs    []store.NewRecord
		want    []store.CreateResult
		members []string
	)
	for i := range big {
		to := fmt.Sprintf("+2557120%05d", i)
		recs = append(recs, store.NewRecord{ID: message.CampaignMessageID("big", to), CampaignID: "big", Account: "a", To: to, Run: "r1", Values: []string{to}})
		want = append(want, store.CreateResult{Created: true, Status: message.Queued})
		members = append(members, to)
		switch i {
		case 7, 700:
			recs = append(recs, store.NewRecord{ID: fmt.Sprintf("api:k%d", i), Account: "a", To: to, Request: "h"})
			want = append(want, store.CreateResult{Created: true, Status: message.Queued, Request: "h"})
			recs = append(recs, store.NewRecord{ID: message.CampaignMessageID("small", to), CampaignID: "small", Account: "b", To: to, Run: "r1"})
			want = append(want, store.CreateResult{Created: true, Status: message.Queued})
		}
	}
	recs = append(recs, recs[0]) // seen again in the same run
	want = append(want, store.CreateResult{Status: message.Queued, SameRun: true})
	got, err := st.Create(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	for c, n := range map[string]int64{"big": big, "small": 2} {
		counts, err := st.CampaignCounts(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(store.Counts{message.Queued: n}, counts); diff != "" {
			t.Errorf("counts of %s (-want +got):\n%s", c, diff)
		}
	}
	var order []string
	if err := st.EachMember(ctx, "big", 500, func(rs []*store.Record) error {
		for _, r := range rs {
			if r.Account != "a" || len(r.Values) != 1 || r.Values[0] != r.To {
				t.Errorf("record %s: account %q values %v", r.ID, r.Account, r.Values)
			}
			order = append(order, r.To)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(members, order); diff != "" {
		t.Errorf("members of big in import order (-want +got):\n%s", diff)
	}
	// Seen by a later run: already present, not duplicates.
	later := append([]store.NewRecord(nil), recs[:3]...)
	for i := range later {
		later[i].Run = "r2"
	}
	again, err := st.Create(ctx, later)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Created || r.SameRun || r.Status != message.Queued {
			t.Errorf("later run, record %s: %+v", later[i].ID, r)
		}
	}
}
