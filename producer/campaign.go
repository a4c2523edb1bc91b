package producer

import (
	"context"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// PauseCampaign stops campaign id's messages from going out: workers defer
// them, burning no attempt, until ResumeCampaign. Once it returns no
// message of the campaign is claimed for sending; a send already under way
// finishes. Pausing a paused campaign keeps its first reason.
func (p *Producer) PauseCampaign(ctx context.Context, id, reason string) (prev store.CampaignState, err error) {
	if reason == "" {
		reason = "paused by an operator"
	}
	return p.st.SetCampaignState(ctx, id, store.CampaignPaused, reason)
}

// ResumeCampaign lets a paused campaign's messages go out again, where it
// stopped: the deferred tasks come back within the worker's
// CampaignPausedRecheck.
func (p *Producer) ResumeCampaign(ctx context.Context, id string) (prev store.CampaignState, err error) {
	return p.st.SetCampaignState(ctx, id, store.CampaignActive, "resumed")
}

// CancelResult is what CancelCampaign did.
type CancelResult struct {
	Previous store.CampaignState
	// Cancelled is how many queued messages it ended cancelled.
	Cancelled int64
	// InFlight is how many messages were claimed before the cancel and
	// still had no outcome when it stopped waiting for them.
	InFlight int64
}

// CancelCampaign cancels campaign id for good: from the moment the state
// is written no message of it is claimed for sending, every queued message
// ends cancelled, and it then waits up to waitInFlight for sends already
// under way to end, so that when it returns with InFlight 0 nothing of the
// campaign is being sent. Cancelling a cancelled campaign settles what is
// still queued again and reports it.
func (p *Producer) CancelCampaign(ctx context.Context, id string, waitInFlight time.Duration) (CancelResult, error) {
	var res CancelResult
	prev, err := p.st.SetCampaignState(ctx, id, store.CampaignCancelled, "cancelled by an operator")
	if err != nil {
		return res, err
	}
	res.Previous = prev
	if res.Cancelled, err = p.st.SettleQueued(ctx, id, message.Cancelled, "cancelled", "the campaign was cancelled"); err != nil {
		return res, err
	}
	deadline := time.Now().Add(waitInFlight)
	for {
		counts, err := p.st.CampaignCounts(ctx, id)
		if err != nil {
			return res, err
		}
		res.InFlight = counts[message.Sending]
		if res.InFlight == 0 || !time.Now().Before(deadline) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
