package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// A finished message's record and provider-id entry expire after the
// retention, a queued one never; the campaign's last outcome starts the
// expiry of its member list (retention) and summary (campaign retention),
// and a retry makes everything pending again.
func TestRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	// One part: the key names below are a single slot's (TestCampaignParts
	// checks a campaign in parts).
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour, CampaignRetention: 48 * time.Hour, CampaignParts: 1})
	ttl := func(key string) time.Duration {
		t.Helper()
		d, err := r.Client.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "ret", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	camp := r.Prefix + "campaign:{ret}"
	if d := ttl(camp); d <= 47*time.Hour {
		t.Errorf("a new campaign without messages: TTL %s, want the campaign retention", d)
	}
	tos := []string{"+255712000001", "+255712000002"}
	var recs []store.NewRecord
	for _, to := range tos {
		recs = append(recs, store.NewRecord{ID: message.CampaignMessageID("ret", to), CampaignID: "ret", Account: "a", To: to})
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	msg := func(i int) string {
		key, field, err := st.RecordKey(ctx, recs[i].ID)
		if err != nil || field != tos[i] {
			t.Fatalf("RecordKey(%s): %s %q, %v", recs[i].ID, key, field, err)
		}
		return key
	}
	if msg(0) == msg(1) {
		t.Fatal("both recipients share a bucket: pick others")
	}
	for _, k := range []string{camp, camp + ":counts", camp + ":members", msg(0), msg(1)} {
		if d := ttl(k); d != -1 {
			t.Errorf("%s with messages pending: TTL %s, want none", k, d)
		}
	}
	ref := func(i int) store.Ref { return store.Ref{ID: recs[i].ID, CampaignID: "ret", Account: "a"} }
	must(t, ignore(st.Transition(ctx, ref(0), message.Sending, store.Update{From: message.Queued})))
	must(t, ignore(st.Transition(ctx, ref(0), message.Accepted, store.Update{ProviderMessageID: "pm-1"})))
	if d := ttl(msg(0)); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("accepted record: TTL %s, want the retention (1h)", d)
	}
	idx := allKeys(t, r.Client, r.Prefix+"pmidx:a:*")
	if len(idx) != 1 {
		t.Fatalf("provider-id index buckets: %v, want one", idx)
	}
	// Kept the retention after the end of its day.
	if d := ttl(idx[0]); d <= 59*time.Minute || d > 25*time.Hour {
		t.Errorf("provider-id bucket: TTL %s, want the retention after the end of today", d)
	}
	if id, err := st.MessageByProviderID(ctx, "a", "pm-1"); err != nil || id != recs[0].ID {
		t.Errorf("MessageByProviderID: %q, %v", id, err)
	}
	if d := ttl(camp + ":members"); d != -1 {
		t.Errorf("members while one message is queued: TTL %s, want none", d)
	}
	must(t, ignore(st.Transition(ctx, ref(1), message.Expired, store.Update{From: message.Queued, ErrorCode: "ttl"})))
	if d := ttl(camp + ":members"); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("members of a drained campaign: TTL %s, want the retention", d)
	}
	for _, k := range []string{camp, camp + ":counts"} {
		if d := ttl(k); d <= 47*time.Hour {
			t.Errorf("%s of a drained campaign: TTL %s, want the campaign retention (48h)", k, d)
		}
	}
	// retry-failed: pending again, kept again.
	if _, err := st.Requeue(ctx, ref(1), message.Expired); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{camp, camp + ":counts", camp + ":members", msg(1)} {
		if d := ttl(k); d != -1 {
			t.Errorf("%s after a retry: TTL %s, want none", k, d)
		}
	}
}

