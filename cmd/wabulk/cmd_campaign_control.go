package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wabulk/wabulk/internal/term"
	"github.com/wabulk/wabulk/producer"

	"github.com/wabulk/wabulk/store"
)

// campaignControlCmd is one of campaign pause, resume, cancel and
// retry-failed: the campaign ID, the config and the flags addFlags adds.
func campaignControlCmd(use, short, long string, addFlags func(fs *pflag.FlagSet),
	act func(ctx context.Context, p *producer.Producer, id string, out io.Writer) error) *cobra.Command {
	c := command(use+" ID", short, long, exactly(1, "campaign ID"), nil)
	load := configFlag(c.Flags())
	if addFlags != nil {
		addFlags(c.Flags())
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		o, err := openCampaign(cmd.Context(), load, args[0])
		if err != nil {
			return err
		}
		defer o.conn.Close()
		p, client := o.producer()
		defer client.Close()
		return act(cmd.Context(), p, o.id, cmd.OutOrStdout())
	}
	return c
}

func campaignPauseCmd() *cobra.Command {
	var reason *string
	return campaignControlCmd("pause", "stop sending it; queued messages wait, burning no attempt", `
Stops a campaign's messages from going out: once this returns, no worker
starts sending one of them (a send already under way finishes). Queued
messages wait, burning no attempt, until 'wabulk campaign resume'. Their TTL
keeps running: a message whose TTL passes while paused ends expired.`,
		func(fs *pflag.FlagSet) { reason = fs.String("reason", "", "why (shown by campaign status)") },
		func(ctx context.Context, p *producer.Producer, id string, out io.Writer) error {
			prev, err := p.PauseCampaign(ctx, id, *reason)
			if err != nil {
				return err
			}
			if prev == store.CampaignPaused {
				fmt.Fprintf(out, "campaign %s was already paused\n", id)
				return nil
			}
			fmt.Fprintf(out, "campaign %s paused: no message of it starts sending until 'wabulk campaign resume %s'\n", id, id)
			return nil
		})
}

func campaignResumeCmd() *cobra.Command {
	return campaignControlCmd("resume", "send it again from where it stopped", `
Sends a paused campaign again from where it stopped; the waiting messages go
out within a few seconds (worker.campaign_paused_recheck).`, nil,
		func(ctx context.Context, p *producer.Producer, id string, out io.Writer) error {
			prev, err := p.ResumeCampaign(ctx, id)
			if err != nil {
				return err
			}
			if prev == store.CampaignActive {
				fmt.Fprintf(out, "campaign %s was not paused\n", id)
				return nil
			}
			fmt.Fprintf(out, "campaign %s resumed: its waiting messages go out again\n", id)
			return nil
		})
}

func campaignCancelCmd() *cobra.Command {
	var wait *time.Duration
	return campaignControlCmd("cancel", "end every unsent message cancelled; final", `
Cancels a campaign for good: once this returns, no worker starts sending one
of its messages, every queued message has ended cancelled, and (up to
--wait) the sends that were already under way have finished. Messages the
provider already took keep their outcome. A cancelled campaign cannot be
resumed.`,
		func(fs *pflag.FlagSet) {
			wait = fs.Duration("wait", 30*time.Second, "how long to wait for sends already under way")
		},
		func(ctx context.Context, p *producer.Producer, id string, out io.Writer) error {
			res, err := p.CancelCampaign(ctx, id, *wait)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "campaign %s cancelled: %d queued messages ended cancelled", id, res.Cancelled)
			if res.Previous == store.CampaignCancelled {
				fmt.Fprint(out, " (it was cancelled already)")
			}
			fmt.Fprintln(out)
			if res.InFlight > 0 {
				return fmt.Errorf("%d sends that started before the cancel were still under way after %v; their outcome is the provider's answer ('wabulk campaign status %s')", res.InFlight, *wait, id)
			}
			return nil
		})
}

func campaignRetryFailedCmd() *cobra.Command {
	return campaignControlCmd("retry-failed", "send again the retryable failures and expired messages", retryFailedAbout, nil, campaignRetryFailed)
}

// describeState says a campaign's state for status lines.
func describeState(s store.CampaignStatus) string {
	if s.State == store.CampaignActive {
		return "active"
	}
	d := string(s.State)
	if !s.Since.IsZero() {
		d += " since " + s.Since.Local().Format(time.DateTime)
	}
	if s.Reason != "" {
		d += " (" + term.Clean(s.Reason) + ")"
	}
	return d
}
