package producer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// The drain arithmetic: the work ahead goes first, from now; the campaign
// starts when it is through and its send time has come; what runs past
// the TTL is said in time and in messages.
func TestEstimateArithmetic(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name                  string
		e                     Estimate
		drain, deadline, over time.Duration
		late                  int64
		text                  string
	}{
		{
			name:  "a million ahead",
			e:     Estimate{Account: "tj", Rate: 80, Ahead: 1_200_000, Rows: 500_000, TTL: 4 * time.Hour},
			drain: 21250 * time.Second, deadline: 4 * time.Hour, over: 6850 * time.Second, late: 500_000,
			text: "at 80/s, the 1,200,000 messages already queued for account tj plus these 500,000 drain in 5h54m, " +
				"1h54m past the 4h TTL: about 500,000 of them would still be queued then and end expired",
		},
		{
			name:  "partly late",
			e:     Estimate{Account: "tj", Rate: 80, Ahead: 100_000, Rows: 200_000, TTL: time.Hour},
			drain: 3750 * time.Second, deadline: time.Hour, over: 150 * time.Second, late: 12_000,
			text: "at 80/s, the 100,000 messages already queued for account tj plus these 200,000 drain in 1h3m, " +
				"2m30s past the 1h TTL: about 12,000 of them would still be queued then and end expired",
		},
		{
			name:  "fits",
			e:     Estimate{Account: "tj", Rate: 80, Rows: 500_000, TTL: 24 * time.Hour},
			drain: 6250 * time.Second, deadline: 24 * time.Hour,
			text: "at 80/s, these 500,000 messages of account tj drain in 1h44m, within the 24h TTL",
		},
		{
			// The queue ahead drains before send_at; the TTL counts from it.
			name:  "send_at after the queue ahead",
			e:     Estimate{Account: "tj", Rate: 10, Ahead: 100, Rows: 600, TTL: 30 * time.Second, SendAt: now.Add(time.Hour)},
			drain: time.Hour + time.Minute, deadline: time.Hour + 30*time.Second, over: 30 * time.Second, late: 300,
			text: "at 10/s, the 100 messages already queued for account tj plus these 600 drain in 1h1m (sending starts at send_at 2026-11-21T10:00:00Z), " +
				"30s past the 30s TTL: about 300 of them would still be queued then and end expired",
		},
		{
			name:  "send_at before the queue ahead is through",
			e:     Estimate{Account: "tj", Rate: 1, Ahead: 120, Rows: 60, TTL: time.Hour, SendAt: now.Add(time.Minute)},
			drain: 3 * time.Minute, deadline: time.Hour + time.Minute,
			text: "at 1/s, the 120 messages already queued for account tj plus these 60 drain in 3m (sending starts at send_at 2026-11-21T09:01:00Z), within the 1h TTL",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.e
			e.estimate(now)
			if e.Drain != c.drain || e.Deadline != c.deadline || e.Over != c.over || e.Late != c.late {
				t.Errorf("drain %v deadline %v over %v late %d; want %v %v %v %d", e.Drain, e.Deadline, e.Over, e.Late, c.drain, c.deadline, c.over, c.late)
			}
			if e.Fits() != (c.over == 0) {
				t.Errorf("Fits() = %v with over %v", e.Fits(), c.over)
			}
			if got := e.String(); got != c.text {
				t.Errorf("text:\n got %s\nwant %s", got, c.text)
			}
		})
	}
}

// Admission counts the pending messages of the account's other campaigns
// (not the campaign's own, not other accounts'), and answers in JSON too.
func TestAdmissionCountsTheAccountsQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := storetest.New(t)
	clock := sharedtest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Now: clock.Now})
	p := New(st, nil, Config{Prefix: r.Prefix, Now: clock.Now})
	seed := func(campaign, account string, n int) {
		if _, _, err := st.SaveCampaign(ctx, store.Campaign{ID: campaign, Account: account, Spec: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			to := fmt.Sprintf("+2557120%05d", i)
			if _, err := st.Create(ctx, []store.NewRecord{{ID: message.CampaignMessageID(campaign, to), CampaignID: campaign, Account: account, To: to}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	seed("other-1", "tj", 2)
	seed("other-2", "tj", 1)
	seed("meta-1", "meta", 50)
	seed("mine", "tj", 4) // a re-import: its own pending messages are its rows
	spec := &Spec{ID: "mine", Account: "tj", TTL: Duration(time.Hour)}

	e, err := p.Admission(ctx, spec, 3, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if e.Ahead != 3 || e.Rows != 3 || e.Drain != 6000*time.Second || e.Over != 2400*time.Second || e.Late != 3 {
		t.Errorf("estimate %+v", e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"campaign": "mine", "account": "tj", "rate": 0.001, "ahead": 3.0, "rows": 3.0, "late": 3.0,
		"drain_seconds": 6000.0, "deadline_seconds": 3600.0, "ttl_seconds": 3600.0, "over_seconds": 2400.0, "fits": false,
		"message": e.String()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.String(), "the 3 messages already queued for account tj plus these 3 drain in 1h40m, 40m past the 1h TTL") {
		t.Errorf("text %q", e.String())
	}

	// After an import: the campaign's own pending messages are its rows.
	if e, err := p.PendingAdmission(ctx, spec, 0.001); err != nil || e.Ahead != 3 || e.Rows != 4 || e.Late != 4 {
		t.Errorf("pending admission: %+v, %v", e, err)
	}

	// No rate limit: nothing to estimate.
	if e, err := p.Admission(ctx, spec, 3, -1); err != nil || !e.Unlimited() || !e.Fits() {
		t.Errorf("unlimited: %+v, %v", e, err)
	}
	// The default TTL is 24 h.
	if e, _ := p.Admission(ctx, &Spec{ID: "new", Account: "tj"}, 10, 80); e.TTL != DefaultTTL || e.Ahead != 7 || !e.Fits() {
		t.Errorf("default TTL: %+v", e)
	}
}