// A claim that the replicas do not confirm is undone: the record is
// queued again and the caller told not to send.
func TestUnconfirmedClaimIsUndone(t *testing.T) {
	t.Parallel()
	if !storetest.Real() {
		t.Skip("WAIT needs a real Redis")
	}
	ctx := context.Background()
	r := storetest.New(t)
	// More replicas than any test topology has.
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, ConfirmReplicas: 9, ConfirmTimeout: 50 * time.Millisecond})
	id := message.CampaignMessageID("wait", "+255712000001")
	if _, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "wait", Account: "a", To: "+255712000001"}}); err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{ID: id, CampaignID: "wait"}
	_, err := st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true})
	if !store.IsUnconfirmed(err) {
		t.Fatalf("claim with 9 replicas asked: %v, want ErrUnconfirmed", err)
	}
	rec, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != message.Queued || rec.ErrorCode != "unconfirmed" {
		t.Errorf("record after an unconfirmed claim: %s (%s), want queued (unconfirmed)", rec.Status, rec.ErrorCode)
	}
	counts, _ := st.CampaignCounts(ctx, "wait")
	if diff := cmp.Diff(store.Counts{message.Queued: 1}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// Other moves never wait.
	if _, err := st.Transition(ctx, ref, message.Expired, store.Update{From: message.Queued}); err != nil {
		t.Errorf("an unclaimed move waited for replicas: %v", err)
	}
}

// Behind Sentinel, the master's replica confirms claims.
func TestClaimConfirmedByTheReplica(t *testing.T) {
	t.Parallel()
	if storetest.Mode() != "sentinel" {
		t.Skip("needs the Sentinel form (WABULK_TEST_REDIS_MODE=sentinel): a master with a replica")
	}
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, ConfirmReplicas: 1, ConfirmTimeout: 2 * time.Second})
	id := message.CampaignMessageID("wait", "+255712000001")
	if _, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "wait", Account: "a", To: "+255712000001"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, store.Ref{ID: id, CampaignID: "wait"}, message.Sending, store.Update{From: message.Queued}); err != nil {
		t.Fatalf("claim confirmed by 1 replica: %v", err)
	}
}

// Keys of layout 1 are found, refused, and migrated in place.
func TestMigrateLayout(t *testing.T) {
	t.Parallel()
	if storetest.Mode() == "cluster" {
		t.Skip("layout 1 never ran on a Cluster")
	}
	ctx := context.Background()
	r := storetest.New(t)
	p := r.Prefix
	// What layout 1 wrote for one campaign message, one API message and an opt-out.
	old := r.Client.Pipeline()
	old.HSet(ctx, p+"msg:spring:+255712000001", "id", "spring:+255712000001", "campaign", "spring", "account", "a",
		"to", "+255712000001", "status", "queued", "attempts", "0", "created", "1", "updated", "1")
	old.HSet(ctx, p+"msg:api:k1", "id", "api:k1", "account", "a", "to", "+255712000002", "status", "accepted",
		"attempts", "1", "created", "1", "updated", "1", "pmid", "pm-1")
	old.HSet(ctx, p+"campaign:spring", "id", "spring", "account", "a", "spec", "{}", "created", "1")
	old.HSet(ctx, p+"campaign:spring:counts", "queued", 1)
	old.HSet(ctx, p+"campaign:_direct:counts", "accepted", 1)
	old.RPush(ctx, p+"campaign:spring:members", "+255712000001")
	old.HSet(ctx, p+"optout:a", "+255712000003", "1|STOP")
	old.HSet(ctx, p+"optout-changed:a", "+255712000003", "1")
	old.ZAdd(ctx, p+"campaigns", redis.Z{Score: 1, Member: "spring"})
	if _, err := old.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	st := store.New(r.Client, store.Config{Prefix: p})
	if err := st.CheckLayout(ctx); !errors.Is(err, store.ErrOldLayout) {
		t.Fatalf("CheckLayout over layout 1: %v, want ErrOldLayout", err)
	}
	n, err := st.MigrateLayout(ctx, nil)
	if err != nil || n != 10 {
		t.Fatalf("MigrateLayout: %d moves, %v; want 8 keys renamed and 2 records packed", n, err)
	}
	if err := st.CheckLayout(ctx); err != nil {
		t.Fatalf("CheckLayout after the migration: %v", err)
	}
	rec, err := st.Get(ctx, "spring:+255712000001")
	if err != nil || rec.Status != message.Queued {
		t.Fatalf("campaign record after the migration: %+v, %v", rec, err)
	}
	if rec, err := st.Get(ctx, "api:k1"); err != nil || rec.ProviderMessageID != "pm-1" {
		t.Fatalf("API record after the migration: %+v, %v", rec, err)
	}
	counts, _ := st.CampaignCounts(ctx, "spring")
	direct, _ := st.CampaignCounts(ctx, "")
	if counts[message.Queued] != 1 || direct[message.Accepted] != 1 {
		t.Errorf("counts after the migration: campaign %v, direct %v", counts, direct)
	}
	if out, err := st.OptedOut(ctx, "a", "+255712000003"); err != nil || !out {
		t.Errorf("opt-out after the migration: %v, %v", out, err)
	}
	var members int
	if err := st.EachMember(ctx, "spring", 0, func(rs []*store.Record) error { members += len(rs); return nil }); err != nil || members != 1 {
		t.Errorf("members after the migration: %d, %v", members, err)
	}
	// Nothing of layout 1 is left.
	keys, _ := r.Client.Keys(ctx, p+"*").Result()
	for _, k := range keys {
		if rest := strings.TrimPrefix(k, p); !strings.Contains(rest, "{") && rest != "campaigns" && rest != "layout" && !strings.HasPrefix(rest, "pmid:") {
			t.Errorf("key %s left in layout 1", k)
		}
	}
}

