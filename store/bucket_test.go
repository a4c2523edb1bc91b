package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// Records sharing a bucket: the bucket is kept while any of them is
// pending, and expires the retention after the last change once none is.
func TestBucketKeptWhileAnyRecordPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour})
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "bk", Account: "a", Spec: []byte("{}"), ExpectedRecipients: 100}); err != nil {
		t.Fatal(err)
	}
	// Two recipients in one bucket (100 expected: 16 buckets).
	byKey := map[string]string{}
	var pair [2]string
	for i := 0; pair[1] == ""; i++ {
		to := fmt.Sprintf("+2557120%05d", i)
		key, _, err := st.RecordKey(ctx, message.CampaignMessageID("bk", to))
		if err != nil {
			t.Fatal(err)
		}
		if first, ok := byKey[key]; ok {
			pair = [2]string{first, to}
		}
		byKey[key] = to
	}
	var recs []store.NewRecord
	for _, to := range pair {
		recs = append(recs, store.NewRecord{ID: message.CampaignMessageID("bk", to), CampaignID: "bk", Account: "a", To: to})
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	key, _, _ := st.RecordKey(ctx, recs[0].ID)
	ttl := func() time.Duration { return r.Client.PTTL(ctx, key).Val() }
	ref := func(i int) store.Ref { return store.Ref{ID: recs[i].ID, CampaignID: "bk", Account: "a"} }
	must(t, ignore(st.Transition(ctx, ref(0), message.Expired, store.Update{From: message.Queued})))
	if d := ttl(); d != -1 {
		t.Errorf("bucket with one record still queued: TTL %s, want none", d)
	}
	must(t, ignore(st.Transition(ctx, ref(1), message.Sending, store.Update{From: message.Queued})))
	must(t, ignore(st.Transition(ctx, ref(1), message.Failed, store.Update{ErrorCode: "131026"})))
	if d := ttl(); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("bucket with every record finished: TTL %s, want the retention", d)
	}
	// retry-failed of the expired one: pending again, kept again.
	if _, err := st.Requeue(ctx, ref(0), message.Expired); err != nil {
		t.Fatal(err)
	}
	if d := ttl(); d != -1 {
		t.Errorf("bucket after a retry: TTL %s, want none", d)
	}
	for i, want := range []message.Status{message.Queued, message.Failed} {
		rec, err := st.Get(ctx, recs[i].ID)
		if err != nil || rec.Status != want {
			t.Errorf("record %d: %+v, %v; want %s", i, rec, err, want)
		}
	}
}

// A record packs and unpacks every field, whatever its values hold.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	clock := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Now: func() time.Time { return clock }})
	vals := []string{"Amina \x1f Juma", "", "|=;\"{}", "日本語", strings.Repeat("x", 300)}
	id := message.CampaignMessageID("rt", "+255712000001")
	direct := "api:key\x1fwith sep"
	if _, err := st.Create(ctx, []store.NewRecord{
		{ID: id, CampaignID: "rt", Account: "acct", To: "+255712000001", Values: vals, Run: "run-1"},
		{ID: direct, Account: "acct", To: "+255712000002", Request: "hash-1"},
	}); err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{ID: id, CampaignID: "rt", Account: "acct"}
	clock = clock.Add(1500 * time.Millisecond)
	must(t, ignore(st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true})))
	clock = clock.Add(time.Second)
	must(t, ignore(st.Transition(ctx, ref, message.Failed, store.Update{ErrorCode: "ambiguous", Error: "timed out\x1fafter 10s", Retryable: true, Fallback: true})))
	if got, err := st.Get(ctx, id); err != nil || got.Error != "timed out after 10s" || got.ErrorCode != "ambiguous" {
		t.Errorf("failed record: %+v, %v; want the separator in the error turned into a space", got, err)
	}
	must(t, ignore(st.Transition(ctx, ref, message.Delivered, store.Update{ProviderMessageID: "wamid.HBgLMjU1NzEyMDAwMDAxFQIAERgSMEJDQjY0QjQ1RjQ1RDk4RjYA"})))
	got, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Record{ID: id, CampaignID: "rt", Account: "acct", To: "+255712000001", Status: message.Delivered,
		Attempts: 1, ProviderMessageID: "wamid.HBgLMjU1NzEyMDAwMDAxFQIAERgSMEJDQjY0QjQ1RjQ1RDk4RjYA",
		Fallback: true, Retryable: true, Values: vals,
		CreatedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), UpdatedAt: clock}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("campaign record (-want +got):\n%s", diff)
	}
	got, err = st.Get(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	if got.Account != "acct" || got.To != "+255712000002" || got.Status != message.Queued || got.CampaignID != "" {
		t.Errorf("direct record: %+v", got)
	}
	res, err := st.Create(ctx, []store.NewRecord{{ID: direct, Account: "acct", To: "+255712000002", Request: "hash-2"}})
	if err != nil || res[0].Created || res[0].Request != "hash-1" {
		t.Errorf("direct record again: %+v, %v; want the first request kept", res, err)
	}
	// A re-import in the same run is a duplicate, in another run already
	// present.
	res, err = st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "rt", Account: "acct", To: "+255712000001", Run: "run-2"}})
	if err != nil || res[0].Created || res[0].SameRun {
		t.Errorf("re-import in another run: %+v, %v", res, err)
	}
	res, err = st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "rt", Account: "acct", To: "+255712000001", Run: "run-2"}})
	if err != nil || !res[0].SameRun {
		t.Errorf("second sighting in one run: %+v, %v", res, err)
	}
}

