package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/producertest"
	"github.com/wabulk/wabulk/scheduler"
)

func TestSchedulesPage(t *testing.T) {
	dar, err := time.LoadLocation("Africa/Dar_es_Salaam")
	if err != nil {
		t.Skip("no time zone database")
	}
	job := scheduler.Job{ID: "daily-reminder", Cron: "0 9 * * *", Location: dar, Audience: "/data/patients.csv",
		Spec: producer.Spec{Account: account, Message: message.Content{Template: &message.Template{Name: "reminder", Language: "en"}}}}
	r := newRig(t, job)
	// The clock stands at 09:00 UTC: the last fire was 09:00 in Dar es
	// Salaam (06:00 UTC) that day; its occurrence was expanded, the one
	// before was not.
	fire := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	if !producertest.T0.After(fire) {
		t.Fatal("the harness clock moved")
	}
	occ := scheduler.OccurrenceID(job.ID, fire)
	r.importCampaign(t, occ, csvOK)
	b := r.signedIn(t, fullToken)
	res, body := b.get("/ui/schedules")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("schedules: %d", res.StatusCode)
	}
	for _, want := range []string{"daily-reminder", "Africa/Dar_es_Salaam", "/data/patients.csv",
		"2026-11-22 06:00:00 UTC", "2026-11-22 09:00 EAT", // next fire, in UTC and in the job's zone
		`href="/ui/campaigns/` + occ + `"`, "2 queued", "not expanded"} {
		if !strings.Contains(body, want) {
			t.Errorf("schedules page lacks %q", want)
		}
	}
}

func TestProvidersAndOptOuts(t *testing.T) {
	r := newRig(t)
	b := r.signedIn(t, fullToken)
	csrf := b.csrf()
	if res, _ := b.post("/ui/providers/"+account+"/pause", url.Values{"csrf": {csrf}, "reason": {"<b>credit</b> ran out"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause account: %d", res.StatusCode)
	}
	_, body := b.get("/ui/providers")
	if !strings.Contains(body, "&lt;b&gt;credit&lt;/b&gt; ran out") || !strings.Contains(body, "paused: its messages wait") {
		t.Errorf("providers page after a pause:\n%s", body)
	}
	if res, _ := b.post("/ui/providers/"+account+"/resume", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume account: %d", res.StatusCode)
	}
	if a, _ := r.f.Account(bg, account); a.Paused {
		t.Error("the account is still paused")
	}
	if res, _ := b.post("/ui/providers/nope/pause", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown account: %d", res.StatusCode)
	}

	res, body := b.post("/ui/optouts/add", url.Values{"csrf": {csrf}, "account": {account}, "number": {"12ab"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Nothing was changed") {
		t.Errorf("bad number: %d", res.StatusCode)
	}
	if res, _ := b.post("/ui/optouts/add", url.Values{"csrf": {csrf}, "account": {account}, "number": {"+255 712 000 111"}, "reason": {"STOP"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	_, body = b.get("/ui/optouts?account=" + account + "&q=000111")
	if !strings.Contains(body, "&#43;255712000111") || !strings.Contains(body, "STOP") {
		t.Errorf("search after add:\n%s", body)
	}
	if res, _ := b.post("/ui/optouts/remove", url.Values{"csrf": {csrf}, "account": {account}, "number": {"+255712000111"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if l, _ := r.f.SearchOptOuts(bg, account, "", 10); l.Total != 0 {
		t.Errorf("after remove: %+v", l)
	}
}
