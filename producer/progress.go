package producer

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// RateWindow is the span CampaignProgress measures a campaign's rate over.
const RateWindow = time.Minute

// CampaignProgress is where a campaign stands: its state, its messages'
// counts, what its imports did, and how fast it drains. `wabulk campaign
// status` and GET /v1/campaigns/{id} show it.
type CampaignProgress struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	CreatedAt time.Time `json:"created_at"`
	// State is active, paused or cancelled; StateReason says why (an
	// operator's words, or the error budget's ratio) and StateSince when.
	State       store.CampaignState `json:"state"`
	StateReason string              `json:"state_reason,omitempty"`
	StateSince  time.Time           `json:"state_since,omitzero"`
	// Counts is the number of messages in each state.
	Counts   store.Counts `json:"counts"`
	Total    int64        `json:"total"`
	Pending  int64        `json:"pending"`  // queued or sending
	Outcomes int64        `json:"outcomes"` // every other state
	// Import sums what the campaign's import runs did.
	Import     store.ImportStats `json:"import"`
	ImportRuns int64             `json:"import_runs"`
	// Fallbacks is how many went out as the fallback template because the
	// contact's 24-hour window was closed.
	Fallbacks int64 `json:"fallbacks"`
	// Rate is outcomes per second over the last RateWindow (sends,
	// failures, expiries; receipts do not count), from store.CampaignRate:
	// each outcome reached from a pending state is counted in a 10-second
	// bucket key in Redis, kept for a few minutes.
	Rate float64 `json:"rate"`
	// ETA is how long the pending messages take at Rate; 0 when it cannot
	// be told (nothing pending, nothing sent lately, or not active). JSON:
	// eta_seconds, null when unknown.
	ETA time.Duration `json:"-"`
}

// Done reports whether no message of the campaign is pending.
func (c CampaignProgress) Done() bool { return c.Pending == 0 }

// MarshalJSON adds eta_seconds (null when unknown) and done.
func (c CampaignProgress) MarshalJSON() ([]byte, error) {
	type plain CampaignProgress
	var eta *float64
	if c.ETA > 0 {
		s := math.Ceil(c.ETA.Seconds())
		eta = &s
	}
	counts := c.Counts
	if counts == nil {
		counts = store.Counts{}
	}
	p := plain(c)
	p.Counts = counts
	return json.Marshal(struct {
		plain
		ETASeconds *float64 `json:"eta_seconds"`
		Done       bool     `json:"done"`
	}{p, eta, c.Done()})
}

// CampaignProgress returns where campaign id stands; store.ErrNotFound
// (wrapped) when there is no such campaign.
func (p *Producer) CampaignProgress(ctx context.Context, id string) (CampaignProgress, error) {
	c, err := p.st.Campaign(ctx, id)
	if err != nil {
		return CampaignProgress{}, err
	}
	pr := CampaignProgress{ID: id, Account: c.Account, CreatedAt: c.CreatedAt}
	st, err := p.st.CampaignState(ctx, id)
	if err != nil {
		return pr, err
	}
	pr.State, pr.StateReason, pr.StateSince = st.State, st.Reason, st.Since
	if pr.Counts, err = p.st.CampaignCounts(ctx, id); err != nil {
		return pr, err
	}
	pr.Total, pr.Outcomes = pr.Counts.Total(), pr.Counts.Outcomes()
	pr.Pending = pr.Counts[message.Queued] + pr.Counts[message.Sending]
	if pr.Import, pr.ImportRuns, err = p.st.CampaignImportStats(ctx, id); err != nil {
		return pr, err
	}
	if pr.Fallbacks, err = p.st.CampaignFallbacks(ctx, id); err != nil {
		return pr, err
	}
	if pr.Rate, err = p.st.CampaignRate(ctx, id, RateWindow); err != nil {
		return pr, err
	}
	if pr.Pending > 0 && pr.Rate > 0 && pr.State == store.CampaignActive {
		pr.ETA = time.Duration(float64(pr.Pending) / pr.Rate * float64(time.Second))
	}
	return pr, nil
}