// A campaign purged and created again under its ID with another bucket
// count is found by a store that cached the first count.
func TestCampaignCreatedAgainWithOtherBuckets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	a := store.New(r.Client, store.Config{Prefix: r.Prefix})
	b := store.New(r.Client, store.Config{Prefix: r.Prefix})
	id := message.CampaignMessageID("again", "+255712000001")
	rec := store.NewRecord{ID: id, CampaignID: "again", Account: "a", To: "+255712000001"}
	if _, _, err := a.SaveCampaign(ctx, store.Campaign{ID: "again", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, []store.NewRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, id); err != nil { // b caches the default count
		t.Fatal(err)
	}
	if _, err := a.PurgeCampaign(ctx, "again", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SaveCampaign(ctx, store.Campaign{ID: "again", Account: "a", Spec: []byte("{}"), ExpectedRecipients: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, []store.NewRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, id); err != nil {
		t.Errorf("read through a stale count: %v", err)
	}
	if _, err := b.Transition(ctx, store.Ref{ID: id, CampaignID: "again"}, message.Expired, store.Update{From: message.Queued}); err != nil {
		t.Errorf("move through a stale count: %v", err)
	}
	if _, err := a.Get(ctx, message.CampaignMessageID("again", "+255712000009")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a recipient never imported: %v, want ErrNotFound", err)
	}
}

// The bucket count follows the expected size.
func TestBucketsFor(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want int
	}{{0, store.DefaultBuckets}, {1, 16}, {100_000, 4096}, {10_000_000, 262144}, {1 << 40, 1 << 20}} {
		if got := store.BucketsFor(c.n); got != c.want {
			t.Errorf("BucketsFor(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// Keys of layout 2 (a hash per record, a string per provider id) are
// refused, then packed into layout 3 with their content and expiry.
func TestMigrateLayout2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	p := r.Prefix
	st := store.New(r.Client, store.Config{Prefix: p})
	directKey, _, _ := st.RecordKey(ctx, "api:k9") // the same name in both layouts
	old := r.Client.Pipeline()
	old.Set(ctx, p+"layout", "2", 0)
	old.HSet(ctx, p+"campaign:{two}", "id", "two", "account", "a", "spec", "{}", "created", "1")
	old.HSet(ctx, p+"msg:{two}:+255712000001", "id", "two:+255712000001", "campaign", "two", "account", "a",
		"to", "+255712000001", "status", "queued", "attempts", "0", "created", "1764928800000", "updated", "1764928800000",
		"run", "r1", "vals", `["Amina"]`)
	old.HSet(ctx, p+"msg:{two}:+255712000002", "id", "two:+255712000002", "campaign", "two", "account", "a",
		"to", "+255712000002", "status", "delivered", "attempts", "2", "created", "1764928800000", "updated", "1764928805000",
		"pmid", "pm-2", "fallback", "1", "retries", "1")
	old.PExpire(ctx, p+"msg:{two}:+255712000002", time.Hour)
	old.Set(ctx, p+"pmid:a:pm-2", "two:+255712000002", time.Hour)
	old.HSet(ctx, directKey, "id", "api:k9", "account", "a", "to", "+255712000003", "status", "failed",
		"attempts", "1", "created", "1764928800000", "updated", "1764928800000", "code", "131026", "error", "undeliverable", "req", "h9")
	if _, err := old.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckLayout(ctx); !errors.Is(err, store.ErrOldLayout) {
		t.Fatalf("CheckLayout over layout 2: %v, want ErrOldLayout", err)
	}
	n, err := st.MigrateLayout(ctx, nil)
	if err != nil || n != 4 {
		t.Fatalf("MigrateLayout: %d moves, %v; want 3 records and 1 provider id", n, err)
	}
	if n, err := st.MigrateLayout(ctx, nil); err != nil || n != 0 {
		t.Errorf("MigrateLayout again: %d moves, %v; want none", n, err)
	}
	if err := st.CheckLayout(ctx); err != nil {
		t.Fatalf("CheckLayout after the migration: %v", err)
	}
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	for _, want := range []*store.Record{
		{ID: "two:+255712000001", CampaignID: "two", Account: "a", To: "+255712000001", Status: message.Queued,
			Values: []string{"Amina"}, CreatedAt: at(1764928800000), UpdatedAt: at(1764928800000)},
		{ID: "two:+255712000002", CampaignID: "two", Account: "a", To: "+255712000002", Status: message.Delivered,
			Attempts: 2, ProviderMessageID: "pm-2", Fallback: true, Retries: 1, CreatedAt: at(1764928800000), UpdatedAt: at(1764928805000)},
		{ID: "api:k9", Account: "a", To: "+255712000003", Status: message.Failed, Attempts: 1, ErrorCode: "131026",
			Error: "undeliverable", CreatedAt: at(1764928800000), UpdatedAt: at(1764928800000)},
	} {
		got, err := st.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("%s after the migration: %v", want.ID, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s after the migration (-want +got):\n%s", want.ID, diff)
		}
	}
	if id, err := st.MessageByProviderID(ctx, "a", "pm-2"); err != nil || id != "two:+255712000002" {
		t.Errorf("provider id after the migration: %q, %v", id, err)
	}
	// The queued record's bucket never expires; the direct one keeps none
	// (it had none); no layout-2 key is left.
	key, _, _ := st.RecordKey(ctx, "two:+255712000001")
	if d := r.Client.PTTL(ctx, key).Val(); d != -1 {
		t.Errorf("bucket of a queued record: TTL %s", d)
	}
	keys, _ := r.Client.Keys(ctx, p+"*").Result()
	for _, k := range keys {
		if strings.Contains(k, ":+2557") || strings.HasPrefix(k, p+"pmid:") {
			t.Errorf("key %s left in layout 2", k)
		}
		if typ := r.Client.Type(ctx, k).Val(); strings.HasPrefix(k, p+"msg:{~") && typ != "string" {
			t.Errorf("direct record %s is a %s", k, typ)
		}
	}
}
