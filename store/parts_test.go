package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// keySlot is Redis Cluster's slot of key (CRC-16/XMODEM of its hash tag,
// mod 16384), written from the Cluster specification.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	crc := 0
	for _, b := range []byte(key) {
		crc ^= int(b) << 8
		for range 8 {
			crc <<= 1
			if crc&0x10000 != 0 {
				crc ^= 0x11021
			}
		}
	}
	return crc % 16384
}

// A campaign split into 16 parts: its records land in 16 slots spread
// evenly over the slot space, and everything a user sees of it (counts,
// import order, pause, the error budget, retries, expiry once drained,
// purge) works across them.
func TestCampaignParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour, CampaignRetention: 2 * time.Hour, CampaignParts: 16})
	const id = "parts"
	budget := &store.ErrorBudget{MaxFailureRatio: 0.5, MinOutcomes: 1000}
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: id, Account: "a", Spec: []byte("{}"), ExpectedRecipients: 2000, ErrorBudget: budget}); err != nil {
		t.Fatal(err)
	}
	// 200 recipients, imported in four runs, in an order that is not
	// the numbers' order.
	var order []string
	for run := range 4 {
		var recs []store.NewRecord
		for i := range 50 {
			to := fmt.Sprintf("+2557120%05d", (run*50+i)*7919%10007)
			order = append(order, to)
			recs = append(recs, store.NewRecord{ID: message.CampaignMessageID(id, to), CampaignID: id, Account: "a", To: to, Run: fmt.Sprint(run)})
		}
		res, err := st.Create(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range res {
			if !c.Created {
				t.Fatalf("record %s not created: %+v", recs[i].ID, c)
			}
		}
	}
	ref := func(to string) store.Ref {
		return store.Ref{ID: message.CampaignMessageID(id, to), CampaignID: id, Account: "a"}
	}

	// The records' slots: 16, the p-th in the p-th sixteenth of the slots.
	slots := map[int]bool{}
	for _, to := range order {
		key, field, err := st.RecordKey(ctx, ref(to).ID)
		if err != nil || field != to {
			t.Fatalf("RecordKey(%s) = %s %s, %v", to, key, field, err)
		}
		slots[keySlot(key)] = true
	}
	var got []int
	for s := range slots {
		got = append(got, s/1024)
	}
	sort.Ints(got)
	if len(got) != 16 || got[0] != 0 || got[15] != 15 || len(slots) != 16 {
		t.Errorf("records in slot ranges %v, want one slot in each sixteenth", got)
	}

	// Import order survives the split.
	var listed []string
	if err := st.EachMember(ctx, id, 7, func(recs []*store.Record) error {
		for _, rec := range recs {
			listed = append(listed, rec.To)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(listed, ",") != strings.Join(order, ",") {
		t.Errorf("members out of import order:\n got %v\nwant %v", listed, order)
	}

	// A pause holds claims in every part; a resume lets them go.
	if _, err := st.SetCampaignState(ctx, id, store.CampaignPaused, "checking"); err != nil {
		t.Fatal(err)
	}
	for _, to := range order[:40] {
		_, err := st.Transition(ctx, ref(to), message.Sending, store.Update{From: message.Queued})
		if state, held := store.IsCampaignHeld(err); !held || state != store.CampaignPaused {
			t.Fatalf("claim of %s in a paused campaign: %v", to, err)
		}
	}
	if _, err := st.SetCampaignState(ctx, id, store.CampaignActive, ""); err != nil {
		t.Fatal(err)
	}
	// Every message gets an outcome: 150 accepted, 40 failed for good,
	// 10 expired.
	for i, to := range order {
		if i >= 190 {
			must(t, ignore(st.Transition(ctx, ref(to), message.Expired, store.Update{From: message.Queued})))
			continue
		}
		must(t, ignore(st.Transition(ctx, ref(to), message.Sending, store.Update{From: message.Queued})))
		if i < 150 {
			must(t, ignore(st.Transition(ctx, ref(to), message.Accepted, store.Update{ProviderMessageID: "p" + to})))
		} else {
			must(t, ignore(st.Transition(ctx, ref(to), message.Failed, store.Update{ErrorCode: "131026"})))
		}
	}
	counts, err := st.CampaignCounts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if counts[message.Accepted] != 150 || counts[message.Failed] != 40 || counts[message.Expired] != 10 || counts.Total() != 200 {
		t.Errorf("counts %v", counts)
	}
	if rate, err := st.CampaignRate(ctx, id, time.Minute); err != nil || rate <= 0 {
		t.Errorf("rate %v, %v", rate, err)
	}
	bs, err := st.CampaignBudget(ctx, id)
	if err != nil || bs.Failed != 40 || bs.Outcomes != 200 {
		t.Errorf("budget %+v, %v", bs, err)
	}
	if n, err := st.AccountPending(ctx, "a", ""); err != nil || n != 0 {
		t.Errorf("pending %d, %v", n, err)
	}
	// Drained: the summary expires after the campaign retention.
	campaignTTL := func() time.Duration { return r.Client.PTTL(ctx, r.Prefix+"campaign:{"+id+"}").Val() }
	if d := campaignTTL(); d <= time.Hour || d > 2*time.Hour {
		t.Errorf("drained campaign: TTL %s, want the campaign retention", d)
	}
	// Its parts' keys too: buckets and member lists after the retention,
	// counters and copies after the campaign retention.
	partKeys := append(allKeys(t, r.Client, r.Prefix+"campaign:{"+id+"~*"), allKeys(t, r.Client, r.Prefix+"msg:{"+id+"~*")...)
	if len(partKeys) < 16*4 {
		t.Errorf("%d keys of parts, want at least 64 (16 buckets, lists, counters, copies)", len(partKeys))
	}
	for _, k := range partKeys {
		d := r.Client.PTTL(ctx, k).Val()
		want := time.Hour
		if strings.HasSuffix(k, ":counts") || strings.HasSuffix(k, ":stats") || strings.HasSuffix(k, "}") {
			want = 2 * time.Hour
		}
		if strings.Contains(k, ":rate:") {
			want = 3 * time.Minute
		}
		if d <= 0 || d > want {
			t.Errorf("%s of a drained campaign: TTL %s, want at most %s", k, d, want)
		}
	}
	// A retry makes it pending again: kept, counted, and the budget
	// counts the outcome it lost.
	if _, err := st.Requeue(ctx, ref(order[195]), message.Expired); err != nil {
		t.Fatal(err)
	}
	if d := campaignTTL(); d != -1 {
		t.Errorf("campaign pending again: TTL %s, want none", d)
	}
	if n, err := st.AccountPending(ctx, "a", ""); err != nil || n != 1 {
		t.Errorf("pending after a retry %d, %v", n, err)
	}
	if _, err := st.Transition(ctx, ref(order[195]), message.Sending, store.Update{From: message.Queued}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, ref(order[195]), message.Accepted, store.Update{}); err != nil {
		t.Fatal(err)
	}
	if id2, err := st.MessageByProviderID(ctx, "a", "p"+order[3]); err != nil || id2 != ref(order[3]).ID {
		t.Errorf("receipt lookup: %q, %v", id2, err)
	}

	// Purge leaves nothing of it.
	n, err := st.PurgeCampaign(ctx, id, false)
	if err != nil || n != 200 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if left := allKeys(t, r.Client, r.Prefix+"*"); len(left) != 0 {
		t.Errorf("%d keys left after purge, e.g. %v", len(left), left[:min(5, len(left))])
	}
	if _, err := st.Campaign(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("purged campaign: %v", err)
	}
}

// A campaign created on a store without parts and read by one with parts
// (or the other way round) is found where it is: the shape is the
// campaign's, not the reader's.
func TestCampaignPartsFollowTheCampaign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	one := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: 1})
	many := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: 16})
	for _, c := range []struct {
		id             string
		writer, reader *store.Store
	}{{"by-one", one, many}, {"by-many", many, one}} {
		if _, _, err := c.writer.SaveCampaign(ctx, store.Campaign{ID: c.id, Account: "a", Spec: []byte("{}"), ExpectedRecipients: 1000}); err != nil {
			t.Fatal(err)
		}
		var recs []store.NewRecord
		for i := range 30 {
			to := fmt.Sprintf("+2557130%05d", i)
			recs = append(recs, store.NewRecord{ID: message.CampaignMessageID(c.id, to), CampaignID: c.id, Account: "a", To: to})
		}
		if _, err := c.writer.Create(ctx, recs); err != nil {
			t.Fatal(err)
		}
		ref := store.Ref{ID: recs[7].ID, CampaignID: c.id, Account: "a"}
		if _, err := c.reader.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued}); err != nil {
			t.Fatalf("%s: claim by the other store: %v", c.id, err)
		}
		counts, err := c.writer.CampaignCounts(ctx, c.id)
		if err != nil || counts[message.Sending] != 1 || counts[message.Queued] != 29 {
			t.Errorf("%s: counts %v, %v", c.id, counts, err)
		}
		// A re-import by the other store finds every record present.
		res, err := c.reader.Create(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if x.Created {
				t.Errorf("%s: re-import by the other store created a record again", c.id)
				break
			}
		}
	}
}

