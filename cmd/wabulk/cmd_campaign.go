package main

import (
	"context"
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
	c := command("list [--state S] [--account A]", "every campaign with its state, progress, rate and ETA", `
Lists the campaigns, newest first, each with its state, how much of it is
done, its rate (outcomes per second over the last minute) and ETA, as GET
/v1/campaigns and the web console's campaigns page show them. --state
keeps active, paused, cancelled, running (active with messages pending)
or done (nothing pending) campaigns; --account one account's.`, none, nil)
	fs := c.Flags()
	load := configFlag(fs)
	state := fs.String("state", "", "only campaigns in this state: active, paused, cancelled, running or done")
	account := fs.String("account", "", "only this provider account's campaigns")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		switch *state {
		case "", "active", "paused", "cancelled", "running", "done":
		default:
			return usagef("--state %q: want active, paused, cancelled, running or done", *state)
		}
		st, closeFn, err := campaignStore(ctx, load, "")
		if err != nil {
			return err
		}
		defer closeFn()
		cs, err := producer.New(st, nil, producer.Config{}).ListCampaigns(ctx, producer.CampaignFilter{State: *state, Account: *account})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CAMPAIGN\tACCOUNT\tSTATE\tCREATED\tMESSAGES\tDONE\tRATE\tETA\t")
		for _, pr := range cs {
			eta := "-"
			if pr.ETA > 0 {
				eta = pr.ETA.Round(time.Second).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%.3g/s\t%s\t\n", term.Clean(pr.ID), pr.Account, pr.State, pr.CreatedAt.Local().Format(time.DateTime),
				pr.Total, term.Pct(pr.Outcomes, pr.Total), pr.Rate, eta)
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
		prod := producer.New(st, nil, producer.Config{})
		pr, err := prod.CampaignProgress(ctx, id)
		if err != nil {
			return err
		}
		var limit float64
		if p, err := o.cfg.Provider(c.Account); err == nil {
			limit = p.Rate
		}
		if err := printWaiting(ctx, out, prod, id, c.Account, counts[message.Queued], limit); err != nil {
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

// printWaiting says why campaign id's queued messages wait, when
// something holds them (producer.CampaignWaiting, as the API and the
// console tell it): such messages are deferred (they burn no attempt and
// never fail for it; asynqmon lists their tasks under Retry), not
// failing. limit is its account's configured rate (0: unknown).
func printWaiting(ctx context.Context, out io.Writer, p *producer.Producer, id, account string, queued int64, limit float64) error {
	w, err := p.CampaignWaiting(ctx, id, limit)
	if err != nil {
		return err
	}
	if len(w.Holds) > 0 {
		why := make([]string, len(w.Holds))
		for i, h := range w.Holds {
			why[i] = term.Clean(h.Text)
			switch h.Kind {
			case producer.HoldCampaignPaused:
				why[i] += " ('wabulk campaign resume')"
			case producer.HoldAccountPaused:
				why[i] += " ('wabulk provider resume " + account + "' once the cause is fixed)"
			}
		}
		fmt.Fprintf(out, "%d queued messages are deferred, not failing: %s. They burn no attempt; asynqmon lists their tasks under Retry.\n",
			queued, strings.Join(why, "; "))
		return nil
	}
	if w.AtRateLimit {
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
