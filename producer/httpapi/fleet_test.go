package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/scheduler"
)

// The accounts in the config's order with their rates and load; one by
// name; pause with a reason and resume; a check where the credentials are
// not at hand says so.
func TestAccounts(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	a.uploadCSV(t, "spring", "tujenge-main", threeRecipients)
	g := a.get(t, "/v1/accounts")
	var l httpapi.AccountList
	g.json(t, &l)
	want := []fleet.Account{
		{Name: "tujenge-main", Kind: "tujenge", Rate: 80, CurrentRate: 80, Factor: 1, Breaker: "closed", Pending: 3},
		{Name: "meta-main", Kind: "meta", Rate: 80, CurrentRate: 80, Factor: 1, Breaker: "closed", Checkable: true},
	}
	if diff := cmp.Diff(want, l.Accounts); g.status != http.StatusOK || diff != "" {
		t.Errorf("accounts: %d (-want +got):\n%s", g.status, diff)
	}
	account := func(name string) fleet.Account {
		t.Helper()
		g := a.get(t, "/v1/accounts/"+name)
		if g.status != http.StatusOK {
			t.Fatalf("GET account %s: %d %s", name, g.status, g.body)
		}
		var acc fleet.Account
		g.json(t, &acc)
		return acc
	}
	if diff := cmp.Diff(want[0], account("tujenge-main")); diff != "" {
		t.Errorf("one account (-want +got):\n%s", diff)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/accounts/nope"}, {"POST", "/v1/accounts/nope/pause"}, {"POST", "/v1/accounts/nope/resume"}, {"POST", "/v1/accounts/nope/check"},
	} {
		g := a.do(t, r.method, r.path, nil, nil)
		if e := g.apiErr(t); g.status != http.StatusNotFound || e.Code != "not_found" || !strings.Contains(e.Message, `"nope"`) {
			t.Errorf("%s %s: %d %+v", r.method, r.path, g.status, e)
		}
	}

	g = a.postJSON(t, "/v1/accounts/tujenge-main/pause", `{"reason": "credit top-up"}`, nil)
	var acc fleet.Account
	g.json(t, &acc)
	if g.status != http.StatusOK || !acc.Paused || acc.PauseReason != "credit top-up" || !acc.PausedAt.Equal(t0) {
		t.Errorf("pause: %d %+v", g.status, acc)
	}
	if acc := account("tujenge-main"); !acc.Paused || acc.PauseReason != "credit top-up" {
		t.Errorf("paused account: %+v", acc)
	}
	st, err := a.h.St.Account(bg, "tujenge-main")
	must(t, err)
	if !st.Paused {
		t.Errorf("the store's account is not paused: %+v", st)
	}
	if acc := account("meta-main"); acc.Paused {
		t.Errorf("the other account was paused too: %+v", acc)
	}
	if g := a.postJSON(t, "/v1/accounts/tujenge-main/pause", `{"why": "x"}`, nil); g.status != http.StatusBadRequest || g.apiErr(t).Field != "why" {
		t.Errorf("pause with an unknown field: %d %s", g.status, g.body)
	}
	g = a.do(t, http.MethodPost, "/v1/accounts/tujenge-main/resume", nil, nil)
	acc = fleet.Account{}
	g.json(t, &acc)
	if g.status != http.StatusOK || acc.Paused || acc.PauseReason != "" {
		t.Errorf("resume: %d %+v", g.status, acc)
	}
	if st, err := a.h.St.Account(bg, "tujenge-main"); err != nil || st.Paused {
		t.Errorf("the store's account after resume: %+v %v", st, err)
	}

	check := func(name string) fleet.CheckResult {
		t.Helper()
		g := a.do(t, http.MethodPost, "/v1/accounts/"+name+"/check", nil, nil)
		if g.status != http.StatusOK {
			t.Fatalf("check %s: %d %s", name, g.status, g.body)
		}
		var r fleet.CheckResult
		g.json(t, &r)
		return r
	}
	if r := check("tujenge-main"); r.Account != "tujenge-main" || r.Verdict != fleet.VerdictNotCheckable || r.OK || !strings.Contains(r.Detail, "wabulk provider check tujenge-main") || !r.At.Equal(t0) {
		t.Errorf("check of an account not checkable here: %+v", r)
	}
	if r := check("meta-main"); r.Account != "meta-main" || r.Verdict != "works" || !r.OK {
		t.Errorf("check of a checkable account: %+v", r)
	}
}

