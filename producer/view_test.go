package producer_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// Preview tells what an import of the same spec and input does, and
// writes nothing: its counts are the import's.
func TestPreviewPredictsTheImportAndWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n" +
		"+255712345678,Amina,A1\n" + // 2
		"+25571234,Chausiku,C3\n" + // 3: invalid phone
		"+255712345679,<b>Baraka</b>,B2\n" + // 4
		"+255712345680,,D4\n" + // 5: empty value
		"+255712345678,Amina again,A1\n" + // 6: duplicate of line 2
		"+255712345681,Dora,E5\n" + // 7: opted out
		"+255712345682,Eli,F6\n" // 8
	p := h.Producer(producer.Config{BatchSize: 2})
	must(t, h.St.OptOut(bg, "tujenge-main", "+255712345681", "STOP"))

	pv, err := p.Preview(bg, textSpec("pv"), strings.NewReader(input), producer.PreviewOptions{Rows: 2, Rate: 10})
	must(t, err)
	if _, err := h.St.Campaign(bg, "pv"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("preview created the campaign: %v", err)
	}
	if n := len(h.Pending(t, message.LaneNormal)); n != 0 {
		t.Fatalf("preview enqueued %d tasks", n)
	}
	wantRows := []producer.PreviewRow{
		{Line: 2, To: "+255712345678", Kind: "text", Text: "Hi Amina, your code is A1"},
		{Line: 4, To: "+255712345679", Kind: "text", Text: "Hi <b>Baraka</b>, your code is B2"},
	}
	if diff := cmp.Diff(wantRows, pv.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	var lines []int64
	for _, r := range pv.Rejects {
		lines = append(lines, r.Line)
	}
	if diff := cmp.Diff([]int64{3, 5}, lines); diff != "" || !strings.Contains(pv.Rejects[0].Reason, "not a valid phone number") || pv.Rejects[0].Row != "+25571234,Chausiku,C3" {
		t.Errorf("rejects %+v (lines -want +got:\n%s)", pv.Rejects, diff)
	}
	if pv.Exists || pv.Estimate == nil || pv.Estimate.Rows != pv.Messages || pv.Estimate.Rate != 10 {
		t.Errorf("exists %v, estimate %+v", pv.Exists, pv.Estimate)
	}

	res, err := p.Import(bg, textSpec("pv"), strings.NewReader(input), producer.Options{})
	must(t, err)
	got := [5]int64{pv.Lines, pv.Rejected, pv.Duplicate, pv.OptedOut, pv.Messages}
	want := [5]int64{res.Lines, res.Rejected, res.Duplicate, res.OptedOut, res.Accepted}
	if got != want || got != [5]int64{7, 2, 1, 1, 3} {
		t.Errorf("preview lines, rejected, duplicate, opted out, messages = %v; the import's %v (want [7 2 1 1 3])", got, want)
	}
	again, err := p.Preview(bg, textSpec("pv"), strings.NewReader(input), producer.PreviewOptions{})
	must(t, err)
	if !again.Exists {
		t.Error("a preview of an imported campaign's spec does not say it exists")
	}
	other := textSpec("pv")
	other.Message.Text.Body = "Something else {{name}} {{code}}"
	var conflict *producer.CampaignConflictError
	if _, err := p.Preview(bg, other, strings.NewReader(input), producer.PreviewOptions{}); !errors.As(err, &conflict) {
		t.Errorf("preview of a taken id with another spec: %v, want a CampaignConflictError", err)
	}
}

