package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// uploadCSV uploads apiSpec with id and account replaced, and csv as its
// recipients.
func (a *apiEnv) uploadCSV(t *testing.T, id, account, csv string) {
	t.Helper()
	spec := strings.Replace(strings.Replace(apiSpec, "spring", id, 1), "tujenge-main", account, 1)
	if g := a.upload(t, "", formPart{"spec", "", "", spec}, formPart{"recipients", "r.csv", "", csv}); g.status != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", id, g.status, g.body)
	}
}

// move claims campaign message (campaign, to) and moves it on to each
// status of to in turn, with u on the last move.
func (a *apiEnv) move(t *testing.T, campaign, to string, u store.Update, path ...message.Status) {
	t.Helper()
	ref := store.Ref{ID: message.CampaignMessageID(campaign, to), CampaignID: campaign, Account: "tujenge-main"}
	_, err := a.h.St.Transition(bg, ref, message.Sending, store.Update{From: message.Queued, IncAttempts: true})
	must(t, err)
	for i, s := range path {
		var upd store.Update
		if i == len(path)-1 {
			upd = u
		}
		_, err := a.h.St.Transition(bg, ref, s, upd)
		must(t, err)
	}
}

const threeRecipients = "phone,name\n+255712345678,Amina\n+255712345679,Baraka\n+255712345680,Chausiku\nbad,D\n"