// The jobs with their next fire times and last occurrences, the
// occurrence that became a campaign with its progress.
func TestSchedules(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	a.h.Clock.Set(t0.Add(time.Hour)) // 10:00; the job fires at 09:00 UTC
	fired := scheduler.OccurrenceID("remind", t0)
	a.uploadCSV(t, fired, "tujenge-main", "phone,name\n+255712345678,Amina\n")

	g := a.get(t, "/v1/schedules")
	var l httpapi.ScheduleList
	g.json(t, &l)
	if g.status != http.StatusOK || len(l.Jobs) != 1 {
		t.Fatalf("schedules: %d %s", g.status, g.body)
	}
	j := l.Jobs[0]
	if j.ID != "remind" || j.Cron != "0 9 * * *" || j.Timezone != "UTC" || j.Account != "tujenge-main" || j.Audience != "/srv/remind.csv" {
		t.Errorf("job %+v", j)
	}
	var next []time.Time
	for d := 1; d <= 5; d++ {
		next = append(next, t0.AddDate(0, 0, d))
	}
	if diff := cmp.Diff(next, j.Next); diff != "" {
		t.Errorf("next fire times (-want +got):\n%s", diff)
	}
	if len(j.Last) != 5 {
		t.Fatalf("last occurrences: %+v", j.Last)
	}
	if o := j.Last[0]; !o.Fire.Equal(t0) || o.Campaign != fired || o.Progress == nil || o.Progress.ID != fired || o.Progress.Total != 1 {
		t.Errorf("the latest occurrence %+v, want %s with its campaign's progress", o, fired)
	}
	if o := j.Last[1]; !o.Fire.Equal(t0.AddDate(0, 0, -1)) || o.Campaign != scheduler.OccurrenceID("remind", o.Fire) || o.Progress != nil {
		t.Errorf("the occurrence before, never expanded: %+v", o)
	}
	if strings.Contains(string(g.body), `"progress":null`) {
		t.Errorf("an occurrence without a campaign writes progress null, want it left out: %s", g.body)
	}
}

