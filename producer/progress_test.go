package producer_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// CampaignProgress: counts, import stats, the rate of outcomes over the
// last minute and the ETA it gives; in JSON for the HTTP API.
func TestCampaignProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	clk := sharedtest.NewClock(t0)
	h.St = store.New(h.R.Client, store.Config{Prefix: h.R.Prefix, Now: clk.Now})
	p := h.Producer(producer.Config{Now: clk.Now})
	var csv strings.Builder
	csv.WriteString("phone,name,code\n")
	for i := range 10 {
		csv.WriteString("+2557120000" + string(rune('0'+i)) + "0,N,C\n")
	}
	csv.WriteString("not-a-phone,N,C\n")
	if _, err := p.Import(bg, textSpec("pg"), strings.NewReader(csv.String()), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	pr, err := p.CampaignProgress(bg, "pg")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Total != 10 || pr.Pending != 10 || pr.Rate != 0 || pr.ETA != 0 || pr.Done() || pr.Import.Accepted != 10 ||
		pr.Import.Rejected != 1 || pr.ImportRuns != 1 || pr.State != store.CampaignActive {
		t.Fatalf("before any send: %+v", pr)
	}
	// Five outcomes in 10 s: 0.5/s, and five pending take 10 s more.
	for i := range 5 {
		ref := store.Ref{ID: message.CampaignMessageID("pg", "+2557120000"+string(rune('0'+i))+"0"), CampaignID: "pg", Account: "tujenge-main"}
		to := message.Accepted
		if i == 4 {
			to = message.Failed
		}
		for _, s := range []message.Status{message.Sending, to} {
			if _, err := h.St.Transition(bg, ref, s, store.Update{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.Advance(10 * time.Second)
	pr, err = p.CampaignProgress(bg, "pg")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Pending != 5 || pr.Outcomes != 5 || math.Abs(pr.Rate-0.5) > 1e-9 || pr.ETA != 10*time.Second {
		t.Errorf("after five outcomes in 10 s: %+v", pr)
	}
	b, err := json.Marshal(pr)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": "pg", "account": "tujenge-main", "state": "active", "total": 10.0, "pending": 5.0,
		"outcomes": 5.0, "rate": 0.5, "eta_seconds": 10.0, "done": false, "fallbacks": 0.0, "import_runs": 1.0,
		"counts": map[string]any{"queued": 5.0, "accepted": 4.0, "failed": 1.0}} {
		if diff := cmp.Diff(want, got[k]); diff != "" {
			t.Errorf("JSON %s (-want +got):\n%s", k, diff)
		}
	}
	if imp, _ := got["import"].(map[string]any); imp["accepted"] != 10.0 || imp["rejected"] != 1.0 {
		t.Errorf("JSON import %v", got["import"])
	}

	// Paused: no ETA.
	if _, err := p.PauseCampaign(bg, "pg", "checking"); err != nil {
		t.Fatal(err)
	}
	pr, _ = p.CampaignProgress(bg, "pg")
	b, _ = json.Marshal(pr)
	if pr.ETA != 0 || pr.StateReason != "checking" || !strings.Contains(string(b), `"eta_seconds":null`) {
		t.Errorf("paused: %+v, %s", pr, b)
	}
	if _, err := p.CampaignProgress(bg, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown campaign: %v, want ErrNotFound", err)
	}
}
