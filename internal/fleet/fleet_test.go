package fleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/producertest"
	"github.com/wabulk/wabulk/scheduler"
	"github.com/wabulk/wabulk/store"
)

var bg = context.Background()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newFleet(t *testing.T, jobs []scheduler.Job) (*producertest.Harness, *producer.Producer, *fleet.Fleet) {
	h := producertest.New(t)
	p := h.Producer(producer.Config{})
	f := fleet.New(h.St, p, fleet.Config{
		Accounts: []fleet.AccountConfig{{Name: "tujenge-main", Kind: "tujenge", Rate: 40}, {Name: "meta-eu", Kind: "meta", Rate: 80, Checkable: true}},
		Jobs:     jobs,
		Factor: func(_ context.Context, account string) (float64, error) {
			if account == "meta-eu" {
				return 0.25, nil
			}
			return 1, nil
		},
		Check: func(_ context.Context, account string) fleet.CheckResult {
			return fleet.CheckResult{Verdict: "works", OK: true, Detail: "checked " + account}
		},
		Now: h.Clock.Now,
	})
	return h, p, f
}

// An account's view: configured and backed-off rate, pause and breaker,
// and its campaigns' messages in flight and pending, from counters.
func TestAccounts(t *testing.T) {
	t.Parallel()
	h, p, f := newFleet(t, nil)
	spec := &producer.Spec{ID: "acc", Account: "tujenge-main", Message: message.Content{Text: &message.Text{Body: "Hi"}}}
	_, err := p.Import(bg, spec, strings.NewReader("phone\n+255712345601\n+255712345602\n+255712345603\n"), producer.Options{})
	must(t, err)
	_, err = h.St.Transition(bg, store.Ref{ID: message.CampaignMessageID("acc", "+255712345601"), CampaignID: "acc"}, message.Sending, store.Update{})
	must(t, err)
	must(t, h.St.OpenBreaker(bg, "meta-eu", producertest.T0.Add(time.Minute), "5 failures in a row"))
	must(t, f.PauseAccount(bg, "tujenge-main", ""))

	as, err := f.Accounts(bg)
	must(t, err)
	want := []fleet.Account{
		{Name: "tujenge-main", Kind: "tujenge", Rate: 40, CurrentRate: 40, Factor: 1, Paused: true, PauseReason: "paused by an operator",
			PausedAt: producertest.T0, Breaker: "closed", InFlight: 1, Pending: 3},
		{Name: "meta-eu", Kind: "meta", Rate: 80, CurrentRate: 20, Factor: 0.25, Breaker: "open",
			BreakerOpenUntil: producertest.T0.Add(time.Minute), BreakerReason: "5 failures in a row", Checkable: true},
	}
	if diff := cmp.Diff(want, as); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	must(t, f.ResumeAccount(bg, "tujenge-main"))
	a, err := f.Account(bg, "tujenge-main")
	must(t, err)
	if a.Paused {
		t.Error("still paused after ResumeAccount")
	}
	if _, err := f.Account(bg, "nope"); !errors.Is(err, fleet.ErrUnknownAccount) || !strings.Contains(err.Error(), "tujenge-main, meta-eu") {
		t.Errorf("unknown account: %v", err)
	}
	if err := f.PauseAccount(bg, "nope", "x"); !errors.Is(err, fleet.ErrUnknownAccount) {
		t.Errorf("pause of an unknown account: %v", err)
	}
	r, err := f.Check(bg, "meta-eu")
	must(t, err)
	if r.Verdict != "works" || r.Detail != "checked meta-eu" || r.Account != "meta-eu" {
		t.Errorf("check meta-eu: %+v", r)
	}
	r, err = f.Check(bg, "tujenge-main")
	must(t, err)
	if r.Verdict != fleet.VerdictNotCheckable || r.OK {
		t.Errorf("check of an account without credentials here: %+v", r)
	}
}

// A job's next fire times and its last occurrences, each with its
// campaign's progress when it was expanded.
func TestSchedules(t *testing.T) {
	t.Parallel()
	job := scheduler.Job{ID: "daily", Cron: "0 9 * * *", Location: time.UTC, Audience: "/data/a.csv",
		Spec: producer.Spec{Account: "tujenge-main", Message: message.Content{Text: &message.Text{Body: "Hi"}}}}
	h, p, f := newFleet(t, []scheduler.Job{job})
	now := h.Clock.Now()
	sched, err := scheduler.ParseSchedule(job.Cron, time.UTC)
	must(t, err)
	last, ok := sched.Latest(now)
	if !ok {
		t.Fatal("no latest fire")
	}
	spec := job.Spec
	spec.ID = scheduler.OccurrenceID("daily", last)
	_, err = p.Import(bg, &spec, strings.NewReader("phone\n+255712345601\n"), producer.Options{})
	must(t, err)

	jobs, err := f.Schedules(bg, 3, 2)
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v", jobs)
	}
	j := jobs[0]
	if len(j.Next) != 3 || !j.Next[0].After(now) || j.Next[1].Sub(j.Next[0]) != 24*time.Hour || j.Account != "tujenge-main" || j.Timezone != "UTC" {
		t.Errorf("job %+v", j)
	}
	if len(j.Last) != 2 || !j.Last[0].Fire.Equal(last) || j.Last[0].Progress == nil || j.Last[0].Progress.Total != 1 ||
		j.Last[1].Progress != nil || !j.Last[1].Fire.Equal(last.Add(-24*time.Hour)) {
		t.Errorf("last occurrences %+v", j.Last)
	}
}

// Opt-outs: added in E.164, searched by digits, removed; a bad number is
// an error that changes nothing.
func TestOptOuts(t *testing.T) {
	t.Parallel()
	_, _, f := newFleet(t, nil)
	to, err := f.OptOut(bg, "tujenge-main", "0712 345 601", "TZ", "")
	must(t, err)
	if to != "+255712345601" {
		t.Errorf("opted out %q", to)
	}
	_, err = f.OptOut(bg, "tujenge-main", "+25599", "", "x")
	var bad *fleet.InvalidNumberError
	if !errors.As(err, &bad) {
		t.Errorf("bad number: %v", err)
	}
	_, err = f.OptOut(bg, "tujenge-main", "+255712345999", "", "STOP")
	must(t, err)
	res, err := f.SearchOptOuts(bg, "tujenge-main", "712 345 6", 10)
	must(t, err)
	if res.Total != 2 || len(res.Entries) != 1 || res.Entries[0].Contact != "+255712345601" || res.Entries[0].Reason != "added by an operator" || res.Entries[0].At.IsZero() {
		t.Errorf("search: %+v", res)
	}
	_, err = f.OptIn(bg, "tujenge-main", "+255712345601", "")
	must(t, err)
	res, err = f.SearchOptOuts(bg, "tujenge-main", "", 10)
	must(t, err)
	if res.Total != 1 || len(res.Entries) != 1 || res.Entries[0].Contact != "+255712345999" {
		t.Errorf("after opt-in: %+v", res)
	}
	if _, err := f.SearchOptOuts(bg, "nope", "", 10); !errors.Is(err, fleet.ErrUnknownAccount) {
		t.Errorf("unknown account: %v", err)
	}
}
