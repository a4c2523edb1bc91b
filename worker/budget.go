package worker

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// budget pauses a campaign whose failures cross its error budget
// (store.ErrorBudget, from the spec's error_budget). It is asked after
// every failed send (not receipts: a provider's late failure says nothing
// about whether to keep sending): one Redis round trip reads the budget,
// the state and the counts, and a second one pauses the campaign when
// more than the budget's share of at least its minimum of outcomes
// failed. Of several workers crossing it at once exactly one pauses it and
// logs the warning. After an operator resumes it, the budget counts the
// outcomes from the moment it paused the campaign.
type budget struct {
	store *store.Store

	mu   sync.Mutex
	none map[string]bool // campaigns known to have no budget (it never changes)
}

func newBudget(st *store.Store) *budget {
	return &budget{store: st, none: map[string]bool{}}
}

// check is the hook of the send path's outcomes: it acts on failures of
// campaign messages only.
func (b *budget) check(ctx context.Context, campaign string, outcome message.Status, log *zap.Logger) {
	if outcome != message.Failed || campaign == "" {
		return
	}
	b.mu.Lock()
	none := b.none[campaign]
	b.mu.Unlock()
	if none {
		return
	}
	ctx = context.WithoutCancel(ctx)
	bs, err := b.store.CampaignBudget(ctx, campaign)
	if err != nil {
		log.Warn("could not check the campaign's error budget", zap.Error(err))
		return
	}
	if bs.Budget == nil {
		b.mu.Lock()
		if len(b.none) > 10_000 {
			clear(b.none)
		}
		b.none[campaign] = true
		b.mu.Unlock()
		return
	}
	if bs.State != store.CampaignActive {
		return
	}
	failed, outcomes := bs.Since()
	if outcomes == 0 || outcomes < bs.Budget.MinOutcomes || float64(failed)/float64(outcomes) <= bs.Budget.MaxFailureRatio {
		return
	}
	reason := budgetReason(failed, outcomes, bs.BaseOutcomes > 0, bs.Budget.MaxFailureRatio)
	paused, err := b.store.PauseForBudget(ctx, campaign, reason, bs.Failed, bs.Outcomes)
	if err != nil {
		log.Warn("could not pause the campaign for its error budget", zap.Error(err))
		return
	}
	if paused {
		budgetTrips.Inc()
		log.Warn("campaign paused: its error budget is spent; find the cause, then 'wabulk campaign resume' (and 'retry-failed')",
			zap.String("campaign", campaign), zap.String("reason", reason))
	}
}

// budgetReason is the pause reason status shows, e.g. "error budget: 23%
// of 120 outcomes failed (limit 20%)".
func budgetReason(failed, outcomes int64, sinceResume bool, limit float64) string {
	since := ""
	if sinceResume {
		since = " since it was resumed"
	}
	return fmt.Sprintf("error budget: %s of %d outcomes%s failed (limit %s)",
		percent(float64(failed)/float64(outcomes)), outcomes, since, percent(limit))
}

// percent writes a share as a percentage with at most one decimal.
func percent(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64) + "%"
}
