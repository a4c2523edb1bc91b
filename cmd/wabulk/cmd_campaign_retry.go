package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// retryFailedAbout is `wabulk campaign retry-failed --help`.
const retryFailedAbout = `
Sends a campaign's messages again that ended in a retryable failure (the
worker gave up after transient errors only: 5xx, timeouts before the request
was written) or expired. Nothing else is ever sent again: not a message the
provider took (accepted, sent, delivered, read), not one that failed
ambiguously (the provider may have it), not one refused for good (bad
request, invalid number, template missing), opted out, outside the 24-hour
window, invalid or cancelled.

Each message is rendered again from the campaign's spec and its row's
values, gets a new TTL counted from now and a send task of its own. Running
it twice requeues nothing the second time. A paused campaign's messages
wait for its resume; a cancelled campaign is refused.`

// campaignRetryFailed runs retry-failed and says what it did.
func campaignRetryFailed(ctx context.Context, p *producer.Producer, id string, out io.Writer) error {
	res, err := p.RetryFailed(ctx, id)
	fmt.Fprintf(out, "campaign %s: %d messages requeued (retryable failures and expired), each with a new TTL\n", id, res.Requeued)
	if res.Reenqueued > 0 {
		fmt.Fprintf(out, "%d messages an earlier retry-failed requeued got their missing task\n", res.Reenqueued)
	}
	reasons := make([]producer.SkipReason, 0, len(res.Skipped))
	for r := range res.Skipped {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool { return res.Skipped[reasons[i]] > res.Skipped[reasons[j]] })
	for _, r := range reasons {
		fmt.Fprintf(out, "  %d skipped: %s\n", res.Skipped[r], r.Describe())
	}
	if err != nil {
		return err
	}
	if res.State == store.CampaignPaused && res.Requeued+res.Reenqueued > 0 {
		fmt.Fprintf(out, "the campaign is paused: they go out after 'wabulk campaign resume %s'\n", id)
	}
	return nil
}