// Opt-outs: an invalid number adds nothing, a valid one is listed and
// found by its digits, and is removed.
func TestOptOuts(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	list := func(query string) fleet.OptOuts {
		t.Helper()
		g := a.get(t, "/v1/optouts/tujenge-main"+query)
		if g.status != http.StatusOK {
			t.Fatalf("GET opt-outs%s: %d %s", query, g.status, g.body)
		}
		var o fleet.OptOuts
		g.json(t, &o)
		return o
	}
	add := func(body string) apiAnswer {
		t.Helper()
		return a.postJSON(t, "/v1/optouts/tujenge-main", body, nil)
	}
	for _, body := range []string{`{"number": "12345"}`, `{"number": "not a number"}`, `{"number": "0712345678"}`} {
		g := add(body)
		if e := g.apiErr(t); g.status != http.StatusUnprocessableEntity || e.Field != "number" {
			t.Errorf("add %s: %d %+v", body, g.status, e)
		}
	}
	if o := list(""); o.Total != 0 || len(o.Entries) != 0 {
		t.Errorf("after invalid numbers: %+v", o)
	}

	g := add(`{"number": "0712345678", "region": "TZ", "reason": "asked by phone"}`)
	var ch httpapi.OptOutChange
	g.json(t, &ch)
	if want := (httpapi.OptOutChange{Account: "tujenge-main", Contact: "+255712345678", OptedOut: true}); g.status != http.StatusOK || ch != want {
		t.Errorf("add: %d %+v, want %+v", g.status, ch, want)
	}
	if g := add(`{"number": "+255 700 000 001"}`); g.status != http.StatusOK {
		t.Errorf("add a second: %d %s", g.status, g.body)
	}
	if out, err := a.h.St.OptedOut(bg, "tujenge-main", "+255712345678"); err != nil || !out {
		t.Errorf("the store has it opted out: %v %v", out, err)
	}
	if out, err := a.h.St.OptedOut(bg, "meta-main", "+255712345678"); err != nil || out {
		t.Errorf("the other account has it opted out too: %v %v", out, err)
	}

	o := list("?q=712+345") // "712 345"
	if o.Total != 2 || o.Query != "712345" || len(o.Entries) != 1 || o.Entries[0].Contact != "+255712345678" || o.Entries[0].Reason != "asked by phone" || !o.Entries[0].At.Equal(t0) {
		t.Errorf("search by digits: %+v", o)
	}
	if o := list(""); o.Total != 2 || len(o.Entries) != 2 || o.Entries[0].Contact != "+255700000001" || o.Entries[0].Reason != "added by an operator" {
		t.Errorf("every opt-out: %+v", o)
	}
	if o := list("?limit=1"); o.Total != 2 || len(o.Entries) != 1 {
		t.Errorf("limit=1: %+v", o)
	}
	if g := a.get(t, "/v1/optouts/tujenge-main?limit=0"); g.status != http.StatusUnprocessableEntity || g.apiErr(t).Field != "limit" {
		t.Errorf("limit=0: %d %s", g.status, g.body)
	}

	g = a.do(t, http.MethodDelete, "/v1/optouts/tujenge-main/+255712345678", nil, nil)
	ch = httpapi.OptOutChange{}
	g.json(t, &ch)
	if want := (httpapi.OptOutChange{Account: "tujenge-main", Contact: "+255712345678"}); g.status != http.StatusOK || ch != want {
		t.Errorf("delete: %d %+v, want %+v", g.status, ch, want)
	}
	if o := list(""); o.Total != 1 || len(o.Entries) != 1 || o.Entries[0].Contact != "+255700000001" {
		t.Errorf("after delete: %+v", o)
	}
	if out, err := a.h.St.OptedOut(bg, "tujenge-main", "+255712345678"); err != nil || out {
		t.Errorf("the store still has it opted out: %v %v", out, err)
	}
	if g := a.do(t, http.MethodDelete, "/v1/optouts/tujenge-main/12345", nil, nil); g.status != http.StatusUnprocessableEntity || g.apiErr(t).Field != "number" {
		t.Errorf("delete an invalid number: %d %s", g.status, g.body)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/optouts/nope"}, {"POST", "/v1/optouts/nope"}, {"DELETE", "/v1/optouts/nope/+255712345678"},
	} {
		h := http.Header{"Content-Type": {"application/json"}}
		g := a.do(t, r.method, r.path, strings.NewReader(`{"number": "+255712345678"}`), h)
		if e := g.apiErr(t); g.status != http.StatusNotFound || e.Code != "not_found" {
			t.Errorf("%s %s: %d %+v", r.method, r.path, g.status, e)
		}
	}
}

// Without a Fleet the accounts, schedules and opt-outs routes are not
// served here.
func TestFleetRoutesWithoutFleet(t *testing.T) {
	t.Parallel()
	a := newAPIEnvFleet(t, httpapi.Config{}, nil)
	for _, path := range []string{"/v1/accounts", "/v1/accounts/tujenge-main", "/v1/schedules", "/v1/optouts/tujenge-main"} {
		g := a.get(t, path)
		if e := g.apiErr(t); g.status != http.StatusNotFound || e.Code != "no_such_endpoint" {
			t.Errorf("GET %s: %d %+v", path, g.status, e)
		}
	}
}
