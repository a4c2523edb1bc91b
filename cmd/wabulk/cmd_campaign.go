package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/term"
	"github.com/wabulk/wabulk/message"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

func campaignCmd() *cobra.Command {
	return group("campaign", "campaigns: list, status [--watch], report, pause, resume, cancel, retry-failed", `
Campaign outcomes and operations.`,
		campaignListCmd(), campaignStatusCmd(), campaignReportCmd(),
		campaignPauseCmd(), campaignResumeCmd(), campaignCancelCmd(), campaignRetryFailedCmd(), campaignPurgeCmd())
}

// campaignStore loads the config and opens the store, checking that
// campaign id exists when it is not "".
func campaignStore(ctx context.Context, load func() (*config.Config, error), id string) (*store.Store, func(), error) {
	o, err := openCampaign(ctx, load, id)
	if err != nil {
		return nil, nil, err
	}
	return o.st, o.conn.Close, nil
}

// openedCampaign is what campaign subcommands work with.
type openedCampaign struct {
	cfg  *config.Config
	conn *app.Conn
	st   *store.Store
	id   string
}

// producer returns a producer on the campaign's Redis; close its client.
func (o *openedCampaign) producer() (*producer.Producer, *asynq.Client) {
	client := asynq.NewClientFromRedisClient(o.conn.RDB)
	return producer.New(o.st, client, app.ProducerConfig(o.cfg)), client
}

func openCampaign(ctx context.Context, load func() (*config.Config, error), id string) (*openedCampaign, error) {
	needID := id != ""
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	st, c, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if needID {
		if _, err := st.Campaign(ctx, id); err != nil {
			c.Close()
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("no campaign %q (wabulk campaign list shows the ones there are)", id)
			}
			return nil, err
		}
	}
	return &openedCampaign{cfg: cfg, conn: c, st: st, id: id}, nil
}

func campaignListCmd() *cobra.Command {
	c := command("list", "every campaign with its progress", "", none, nil)
	load := configFlag(c.Flags())
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		st, closeFn, err := campaignStore(ctx, load, "")
		if err != nil {
			return err
		}
		defer closeFn()
		ids, err := st.Campaigns(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CAMPAIGN\tACCOUNT\tCREATED\tMESSAGES\tDONE\t")
		for _, id := range ids {
			c, err := st.Campaign(ctx, id)
			if err != nil {
				return err
			}
			counts, err := st.CampaignCounts(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t\n", id, c.Account, c.CreatedAt.Local().Format(time.DateTime), counts.Total(), term.Pct(counts.Outcomes(), counts.Total()))
		}
		return tw.Flush()
	}
	return c
}

func campaignStatusCmd() *cobra.Command {
	c := command("status ID", "counts per state, percent done, rate and ETA (--watch: live)", `
Shows a campaign's counts per state, how much of it is done, and how fast it
drains (outcomes per second over the last minute) with an ETA. --watch
refreshes every --interval until nothing of it is pending, or Ctrl-C: a live
bar on a terminal, one line per interval otherwise.`, exactly(1, "campaign ID"), nil)
	fs := c.Flags()
	load := configFlag(fs)
	watch := fs.Bool("watch", false, "refresh until nothing of the campaign is pending (Ctrl-C stops)")
	interval := fs.Duration("interval", time.Second, "how often --watch refreshes")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out, id := cmd.Context(), cmd.OutOrStdout(), args[0]
		o, err := openCampaign(ctx, load, id)
		if err != nil {
			return err
		}
		defer o.conn.Close()
		st := o.st
		if *watch {
			return watchCampaign(ctx, st, id, *interval, out)
		}
		c, err := st.Campaign(ctx, id)
		if err != nil {
			return err
		}
		counts, err := st.CampaignCounts(ctx, id)
		if err != nil {
			return err
		}
		imp, runs, err := st.CampaignImportStats(ctx, id)
		if err != nil {
			return err
		}
		state, err := st.CampaignState(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "campaign %s  account %s  created %s  %s\n", id, c.Account, c.CreatedAt.Local().Format(time.DateTime), describeState(state))
		fmt.Fprintf(out, "imported in %d run(s): %d accepted, %d duplicate, %d rejected, %d already present",
			runs, imp.Accepted, imp.Duplicate, imp.Rejected, imp.AlreadyPresent)
		if imp.OptedOut > 0 {
			fmt.Fprintf(out, ", %d opted out (skipped)", imp.OptedOut)
		}
		fmt.Fprint(out, "\n\n")
		term.PrintCounts(out, counts)
		pr, err := producer.New(st, nil, producer.Config{}).CampaignProgress(ctx, id)
		if err != nil {
			return err
		}
		var limit float64
		if p, err := o.cfg.Provider(c.Account); err == nil {
			limit = p.Rate
		}
		if err := printWaiting(ctx, out, st, c, state, counts, pr.Rate, limit); err != nil {
			return err
		}
		if n, err := st.CampaignFallbacks(ctx, id); err != nil {
			return err
		} else if n > 0 {
			fmt.Fprintf(out, "%d sent as the fallback template (24-hour window closed)\n", n)
		}
		printRate(out, pr)
		return nil
	}
	return c
}

