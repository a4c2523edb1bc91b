package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/internal/term"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// watchCampaign shows campaign id's progress every interval: a bar redrawn
// in place on a terminal, one line per interval otherwise. It returns when
// no message of the campaign is pending (printing the outcome table) or
// when ctx ends (Ctrl-C).
func watchCampaign(ctx context.Context, st *store.Store, id string, interval time.Duration, out io.Writer) error {
	if interval <= 0 {
		return usagef("--interval %v: want a positive duration such as 1s", interval)
	}
	p := producer.New(st, nil, producer.Config{})
	bar := term.NewProgress(out)
	defer bar.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		pr, err := p.CampaignProgress(ctx, id)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		bar.Update("campaign "+id, pr.Outcomes, pr.Total, watchLine(pr), true)
		if pr.Done() {
			bar.Done()
			fmt.Fprintln(out)
			term.PrintCounts(out, pr.Counts)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// watchLine is what follows the bar: state, rate, ETA and the pending
// and failed counts.
func watchLine(pr producer.CampaignProgress) string {
	parts := []string{string(pr.State)}
	if pr.State != store.CampaignActive && pr.StateReason != "" {
		parts[0] += " (" + term.Clean(pr.StateReason) + ")"
	}
	parts = append(parts, rateText(pr.Rate), "ETA "+etaText(pr))
	for _, s := range []message.Status{message.Queued, message.Sending, message.Failed, message.Expired} {
		if n := pr.Counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
		}
	}
	return strings.Join(parts, "  ")
}

func rateText(r float64) string {
	switch {
	case r == 0:
		return "0/s"
	case r < 10:
		return strconv.FormatFloat(r, 'f', 2, 64) + "/s"
	}
	return strconv.FormatFloat(r, 'f', 0, 64) + "/s"
}

func etaText(pr producer.CampaignProgress) string {
	switch {
	case pr.Done():
		return "done"
	case pr.ETA > 0:
		if pr.ETA >= time.Hour {
			return producer.Duration(pr.ETA.Round(time.Minute)).String()
		}
		return producer.Duration(max(pr.ETA.Round(time.Second), time.Second)).String()
	case pr.State != store.CampaignActive:
		return "- (" + string(pr.State) + ")"
	}
	return "- (nothing sent in the last minute)"
}

// printRate is status's line on how fast the campaign drains.
func printRate(out io.Writer, pr producer.CampaignProgress) {
	if pr.Done() {
		return
	}
	fmt.Fprintf(out, "rate: %s over the last minute; %d pending, ETA %s\n", rateText(pr.Rate), pr.Pending, etaText(pr))
}
