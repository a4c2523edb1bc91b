package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// statsCampaign saves campaign id with n recipients on st and returns
// their refs.
func statsCampaign(t *testing.T, st *store.Store, id string, n int) []store.Ref {
	t.Helper()
	ctx := context.Background()
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: id, Account: "a", Spec: []byte("{}"), ExpectedRecipients: int64(n)}); err != nil {
		t.Fatal(err)
	}
	refs := make([]store.Ref, n)
	recs := make([]store.NewRecord, n)
	for i := range n {
		to := fmt.Sprintf("+25571%07d", i)
		refs[i] = store.Ref{ID: message.CampaignMessageID(id, to), CampaignID: id, Account: "a"}
		recs[i] = store.NewRecord{ID: refs[i].ID, CampaignID: id, Account: "a", To: to}
	}
	if _, err := st.Create(ctx, recs); err != nil {
		t.Fatal(err)
	}
	return refs
}

// ticking is a clock that moves 1 ms each time it is read, so that every
// move is later than the one before.
func ticking() func() time.Time {
	c := sharedtest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	return func() time.Time { return c.Advance(time.Millisecond) }
}

// send claims ref and moves it to status to with u.
func send(t *testing.T, st *store.Store, ref store.Ref, to message.Status, u store.Update) {
	t.Helper()
	ctx := context.Background()
	must(t, ignore(st.Transition(ctx, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true})))
	must(t, ignore(st.Transition(ctx, ref, to, u)))
}

// The codes count each terminal failure by (status, code, retryable),
// with the provider's last words, and forget what leaves: a retry-failed
// requeue, an ambiguous failure the provider took after all.
func TestCampaignCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, ticking())
	refs := statsCampaign(t, st, "codes", 12)
	for i := range 3 {
		send(t, st, refs[i], message.Failed, store.Update{ErrorCode: "131026", Error: fmt.Sprintf("undeliverable %d", i)})
	}
	send(t, st, refs[3], message.Failed, store.Update{ErrorCode: "503", Error: "gave up after 5 transient failures", Retryable: true})
	send(t, st, refs[4], message.Failed, store.Update{ErrorCode: "503", Error: "gave up after 5 transient failures: busy", Retryable: true})
	must(t, ignore(st.Transition(ctx, refs[5], message.Expired, store.Update{From: message.Queued})))
	send(t, st, refs[6], message.Failed, store.Update{ErrorCode: store.AmbiguousCode, Error: "timeout after the request was written"})
	send(t, st, refs[7], message.WindowClosed, store.Update{ErrorCode: "470", Error: "outside the 24-hour window"})
	send(t, st, refs[8], message.Accepted, store.Update{})
	// A receipt's failure of an accepted message counts too.
	must(t, ignore(st.Transition(ctx, refs[8], message.Failed, store.Update{ErrorCode: "131026", Error: "undeliverable by receipt"})))
	must(t, ignore(st.Transition(ctx, refs[9], message.Cancelled, store.Update{From: message.Queued, ErrorCode: "cancelled"})))

	got, err := st.CampaignCodes(ctx, "codes")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.CodeCount{
		{Status: message.Failed, Code: "131026", Count: 4, Example: "undeliverable by receipt"},
		{Status: message.Failed, Code: "503", Retryable: true, Count: 2, Example: "gave up after 5 transient failures: busy"},
		{Status: message.Expired, Code: "", Count: 1},
		{Status: message.Failed, Code: store.AmbiguousCode, Count: 1, Example: "timeout after the request was written"},
		{Status: message.WindowClosed, Code: "470", Count: 1, Example: "outside the 24-hour window"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}

	// The provider took the ambiguous one after all; retry-failed
	// requeues a retryable failure and the expiry.
	must(t, ignore(st.Transition(ctx, refs[6], message.Accepted, store.Update{})))
	res, err := st.RequeueMany(ctx, []store.Ref{refs[3], refs[5], refs[0]}, []message.Status{message.Failed, message.Expired, message.Failed})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || !store.IsTransitionError(res[2].Err) {
		t.Fatalf("requeue: %+v", res)
	}
	got, err = st.CampaignCodes(ctx, "codes")
	if err != nil {
		t.Fatal(err)
	}
	want = []store.CodeCount{
		{Status: message.Failed, Code: "131026", Count: 4, Example: "undeliverable by receipt"},
		{Status: message.Failed, Code: "503", Retryable: true, Count: 1, Example: "gave up after 5 transient failures: busy"},
		{Status: message.WindowClosed, Code: "470", Count: 1, Example: "outside the 24-hour window"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes after requeue and a late acceptance (-want +got):\n%s", diff)
	}
	// The requeued messages end again: one fails for good this time, the
	// other expires again (its code back from 0, listed once).
	send(t, st, refs[3], message.Failed, store.Update{ErrorCode: "131026", Error: "undeliverable at last"})
	must(t, ignore(st.Transition(ctx, refs[5], message.Expired, store.Update{From: message.Queued})))
	got, err = st.CampaignCodes(ctx, "codes")
	if err != nil {
		t.Fatal(err)
	}
	want = []store.CodeCount{
		{Status: message.Failed, Code: "131026", Count: 5, Example: "undeliverable at last"},
		{Status: message.Expired, Code: "", Count: 1},
		{Status: message.Failed, Code: "503", Retryable: true, Count: 1, Example: "gave up after 5 transient failures: busy"},
		{Status: message.WindowClosed, Code: "470", Count: 1, Example: "outside the 24-hour window"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes after the requeued ended again (-want +got):\n%s", diff)
	}
	// The codes agree with the counters.
	counts, err := st.CampaignCounts(ctx, "codes")
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[message.Status]int64{}
	for _, c := range got {
		byStatus[c.Status] += c.Count
	}
	for _, s := range []message.Status{message.Failed, message.Expired, message.WindowClosed} {
		if byStatus[s] != counts[s] {
			t.Errorf("%s: codes count %d, counters %d", s, byStatus[s], counts[s])
		}
	}
}

// An example is cut to 200 bytes, never inside a character; a code with
// a line break is still one code.
func TestCampaignCodesExampleAndOddCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t, nil)
	refs := statsCampaign(t, st, "odd", 3)
	long := strings.Repeat("é", 150) // 300 bytes
	send(t, st, refs[0], message.Failed, store.Update{ErrorCode: "a|b\nc", Error: long})
	send(t, st, refs[1], message.Failed, store.Update{ErrorCode: "a|b\nc", Error: long, Retryable: true})
	got, err := st.CampaignCodes(ctx, "odd")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("codes %+v, want 2", got)
	}
	for _, c := range got {
		if c.Code != "a|b c" || c.Count != 1 || len(c.Example) > 200 || len(c.Example) < 198 || !utf8.ValidString(c.Example) {
			t.Errorf("code %q count %d example of %d bytes (valid %v)", c.Code, c.Count, len(c.Example), utf8.ValidString(c.Example))
		}
	}
	if _, err := st.Requeue(ctx, refs[1], message.Failed); err != nil {
		t.Fatal(err)
	}
	if got, err := st.CampaignCodes(ctx, "odd"); err != nil || len(got) != 1 || got[0].Retryable {
		t.Errorf("after requeue: %+v, %v", got, err)
	}
}