// printWaiting says why a campaign's queued messages wait, when something
// holds them: such messages are deferred (they burn no attempt and never
// fail for it; asynqmon lists their tasks under Retry), not failing. rate
// is its outcomes per second now, limit its account's configured rate (0:
// unknown).
func printWaiting(ctx context.Context, out io.Writer, st *store.Store, c *store.Campaign, state store.CampaignStatus, counts store.Counts, rate, limit float64) error {
	queued := counts[message.Queued]
	if queued <= 0 {
		return nil
	}
	account := c.Account
	var why []string
	if state.State == store.CampaignPaused {
		why = append(why, "the campaign is paused ('wabulk campaign resume')")
	}
	acct, err := st.Account(ctx, account)
	if err != nil {
		return err
	}
	if acct.Paused {
		w := "account " + account + " is paused"
		if acct.PauseReason != "" {
			w += " (" + term.Clean(acct.PauseReason) + ")"
		}
		why = append(why, w+" ('wabulk provider resume "+account+"' once the cause is fixed)")
	}
	if until := acct.OpenUntil; until.After(time.Now()) {
		why = append(why, fmt.Sprintf("account %s's circuit breaker is open until %s (%s)", account, until.Local().Format(time.TimeOnly), term.Clean(acct.OpenReason)))
	}
	var spec producer.Spec
	if json.Unmarshal(c.Spec, &spec) == nil && spec.QuietHours != nil {
		why = append(why, fmt.Sprintf("quiet hours %s–%s at the recipients hold those inside them", spec.QuietHours.Start, spec.QuietHours.End))
	}
	if len(why) > 0 {
		fmt.Fprintf(out, "%d queued messages are deferred, not failing: %s. They burn no attempt; asynqmon lists their tasks under Retry.\n",
			queued, strings.Join(why, "; "))
		return nil
	}
	if limit > 0 && rate >= 0.8*limit {
		fmt.Fprintf(out, "draining at account %s's rate limit (%.4g/s configured): the provider's rate, not wabulk, sets the pace\n", account, limit)
	}
	return nil
}

func campaignReportCmd() *cobra.Command {
	c := command("report ID", "one row per recipient (--format csv|jsonl, -o FILE)", `
Writes one row per recipient, in import order: message_id, campaign_id,
recipient, provider, status, error_code, error, attempts (requests made to
the provider), provider_message_id, updated_at (RFC 3339, UTC), fallback
(true when the campaign's fallback_template went instead of the free-form
message because the contact's 24-hour window was closed).

error_code is the provider's code (e.g. 470, 2001, 503), or one of wabulk's
own: ttl (expired before it could be sent), window (free-form message with
no inbound message in the last 24 h), ambiguous (a worker stopped while the
request was in flight; not resent to avoid a duplicate), payload (the task
could not be read).

In CSV, a cell that a spreadsheet would run as a formula (starting with =,
@, a tab, a carriage return, or + or - not followed by a plain number) gets
a leading apostrophe, so a provider's error text cannot become a formula in
Excel; --raw writes cells as stored.`, exactly(1, "campaign ID"), nil)
	fs := c.Flags()
	load := configFlag(fs)
	format := fs.String("format", "csv", "csv or jsonl")
	outPath := fs.StringP("output", "o", "-", "output file (- for stdout)")
	raw := fs.Bool("raw", false, "write CSV cells as stored: no neutralising of cells a spreadsheet would run as formulas (for programs reading the CSV)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out, id := cmd.Context(), cmd.OutOrStdout(), args[0]
		st, closeFn, err := campaignStore(ctx, load, id)
		if err != nil {
			return err
		}
		defer closeFn()
		if *format != "csv" && *format != "jsonl" {
			return usagef("--format %q: want csv or jsonl", *format)
		}
		w := out
		if *outPath != "-" {
			f, err := os.Create(*outPath)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return producer.WriteReportOpts(ctx, st, id, producer.Format(*format), w, producer.ReportOptions{RawCSV: *raw})
	}
	return c
}