// The list answers every campaign, newest first, and keeps what passes
// ?state= and ?account=; another state is 422.
func TestCampaignList(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	list := func(query string) []string {
		t.Helper()
		g := a.get(t, "/v1/campaigns"+query)
		if g.status != http.StatusOK {
			t.Fatalf("GET /v1/campaigns%s: %d %s", query, g.status, g.body)
		}
		if !strings.Contains(string(g.body), `"campaigns":[`) {
			t.Errorf("GET /v1/campaigns%s: %s, want campaigns as an array", query, g.body)
		}
		var l httpapi.CampaignList
		g.json(t, &l)
		ids := []string{}
		for _, c := range l.Campaigns {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := list(""); len(got) != 0 {
		t.Errorf("no campaign yet: %v", got)
	}
	a.uploadCSV(t, "spring", "tujenge-main", threeRecipients)
	a.h.Clock.Advance(time.Minute)
	a.uploadCSV(t, "autumn", "meta-main", threeRecipients)
	a.h.Clock.Advance(time.Minute)
	a.uploadCSV(t, "winter", "tujenge-main", threeRecipients)
	if g := a.postJSON(t, "/v1/campaigns/autumn/pause", `{"reason": "wrong coupon"}`, nil); g.status != http.StatusOK {
		t.Fatalf("pause: %d %s", g.status, g.body)
	}
	if g := a.do(t, http.MethodPost, "/v1/campaigns/winter/cancel", nil, nil); g.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", g.status, g.body)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"winter", "autumn", "spring"}},
		{"?state=active", []string{"spring"}},
		{"?state=paused", []string{"autumn"}},
		{"?state=cancelled", []string{"winter"}},
		{"?state=running", []string{"spring"}},
		{"?state=done", []string{"winter"}},
		{"?account=tujenge-main", []string{"winter", "spring"}},
		{"?account=meta-main&state=paused", []string{"autumn"}},
		{"?account=meta-main&state=active", []string{}},
		{"?account=nobody", []string{}},
	} {
		if diff := cmp.Diff(c.want, list(c.query)); diff != "" {
			t.Errorf("GET /v1/campaigns%s (-want +got):\n%s", c.query, diff)
		}
	}
	var l httpapi.CampaignList
	a.get(t, "/v1/campaigns?state=paused").json(t, &l)
	if c := l.Campaigns[0]; c.Account != "meta-main" || c.StateReason != "wrong coupon" || c.Total != 3 || c.Import.Rejected != 1 {
		t.Errorf("paused campaign in the list: %+v", c)
	}
	g := a.get(t, "/v1/campaigns?state=finished")
	if e := g.apiErr(t); g.status != http.StatusUnprocessableEntity || e.Field != "state" || !strings.Contains(e.Message, "finished") {
		t.Errorf("a state that is none: %d %+v", g.status, e)
	}
}

// The detail's funnel is the counts', its codes hold a failure with its
// meaning, and waiting says why it waits.
func TestCampaignDetail(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	a.uploadCSV(t, "spring", "tujenge-main", threeRecipients)
	a.move(t, "spring", "+255712345678", store.Update{}, message.Accepted, message.Sent, message.Delivered)
	a.move(t, "spring", "+255712345679", store.Update{ErrorCode: "131026", Error: "message undeliverable"}, message.Failed)
	detail := func() (producer.CampaignDetail, map[string]any) {
		t.Helper()
		g := a.get(t, "/v1/campaigns/spring/detail")
		if g.status != http.StatusOK {
			t.Fatalf("detail: %d %s", g.status, g.body)
		}
		var d producer.CampaignDetail
		var raw map[string]any
		g.json(t, &d)
		g.json(t, &raw)
		return d, raw
	}
	d, raw := detail()
	// The progress's fields and the detail's, in one object.
	for _, k := range []string{"id", "state", "counts", "eta_seconds", "done", "spec", "funnel", "codes", "waiting", "resendable"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("detail has no %q: %v", k, raw)
		}
	}
	wantCounts := store.Counts{message.Queued: 1, message.Delivered: 1, message.Failed: 1}
	if diff := cmp.Diff(wantCounts, d.Counts); diff != "" || d.ID != "spring" || d.Total != 3 || d.Pending != 1 {
		t.Errorf("detail progress %+v, counts (-want +got):\n%s", d.CampaignProgress, diff)
	}
	if want := (producer.Funnel{Total: 3, Accepted: 1, Sent: 1, Delivered: 1}); d.Funnel != want || d.Funnel != producer.FunnelOf(d.Counts) {
		t.Errorf("funnel %+v, want %+v (FunnelOf the counts %+v)", d.Funnel, want, producer.FunnelOf(d.Counts))
	}
	if d.Spec.ID != "spring" || d.Spec.Account != "tujenge-main" || d.Spec.Message.Text == nil || d.Spec.Message.Text.Body != "Hi {{name}}" {
		t.Errorf("detail spec %+v", d.Spec)
	}
	if diff := cmp.Diff(producer.Waiting{Holds: []producer.Hold{}, Limit: 80}, d.Waiting); diff != "" {
		t.Errorf("waiting of a running campaign (-want +got):\n%s", diff)
	}

	// Paused, campaign and account: waiting says both, with their reasons.
	if g := a.postJSON(t, "/v1/campaigns/spring/pause", `{"reason": "wrong coupon"}`, nil); g.status != http.StatusOK {
		t.Fatalf("pause: %d %s", g.status, g.body)
	}
	if g := a.postJSON(t, "/v1/accounts/tujenge-main/pause", `{"reason": "credit top-up"}`, nil); g.status != http.StatusOK {
		t.Fatalf("pause account: %d %s", g.status, g.body)
	}
	d, _ = detail()
	wantHolds := []producer.Hold{
		{Kind: producer.HoldCampaignPaused, Text: "the campaign is paused (wrong coupon)"},
		{Kind: producer.HoldAccountPaused, Text: "account tujenge-main is paused (credit top-up)"},
	}
	if diff := cmp.Diff(wantHolds, d.Waiting.Holds); diff != "" || d.Waiting.AtRateLimit {
		t.Errorf("waiting of a paused campaign on a paused account %+v (-want +got):\n%s", d.Waiting, diff)
	}

	if g := a.get(t, "/v1/campaigns/nope/detail"); g.status != http.StatusNotFound || g.apiErr(t).Code != "not_found" {
		t.Errorf("detail of an unknown campaign: %d %s", g.status, g.body)
	}

	want := []producer.CodeInfo{{CodeCount: store.CodeCount{Status: message.Failed, Code: "131026", Count: 1, Example: "message undeliverable"}}}
	if diff := cmp.Diff(want, d.Codes, cmpopts.IgnoreFields(producer.CodeInfo{}, "Meaning")); diff != "" || d.Codes[0].Meaning == "" || d.Resendable != 0 {
		t.Errorf("codes, resendable %d (-want +got):\n%s\nmeaning %q", d.Resendable, diff, d.Codes[0].Meaning)
	}
}