// CampaignDetail reads the funnel from the counts and says what holds a
// campaign; ListCampaigns filters by state and account.
func TestCampaignDetailAndList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	input := "phone,name,code\n+255712345601,A,1\n+255712345602,B,2\n+255712345603,C,3\n+255712345604,D,4\n"
	_, err := p.Import(bg, textSpec("dt"), strings.NewReader(input), producer.Options{})
	must(t, err)
	ref := func(n string) store.Ref {
		return store.Ref{ID: message.CampaignMessageID("dt", "+2557123456"+n), CampaignID: "dt", Account: "tujenge-main"}
	}
	for _, step := range []struct {
		n  string
		to []message.Status
	}{
		{"01", []message.Status{message.Sending, message.Accepted, message.Delivered, message.Read}},
		{"02", []message.Status{message.Sending, message.Accepted, message.Sent}},
	} {
		for _, to := range step.to {
			_, err := h.St.Transition(bg, ref(step.n), to, store.Update{})
			must(t, err)
		}
	}
	d, err := p.CampaignDetail(bg, "dt", 50)
	must(t, err)
	if diff := cmp.Diff(producer.Funnel{Total: 4, Accepted: 2, Sent: 2, Delivered: 1, Read: 1}, d.Funnel); diff != "" {
		t.Errorf("funnel (-want +got):\n%s", diff)
	}
	if len(d.Waiting.Holds) != 0 || d.Spec.ID != "dt" {
		t.Errorf("waiting %+v, spec id %q", d.Waiting, d.Spec.ID)
	}

	_, err = p.PauseCampaign(bg, "dt", "checking <the> list")
	must(t, err)
	must(t, h.St.PauseAccount(bg, "tujenge-main", "credit: insufficient balance"))
	must(t, h.St.OpenBreaker(bg, "tujenge-main", t0.Add(time.Minute), "5 failures"))
	d, err = p.CampaignDetail(bg, "dt", 50)
	must(t, err)
	var kinds []string
	for _, hd := range d.Waiting.Holds {
		kinds = append(kinds, hd.Kind)
	}
	if diff := cmp.Diff([]string{producer.HoldCampaignPaused, producer.HoldAccountPaused, producer.HoldBreakerOpen}, kinds); diff != "" {
		t.Errorf("holds (-want +got):\n%s\n%+v", diff, d.Waiting.Holds)
	}
	if !strings.Contains(d.Waiting.Holds[0].Text, "checking <the> list") || !d.Waiting.Holds[2].Until.Equal(t0.Add(time.Minute)) {
		t.Errorf("holds %+v", d.Waiting.Holds)
	}

	_, err = p.Import(bg, &producer.Spec{ID: "dt2", Account: "other", Message: textSpec("x").Message}, strings.NewReader(input), producer.Options{})
	must(t, err)
	for f, want := range map[producer.CampaignFilter][]string{
		{}:                                {"dt", "dt2"},
		{State: "paused"}:                 {"dt"},
		{State: "running"}:                {"dt2"},
		{State: "done"}:                   nil,
		{Account: "other"}:                {"dt2"},
		{Account: "tujenge-main"}:         {"dt"},
		{State: "active", Account: "x"}:   nil,
		{State: "cancelled", Account: ""}: nil,
	} {
		cs, err := p.ListCampaigns(bg, f)
		must(t, err)
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("ListCampaigns(%+v) (-want +got):\n%s", f, diff)
		}
	}
}

// cmdCounter counts the Redis commands a client sends.
type cmdCounter struct{ n atomic.Int64 }

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// What the console and the API read of a campaign costs the same number
// of Redis commands for 2,000 recipients as for 5: counters, not scans.
func TestCampaignViewsCostTheSameWhateverTheSize(t *testing.T) {
	t.Parallel()
	var cost []int64
	for _, n := range []int{5, 2000} {
		h := newHarness(t) // one campaign per keyspace: the list costs the same too
		p := h.Producer(producer.Config{})
		id := "size" + strconv.Itoa(n)
		var b strings.Builder
		b.WriteString("phone,name,code\n")
		for i := range n {
			fmt.Fprintf(&b, "+2557%08d,N,C\n", i)
		}
		_, err := p.Import(bg, textSpec(id), strings.NewReader(b.String()), producer.Options{})
		must(t, err)
		for i := range 3 { // a few outcomes, so every counter exists
			ref := store.Ref{ID: message.CampaignMessageID(id, fmt.Sprintf("+2557%08d", i)), CampaignID: id, Account: "tujenge-main"}
			_, err := h.St.Transition(bg, ref, message.Sending, store.Update{})
			must(t, err)
			_, err = h.St.Transition(bg, ref, message.Failed, store.Update{ErrorCode: "131026", Error: "undeliverable"})
			must(t, err)
		}
		counter := &cmdCounter{}
		h.R.Client.AddHook(counter)
		if _, err := p.CampaignDetail(bg, id, 10); err != nil {
			t.Fatal(err)
		}
		if _, err := p.CampaignSeries(bg, id, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ListCampaigns(bg, producer.CampaignFilter{}); err != nil {
			t.Fatal(err)
		}
		cost = append(cost, counter.n.Load())
	}
	if cost[0] != cost[1] {
		t.Errorf("reading a campaign of 5 took %d Redis commands, of 2,000 %d: the views must read counters only", cost[0], cost[1])
	}
}
