package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wabulk/wabulk/internal/term"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// waitPolled waits, up to bound, until no message of the campaigns the
// provider took is still waiting for a receipt (accepted or sent), for
// providers whose receipts are polled: there the worker's poller brings
// them, first some seconds after each acceptance. It reports how far it
// got; running out of time is no error (the receipts would come later).
func waitPolled(ctx context.Context, st *store.Store, ids []string, bound time.Duration, out, errOut io.Writer) error {
	fmt.Fprintf(out, "waiting up to %v for receipts: this provider pushes none, the worker polls each accepted message's status\n", bound.Round(time.Second))
	bar := term.NewProgress(errOut)
	defer bar.Done()
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var took, waiting int64
		for _, id := range ids {
			c, err := st.CampaignCounts(ctx, id)
			if err != nil {
				return err
			}
			for s, n := range c {
				if s.ProviderTook() {
					took += n
				}
			}
			waiting += c[message.Accepted] + c[message.Sent]
		}
		finished := waiting == 0
		bar.Update("receipts", took-waiting, took, "", finished)
		if finished || time.Now().After(deadline) {
			bar.Done()
			fmt.Fprintf(out, "polled receipts: %d of the %d messages the provider took are delivered or read, %d still waiting\n", took-waiting, took, waiting)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