// A part counts at most 100 distinct codes: the rest go under "other",
// and leave it again on requeue.
func TestCampaignCodesBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: 1})
	refs := statsCampaign(t, st, "many", 130)
	for i, ref := range refs[:120] {
		send(t, st, ref, message.Failed, store.Update{ErrorCode: fmt.Sprintf("req-%03d", i), Error: "e", Retryable: true})
	}
	got, err := st.CampaignCodes(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 101 || got[0].Code != "other" || got[0].Count != 20 || got[1].Count != 1 {
		t.Fatalf("%d codes, first %+v; want 101, other with 20", len(got), got[:min(2, len(got))])
	}
	// One counted under other, one under its own code.
	res, err := st.RequeueMany(ctx, []store.Ref{refs[119], refs[0]}, []message.Status{message.Failed, message.Failed})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("requeue: %+v, %v", res, err)
	}
	got, err = st.CampaignCodes(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || got[0].Code != "other" || got[0].Count != 19 {
		t.Errorf("after requeue: %d codes, first %+v; want 100, other with 19", len(got), got[0])
	}
	for _, c := range got {
		if c.Code == "req-000" {
			t.Errorf("req-000 still counted: %+v", c)
		}
	}
}

// The series counts each outcome from a pending state once, in the
// 10-second bucket of its time, failures apart; receipts do not count.
func TestCampaignSeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := sharedtest.NewClock(t0)
	st := newStore(t, clock.Now)
	refs := statsCampaign(t, st, "series", 10)
	send(t, st, refs[0], message.Accepted, store.Update{})
	send(t, st, refs[1], message.Accepted, store.Update{})
	clock.Advance(9 * time.Second)
	send(t, st, refs[2], message.Failed, store.Update{ErrorCode: "400"})
	clock.Advance(2 * time.Second) // 10:00:11
	must(t, ignore(st.Transition(ctx, refs[0], message.Delivered, store.Update{})))
	must(t, ignore(st.Transition(ctx, refs[3], message.Expired, store.Update{From: message.Queued})))
	send(t, st, refs[4], message.Accepted, store.Update{})
	clock.Advance(time.Minute) // 10:01:11
	send(t, st, refs[5], message.Read, store.Update{})
	must(t, ignore(st.Transition(ctx, refs[6], message.Sending, store.Update{From: message.Queued})))
	must(t, ignore(st.Transition(ctx, refs[6], message.Queued, store.Update{From: message.Sending})))

	got, err := st.CampaignSeries(ctx, "series", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SeriesPoint{
		{At: t0, Outcomes: 3, Failures: 1},
		{At: t0.Add(10 * time.Second), Outcomes: 2, Failures: 1},
		{At: t0.Add(70 * time.Second), Outcomes: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	counts, err := st.CampaignCounts(ctx, "series")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range got {
		sum += p.Outcomes
	}
	if sum != counts.Outcomes() {
		t.Errorf("series sums to %d outcomes, counters say %d", sum, counts.Outcomes())
	}
	// since drops older buckets, whether it lies near now or far back.
	for _, since := range []time.Time{t0.Add(15 * time.Second), t0.Add(-2 * time.Hour)} {
		got, err := st.CampaignSeries(ctx, "series", since)
		if err != nil {
			t.Fatal(err)
		}
		w := want
		if since.After(t0) {
			w = want[1:]
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("series since %s (-want +got):\n%s", since.Format(time.TimeOnly), diff)
		}
	}
}

// A campaign in 16 parts: codes and series summed over every part, kept
// as long as its counters once drained, and purged with it.
func TestCampaignStatsParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour, CampaignRetention: 2 * time.Hour, CampaignParts: 16, Now: ticking()})
	const id = "statparts"
	refs := statsCampaign(t, st, id, 400)
	must(t, st.AddCampaignRejects(ctx, id, []store.Reject{{Line: 2, Reason: "phone is empty", Row: ",Ann"}}))
	for i, ref := range refs {
		switch {
		case i%4 == 0:
			send(t, st, ref, message.Failed, store.Update{ErrorCode: "131026", Error: "undeliverable"})
		case i%10 == 1:
			send(t, st, ref, message.Failed, store.Update{ErrorCode: "503", Error: "busy", Retryable: true})
		case i%50 == 3:
			must(t, ignore(st.Transition(ctx, ref, message.Expired, store.Update{From: message.Queued})))
		default:
			send(t, st, ref, message.Accepted, store.Update{})
		}
	}
	counts, err := st.CampaignCounts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.CampaignCodes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.CodeCount{
		{Status: message.Failed, Code: "131026", Count: 100, Example: "undeliverable"},
		{Status: message.Failed, Code: "503", Retryable: true, Count: 40, Example: "busy"},
		{Status: message.Expired, Count: 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("codes over 16 parts (-want +got):\n%s", diff)
	}
	if counts[message.Failed] != 140 || counts[message.Expired] != 8 {
		t.Errorf("counts %v", counts)
	}
	series, err := st.CampaignSeries(ctx, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes, failures int64
	for _, p := range series {
		outcomes += p.Outcomes
		failures += p.Failures
	}
	if outcomes != 400 || failures != 148 {
		t.Errorf("series sums to %d outcomes, %d failures; want 400, 148", outcomes, failures)
	}
	// Drained: each part's stats expire with its counters.
	statsKeys := allKeys(t, r.Client, r.Prefix+"campaign:{"+id+"~*}:stats")
	if len(statsKeys) != 16 {
		t.Errorf("%d stats keys, want one per part: %v", len(statsKeys), statsKeys)
	}
	for _, k := range statsKeys {
		if d := r.Client.PTTL(ctx, k).Val(); d <= time.Hour || d > 2*time.Hour {
			t.Errorf("%s of a drained campaign: TTL %s, want the campaign retention", k, d)
		}
	}
	rejectsKey := r.Prefix + "campaign:{" + id + "}:rejects"
	if d := r.Client.PTTL(ctx, rejectsKey).Val(); d <= time.Hour || d > 2*time.Hour {
		t.Errorf("rejects of a drained campaign: TTL %s, want the campaign retention", d)
	}
	// Pending again after a retry: kept.
	if _, err := st.Requeue(ctx, refs[1], message.Failed); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{rejectsKey} {
		if d := r.Client.PTTL(ctx, k).Val(); d != -1 {
			t.Errorf("%s of a campaign pending again: TTL %s, want none", k, d)
		}
	}
	if got, err := st.CampaignCodes(ctx, id); err != nil || got[1].Count != 39 {
		t.Errorf("codes after a requeue: %+v, %v", got, err)
	}

	if _, err := st.PurgeCampaign(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	if left := allKeys(t, r.Client, r.Prefix+"*"); len(left) != 0 {
		t.Errorf("%d keys left after purge, e.g. %v", len(left), left[:min(5, len(left))])
	}
	if got, err := st.CampaignCodes(ctx, id); err != nil || len(got) != 0 {
		t.Errorf("codes of a purged campaign: %+v, %v", got, err)
	}
	if got, err := st.CampaignRejects(ctx, id, 0); err != nil || len(got) != 0 {
		t.Errorf("rejects of a purged campaign: %+v, %v", got, err)
	}
}

// A campaign saved before the stats existed has none (not counts that
// begin halfway through), and neither has one never created.
func TestCampaignStatsOfOlderCampaigns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	for _, parts := range []int{1, 4} {
		st := store.New(r.Client, store.Config{Prefix: r.Prefix, CampaignParts: parts})
		id := fmt.Sprintf("older%d", parts)
		refs := statsCampaign(t, st, id, 8)
		// What an earlier version's campaign looks like: no switch.
		keys := append(allKeys(t, r.Client, r.Prefix+"campaign:{"+id+"~*}"), r.Prefix+"campaign:{"+id+"}")
		for _, k := range keys {
			must(t, r.Client.HDel(ctx, k, "stats").Err())
		}
		for i, ref := range refs {
			send(t, st, ref, message.Failed, store.Update{ErrorCode: "503", Retryable: true, Error: fmt.Sprint(i)})
		}
		if _, err := st.Requeue(ctx, refs[0], message.Failed); err != nil {
			t.Fatal(err)
		}
		codes, err := st.CampaignCodes(ctx, id)
		if err != nil || len(codes) != 0 {
			t.Errorf("%d parts: codes %+v, %v; want none", parts, codes, err)
		}
		series, err := st.CampaignSeries(ctx, id, time.Time{})
		if err != nil || len(series) != 0 {
			t.Errorf("%d parts: series %+v, %v; want none", parts, series, err)
		}
		if k := allKeys(t, r.Client, r.Prefix+"campaign:{"+id+"*:stats"); len(k) != 0 {
			t.Errorf("%d parts: stats keys %v, want none", parts, k)
		}
	}
	st := newStore(t, nil)
	codes, err := st.CampaignCodes(ctx, "never")
	series, serr := st.CampaignSeries(ctx, "never", time.Time{})
	rejects, rerr := st.CampaignRejects(ctx, "never", 10)
	if err != nil || serr != nil || rerr != nil || len(codes)+len(series)+len(rejects) != 0 {
		t.Errorf("a campaign never created: %v %v %v, %v %v %v", codes, series, rejects, err, serr, rerr)
	}
}

// A campaign keeps its first 1,000 rejects, in order, cut to size, as long
// as its summary.
func TestCampaignRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Retention: time.Hour, CampaignRetention: 48 * time.Hour})
	if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: "rj", Account: "a", Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	batch := func(from, n int) []store.Reject {
		out := make([]store.Reject, n)
		for i := range out {
			out[i] = store.Reject{Line: int64(from + i), Reason: "phone is empty", Row: fmt.Sprintf(",row %d", from+i)}
		}
		return out
	}
	long := store.Reject{Line: 1, Reason: "row has 3 fields, the header has 2", Row: strings.Repeat("ü", 300)}
	must(t, st.AddCampaignRejects(ctx, "rj", []store.Reject{long}))
	must(t, st.AddCampaignRejects(ctx, "rj", batch(2, 600)))
	must(t, st.AddCampaignRejects(ctx, "rj", batch(602, 600)))
	must(t, st.AddCampaignRejects(ctx, "rj", batch(1202, 5)))
	got, err := st.CampaignRejects(ctx, "rj", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxKeptRejects {
		t.Fatalf("%d kept, want %d", len(got), store.MaxKeptRejects)
	}
	for i, rj := range got {
		if rj.Line != int64(i+1) {
			t.Fatalf("reject %d is line %d, want %d", i, rj.Line, i+1)
		}
	}
	if n := len(got[0].Row); n > 512 || n < 510 || !utf8.ValidString(got[0].Row) || got[0].Reason != long.Reason {
		t.Errorf("long row kept as %d bytes (valid %v), reason %q", n, utf8.ValidString(got[0].Row), got[0].Reason)
	}
	if diff := cmp.Diff(batch(2, 2), got[1:3]); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	if got, err := st.CampaignRejects(ctx, "rj", 3); err != nil || len(got) != 3 || got[2].Line != 3 {
		t.Errorf("first 3: %+v, %v", got, err)
	}
	// Expires with the summary: a campaign without messages expires
	// after the campaign retention.
	if d := r.Client.PTTL(ctx, r.Prefix+"campaign:{rj}:rejects").Val(); d <= 47*time.Hour || d > 48*time.Hour {
		t.Errorf("rejects TTL %s, want the summary's 48 h", d)
	}
}