// A keyspace of layout 3 (every campaign in one slot) is refused until
// `wabulk migrate` marks it: nothing moves, and its campaigns read as
// campaigns of one part.
func TestMigrateLayout3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	old := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: 1})
	if _, _, err := old.SaveCampaign(ctx, store.Campaign{ID: "l3", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	to := "+255712000077"
	if _, err := old.Create(ctx, []store.NewRecord{{ID: message.CampaignMessageID("l3", to), CampaignID: "l3", Account: "a", To: to}}); err != nil {
		t.Fatal(err)
	}
	r.Client.Set(ctx, r.Prefix+"layout", "3", 0)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: 16})
	if err := st.CheckLayout(ctx); !errors.Is(err, store.ErrOldLayout) {
		t.Fatalf("layout 3: %v, want ErrOldLayout", err)
	}
	n, err := st.MigrateLayout(ctx, nil)
	if err != nil || n != 0 {
		t.Fatalf("migrate: %d keys moved, %v; want 0", n, err)
	}
	if err := st.CheckLayout(ctx); err != nil {
		t.Fatal(err)
	}
	if v := r.Client.Get(ctx, r.Prefix+"layout").Val(); v != fmt.Sprint(store.LayoutVersion) {
		t.Errorf("layout mark %q", v)
	}
	rec, err := st.Get(ctx, message.CampaignMessageID("l3", to))
	if err != nil || rec.Status != message.Queued || rec.Account != "a" {
		t.Errorf("record of layout 3: %+v, %v", rec, err)
	}
}