// The series answers its JSON shape, and its outcomes once the store
// counts them; a since that is no time is 422.
func TestCampaignSeries(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	a.uploadCSV(t, "spring", "tujenge-main", threeRecipients)
	a.move(t, "spring", "+255712345678", store.Update{}, message.Accepted)
	a.move(t, "spring", "+255712345679", store.Update{ErrorCode: "131026", Error: "message undeliverable"}, message.Failed)

	g := a.get(t, "/v1/campaigns/spring/series")
	var raw map[string]any
	g.json(t, &raw)
	if _, isList := raw["points"].([]any); g.status != http.StatusOK || raw["id"] != "spring" || raw["step_seconds"] != 10.0 || !isList || len(raw) != 3 {
		t.Errorf("series: %d %s; want id, step_seconds 10 and points as an array", g.status, g.body)
	}
	if g := a.get(t, "/v1/campaigns/spring/series?since="+t0.Add(time.Hour).Format(time.RFC3339)); g.status != http.StatusOK || !strings.Contains(string(g.body), `"points":[]`) {
		t.Errorf("series since an hour later: %d %s, want no point", g.status, g.body)
	}
	for _, since := range []string{"yesterday", "2026-11-21", "2026-11-21T09:00:00"} {
		g := a.get(t, "/v1/campaigns/spring/series?since="+since)
		if e := g.apiErr(t); g.status != http.StatusUnprocessableEntity || e.Field != "since" {
			t.Errorf("since=%s: %d %+v", since, g.status, e)
		}
	}
	if g := a.get(t, "/v1/campaigns/nope/series"); g.status != http.StatusNotFound || g.apiErr(t).Code != "not_found" {
		t.Errorf("series of an unknown campaign: %d %s", g.status, g.body)
	}

	var s httpapi.CampaignSeries
	a.get(t, "/v1/campaigns/spring/series?since="+t0.Format(time.RFC3339)).json(t, &s)
	want := []store.SeriesPoint{{At: t0, Outcomes: 2, Failures: 1}}
	if diff := cmp.Diff(want, s.Points); diff != "" {
		t.Errorf("points (-want +got):\n%s", diff)
	}
}

// The rejects count every rejected row and list the kept ones with their
// line and the row as written.
func TestCampaignRejects(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	a.uploadCSV(t, "spring", "tujenge-main", "phone,name\n+255712345678,Amina\nbad,B\n12345,C\n")
	g := a.get(t, "/v1/campaigns/spring/rejects")
	var r httpapi.CampaignRejects
	g.json(t, &r)
	if g.status != http.StatusOK || r.ID != "spring" || r.Rejected != 2 || r.Rejects == nil {
		t.Errorf("rejects: %d %s; want 2 rejected and a list", g.status, g.body)
	}
	for _, limit := range []string{"-1", "x"} {
		g := a.get(t, "/v1/campaigns/spring/rejects?limit="+limit)
		if e := g.apiErr(t); g.status != http.StatusUnprocessableEntity || e.Field != "limit" {
			t.Errorf("limit=%s: %d %+v", limit, g.status, e)
		}
	}
	if g := a.get(t, "/v1/campaigns/nope/rejects"); g.status != http.StatusNotFound || g.apiErr(t).Code != "not_found" {
		t.Errorf("rejects of an unknown campaign: %d %s", g.status, g.body)
	}

	if len(r.Rejects) != 2 || r.Rejects[0].Line != 3 || r.Rejects[0].Row != "bad,B" || r.Rejects[1].Line != 4 || r.Rejects[1].Row != "12345,C" ||
		!strings.Contains(r.Rejects[1].Reason, `"12345"`) {
		t.Errorf("kept rejects %+v", r.Rejects)
	}
	var one httpapi.CampaignRejects
	a.get(t, "/v1/campaigns/spring/rejects?limit=1").json(t, &one)
	if one.Rejected != 2 || len(one.Rejects) != 1 || one.Rejects[0].Line != 3 {
		t.Errorf("rejects?limit=1: %+v", one)
	}
}

