package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// Status, pause, resume and cancel through HTTP; an unknown campaign is
// 404 on every route, its report's included.
func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\nbad,C\n"})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	info := func() producer.CampaignProgress {
		t.Helper()
		g := a.get(t, "/v1/campaigns/spring")
		if g.status != 200 {
			t.Fatalf("GET campaign: %d %s", g.status, g.body)
		}
		var c producer.CampaignProgress
		g.json(t, &c)
		return c
	}
	c := info()
	want := producer.CampaignProgress{ID: "spring", Account: "tujenge-main", CreatedAt: t0, State: store.CampaignActive,
		Counts: store.Counts{message.Queued: 2}, Total: 2, Pending: 2, Import: store.ImportStats{Accepted: 2, Rejected: 1}, ImportRuns: 1}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("campaign (-want +got):\n%s", diff)
	}
	var raw map[string]any
	a.get(t, "/v1/campaigns/spring").json(t, &raw)
	if eta, ok := raw["eta_seconds"]; !ok || eta != nil || raw["done"] != false {
		t.Errorf("campaign eta_seconds %v (present %v), done %v; want null and false", eta, ok, raw["done"])
	}

	action := func(verb, body string) (int, httpapi.CampaignAction, httpapi.ErrorDetail) {
		t.Helper()
		var r io.Reader
		h := http.Header{}
		if body != "" {
			r = strings.NewReader(body)
			h.Set("Content-Type", "application/json")
		}
		g := a.do(t, http.MethodPost, "/v1/campaigns/spring/"+verb, r, h)
		var res httpapi.CampaignAction
		var e httpapi.ErrorDetail
		if g.status == 200 {
			g.json(t, &res)
		} else {
			e = g.apiErr(t)
		}
		return g.status, res, e
	}
	if s, r, _ := action("pause", `{"reason": "wrong coupon"}`); s != 200 || r.State != store.CampaignPaused || r.PreviousState != store.CampaignActive || !r.Changed || r.Cancelled != nil {
		t.Errorf("pause: %d %+v", s, r)
	}
	if s, r, _ := action("pause", ""); s != 200 || r.Changed {
		t.Errorf("pause again: %d %+v", s, r)
	}
	if c := info(); c.State != store.CampaignPaused || c.StateReason != "wrong coupon" || !c.StateSince.Equal(t0) {
		t.Errorf("paused campaign: %+v", c)
	}
	if s, _, e := action("pause", `{"why": 1}`); s != 400 || e.Field != "why" {
		t.Errorf("pause with an unknown field: %d %+v", s, e)
	}
	if s, r, _ := action("resume", ""); s != 200 || r.State != store.CampaignActive || r.PreviousState != store.CampaignPaused || !r.Changed {
		t.Errorf("resume: %d %+v", s, r)
	}
	if s, r, _ := action("cancel", ""); s != 200 || r.State != store.CampaignCancelled || r.Cancelled == nil || *r.Cancelled != 2 || *r.InFlight != 0 {
		t.Errorf("cancel: %d %+v", s, r)
	}
	for _, verb := range []string{"pause", "resume", "retry-failed"} {
		if s, _, e := action(verb, ""); s != 409 || e.Code != "campaign_cancelled" {
			t.Errorf("%s after cancel: %d %+v", verb, s, e)
		}
	}
	if c := info(); c.State != store.CampaignCancelled || c.Outcomes != 2 || c.Pending != 0 || c.Counts[message.Cancelled] != 2 {
		t.Errorf("cancelled campaign: %+v", c)
	}

	// An unknown campaign is 404 everywhere.
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/campaigns/nope"}, {"POST", "/v1/campaigns/nope/pause"}, {"POST", "/v1/campaigns/nope/resume"},
		{"POST", "/v1/campaigns/nope/cancel"}, {"POST", "/v1/campaigns/nope/retry-failed"}, {"GET", "/v1/campaigns/nope/report"},
	} {
		g := a.do(t, r.method, r.path, nil, nil)
		if e := g.apiErr(t); g.status != 404 || e.Code != "not_found" || !strings.Contains(e.Message, `"nope"`) {
			t.Errorf("%s %s: %d %+v", r.method, r.path, g.status, e)
		}
	}
}

func TestCampaignRetryFailed(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\n"})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	id := message.CampaignMessageID("spring", "+255712345678")
	_, err := a.h.St.Transition(bg, store.Ref{ID: id, CampaignID: "spring"}, message.Expired, store.Update{From: message.Queued, ErrorCode: "ttl"})
	must(t, err)
	g := a.do(t, http.MethodPost, "/v1/campaigns/spring/retry-failed", nil, nil)
	var res producer.RetryResult
	g.json(t, &res)
	want := producer.RetryResult{State: store.CampaignActive, Requeued: 1, Skipped: map[producer.SkipReason]int64{producer.SkipPending: 1}}
	if diff := cmp.Diff(want, res); g.status != 200 || diff != "" {
		t.Errorf("retry-failed: %d (-want +got):\n%s", g.status, diff)
	}
	rec, err := a.h.St.Get(bg, id)
	must(t, err)
	if rec.Status != message.Queued {
		t.Errorf("retried message is %s, want queued", rec.Status)
	}
}
