package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wabulk/wabulk/store"
)

// campaignControl runs campaign pause, resume, cancel and retry-failed.
func campaignControl(ctx context.Context, sub string, args []string, out, errOut io.Writer) error {
	abouts := map[string]string{
		"pause": `
Stops a campaign's messages from going out: once this returns, no worker
starts sending one of them (a send already under way finishes). Queued
messages wait, burning no attempt, until 'wabulk campaign resume'. Their TTL
keeps running: a message whose TTL passes while paused ends expired.`,
		"resume": `
Sends a paused campaign again from where it stopped; the waiting messages go
out within a few seconds (worker.campaign_paused_recheck).`,
		"cancel": `
Cancels a campaign for good: once this returns, no worker starts sending one
of its messages, every queued message has ended cancelled, and (up to
--wait) the sends that were already under way have finished. Messages the
provider already took keep their outcome. A cancelled campaign cannot be
resumed.`,
		"retry-failed": retryFailedAbout,
	}
	fs := flags("campaign "+sub, "ID [--config FILE]", abouts[sub], errOut)
	load := configFlag(fs)
	reason := fs.String("reason", "", "why (pause only; shown by campaign status)")
	wait := fs.Duration("wait", 30*time.Second, "how long cancel waits for sends already under way")
	o, err := openCampaign(ctx, fs, load, args, true)
	if err != nil {
		return err
	}
	defer o.conn.Close()
	p, client := o.producer()
	defer client.Close()
	switch sub {
	case "retry-failed":
		return campaignRetryFailed(ctx, p, o.id, out)
	case "pause":
		prev, err := p.PauseCampaign(ctx, o.id, *reason)
		if err != nil {
			return err
		}
		if prev == store.CampaignPaused {
			fmt.Fprintf(out, "campaign %s was already paused\n", o.id)
			return nil
		}
		fmt.Fprintf(out, "campaign %s paused: no message of it starts sending until 'wabulk campaign resume %s'\n", o.id, o.id)
	case "resume":
		prev, err := p.ResumeCampaign(ctx, o.id)
		if err != nil {
			return err
		}
		if prev == store.CampaignActive {
			fmt.Fprintf(out, "campaign %s was not paused\n", o.id)
			return nil
		}
		fmt.Fprintf(out, "campaign %s resumed: its waiting messages go out again\n", o.id)
	case "cancel":
		res, err := p.CancelCampaign(ctx, o.id, *wait)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "campaign %s cancelled: %d queued messages ended cancelled", o.id, res.Cancelled)
		if res.Previous == store.CampaignCancelled {
			fmt.Fprint(out, " (it was cancelled already)")
		}
		fmt.Fprintln(out)
		if res.InFlight > 0 {
			return fmt.Errorf("%d sends that started before the cancel were still under way after %v; their outcome is the provider's answer ('wabulk campaign status %s')", res.InFlight, *wait, o.id)
		}
	}
	return nil
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
		d += " (" + s.Reason + ")"
	}
	return d
}