// A preview renders the first rows, lists the rejects with their lines,
// counts opt-outs and duplicates, and writes nothing.
func TestCampaignPreview(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	must(t, a.h.St.OptOut(bg, "tujenge-main", "+255712345679", "STOP"))
	csv := "phone,name\n+255712345678,Amina\n+255712345679,Baraka\nbad,C\n0712345680,Dora\n+255712345678,Amina\n"
	body, header := apiMultipart(t, formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", csv})
	g := a.do(t, http.MethodPost, "/v1/campaigns/preview", body, header)
	if g.status != http.StatusOK {
		t.Fatalf("preview: %d %s", g.status, g.body)
	}
	var pv producer.Preview
	g.json(t, &pv)
	want := producer.Preview{Campaign: "spring", Account: "tujenge-main",
		Rows: []producer.PreviewRow{
			{Line: 2, To: "+255712345678", Kind: "text", Text: "Hi Amina"},
			{Line: 5, To: "+255712345680", Kind: "text", Text: "Hi Dora"},
		},
		Rejects: []store.Reject{{Line: 4, Row: "bad,C"}},
		Lines:   5, Valid: 4, Rejected: 1, Duplicate: 1, OptedOut: 1, Messages: 2,
	}
	if diff := cmp.Diff(want, pv, cmpopts.IgnoreFields(producer.Preview{}, "Estimate"), cmpopts.IgnoreFields(store.Reject{}, "Reason")); diff != "" {
		t.Errorf("preview (-want +got):\n%s", diff)
	}
	if len(pv.Rejects) == 1 && !strings.Contains(pv.Rejects[0].Reason, `"bad"`) {
		t.Errorf("reject reason %q, want it to name the phone", pv.Rejects[0].Reason)
	}
	if e := pv.Estimate; e == nil || e.Rows != 2 || e.Rate != 80 || !e.Fits() {
		t.Errorf("estimate %+v, want 2 messages at 80/s, fitting", e)
	}

	// Nothing was written: no campaign, no task, no record.
	if g := a.get(t, "/v1/campaigns/spring"); g.status != http.StatusNotFound {
		t.Errorf("the previewed campaign: %d %s, want 404", g.status, g.body)
	}
	if got := a.get(t, "/v1/campaigns"); !strings.Contains(string(got.body), `"campaigns":[]`) {
		t.Errorf("campaigns after a preview: %s", got.body)
	}
	if n := len(a.h.Pending(t, message.LaneNormal)); n != 0 {
		t.Errorf("%d tasks after a preview", n)
	}
	if _, err := a.h.St.Get(bg, message.CampaignMessageID("spring", "+255712345678")); err == nil {
		t.Error("a record after a preview")
	}

	// A spec that cannot be used is refused as an upload would be.
	body, header = apiMultipart(t, formPart{"spec", "", "", strings.Replace(apiSpec, "tujenge-main", "nobody", 1)}, formPart{"recipients", "r.csv", "", csv})
	if g := a.do(t, http.MethodPost, "/v1/campaigns/preview", body, header); g.status != http.StatusUnprocessableEntity {
		t.Errorf("preview on an unknown account: %d %s", g.status, g.body)
	}
	// Once the campaign exists, the preview says so.
	a.uploadCSV(t, "spring", "tujenge-main", csv)
	body, header = apiMultipart(t, formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", csv})
	g = a.do(t, http.MethodPost, "/v1/campaigns/preview", body, header)
	pv = producer.Preview{}
	g.json(t, &pv)
	if g.status != http.StatusOK || !pv.Exists {
		t.Errorf("preview of an existing campaign: %d %s", g.status, g.body)
	}
}