// On a Cluster, campaigns spread over the masters.
func TestCampaignsSpreadOverTheMasters(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	cc, ok := r.Client.(*redis.ClusterClient)
	if !ok {
		t.Skip("needs the Cluster form (WABULK_TEST_REDIS_MODE=cluster)")
	}
	ctx := context.Background()
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	const n = 60
	var recs []store.NewRecord
	for i := range n {
		c := "spread-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		recs = append(recs, store.NewRecord{ID: message.CampaignMessageID(c, "+255712000001"), CampaignID: c, Account: "a", To: "+255712000001"})
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		per []int
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, r.Prefix+"msg:*").Result()
		mu.Lock() // ForEachMaster calls this on every master at once
		defer mu.Unlock()
		per = append(per, len(keys))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range per {
		if k == 0 || k > n*2/3 {
			t.Errorf("records per master %v: want every master to hold some and none most", per)
			break
		}
	}
}

// Purge deletes a drained campaign at once, and refuses a pending one
// unless forced.
func TestPurgeCampaign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "gone", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	var refs []store.Ref
	for _, to := range []string{"+255712000001", "+255712000002"} {
		id := message.CampaignMessageID("gone", to)
		if _, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: "gone", Account: "a", To: to}}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, store.Ref{ID: id, CampaignID: "gone", Account: "a"})
	}
	must(t, ignore(st.Transition(ctx, refs[0], message.Sending, store.Update{From: message.Queued})))
	must(t, ignore(st.Transition(ctx, refs[0], message.Accepted, store.Update{ProviderMessageID: "pm-gone"})))
	if _, err := st.PurgeCampaign(ctx, "gone", false); !errors.Is(err, store.ErrCampaignPending) {
		t.Fatalf("purge with a message queued: %v, want ErrCampaignPending", err)
	}
	must(t, ignore(st.Transition(ctx, refs[1], message.Cancelled, store.Update{From: message.Queued})))
	n, err := st.PurgeCampaign(ctx, "gone", false)
	if err != nil || n != 2 {
		t.Fatalf("purge: %d records, %v; want 2", n, err)
	}
	for _, ref := range refs {
		if _, err := st.Get(ctx, ref.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("record %s after the purge: %v, want ErrNotFound", ref.ID, err)
		}
	}
	if _, err := st.MessageByProviderID(ctx, "a", "pm-gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("provider-id entry after the purge: %v, want ErrNotFound", err)
	}
	if _, err := st.Campaign(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("campaign after the purge: %v, want ErrNotFound", err)
	}
	ids, _ := st.Campaigns(ctx)
	for _, id := range ids {
		if id == "gone" {
			t.Errorf("purged campaign still listed")
		}
	}
	if _, err := st.PurgeCampaign(ctx, "gone", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second purge: %v, want ErrNotFound", err)
	}
}

// allKeys returns the keys matching pattern on every master.
func allKeys(t *testing.T, c redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		keys, err := c.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	var (
		mu  sync.Mutex
		out []string
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, pattern).Result()
		mu.Lock()
		out = append(out, keys...)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
