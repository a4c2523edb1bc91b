package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

func runCampaign(ctx context.Context, args []string, out, errOut io.Writer) error {
	const about = `
Campaign outcomes.

  list               every campaign with its progress
  status ID          counts per state, percent done, rate and ETA (--watch: live)
  report ID          one row per recipient (--format csv|jsonl, -o FILE)
  pause ID           stop sending it; queued messages wait, burning no attempt
  resume ID          send it again from where it stopped
  cancel ID          end every unsent message cancelled; final
  retry-failed ID    send again the retryable failures and expired messages`
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fs := flags("campaign", "list|status|report|pause|resume|cancel|retry-failed [ID] [flags]", about, errOut)
		fs.Usage()
		if len(args) == 0 {
			return usagef("which subcommand? list, status, report, pause, resume, cancel or retry-failed")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		return campaignList(ctx, rest, out, errOut)
	case "status":
		return campaignStatus(ctx, rest, out, errOut)
	case "report":
		return campaignReport(ctx, rest, out, errOut)
	case "pause", "resume", "cancel", "retry-failed":
		return campaignControl(ctx, sub, rest, out, errOut)
	}
	return usagef("unknown subcommand %q (list, status, report, pause, resume, cancel, retry-failed)", sub)
}

// campaignStore parses flags with a config and, if needID, one campaign ID
// (flags may come before or after it), and opens the store.
func campaignStore(ctx context.Context, fs *flag.FlagSet, load func() (*Config, error), args []string, needID bool) (*store.Store, string, func(), error) {
	o, err := openCampaign(ctx, fs, load, args, needID)
	if err != nil {
		return nil, "", nil, err
	}
	return o.st, o.id, o.conn.Close, nil
}

// openedCampaign is what campaign subcommands work with.
type openedCampaign struct {
	cfg  *Config
	conn *conn
	st   *store.Store
	id   string
}

// producer returns a producer on the campaign's Redis; close its client.
func (o *openedCampaign) producer() (*producer.Producer, *asynq.Client) {
	client := asynq.NewClientFromRedisClient(o.conn.rdb)
	return producer.New(o.st, client, producer.Config{DefaultRegion: o.cfg.DefaultRegion, Prefix: o.cfg.Redis.Prefix}), client
}

func openCampaign(ctx context.Context, fs *flag.FlagSet, load func() (*Config, error), args []string, needID bool) (*openedCampaign, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	id := ""
	if needID {
		if len(pos) != 1 {
			return nil, usagef("give exactly one campaign ID")
		}
		id = pos[0]
	} else if len(pos) != 0 {
		return nil, usagef("unexpected argument %q", pos[0])
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	c, err := openRedis(ctx, cfg.Redis, false)
	if err != nil {
		return nil, err
	}
	st := store.New(c.rdb, store.Config{Prefix: cfg.Redis.Prefix})
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

func campaignList(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("campaign list", "[--config FILE]", "Lists every campaign with its progress.", errOut)
	load := configFlag(fs)
	st, _, closeFn, err := campaignStore(ctx, fs, load, args, false)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t\n", id, c.Account, c.CreatedAt.Local().Format(time.DateTime), counts.Total(), pct(counts.Outcomes(), counts.Total()))
	}
	return tw.Flush()
}

func campaignStatus(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("campaign status", "ID [--watch [--interval 1s]] [--config FILE]", `
Shows a campaign's counts per state, how much of it is done, and how fast it
drains (outcomes per second over the last minute) with an ETA. --watch
refreshes every --interval until nothing of it is pending, or Ctrl-C: a live
bar on a terminal, one line per interval otherwise.`, errOut)
	load := configFlag(fs)
	watch := fs.Bool("watch", false, "refresh until nothing of the campaign is pending (Ctrl-C stops)")
	interval := fs.Duration("interval", time.Second, "how often --watch refreshes")
	st, id, closeFn, err := campaignStore(ctx, fs, load, args, true)
	if err != nil {
		return err
	}
	defer closeFn()
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
	printCounts(out, counts)
	if n, err := st.CampaignFallbacks(ctx, id); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(out, "%d sent as the fallback template (24-hour window closed)\n", n)
	}
	pr, err := producer.New(st, nil, producer.Config{}).CampaignProgress(ctx, id)
	if err != nil {
		return err
	}
	printRate(out, pr)
	return nil
}

// printCounts prints the outcome table: every non-zero state with its share.
func printCounts(out io.Writer, counts store.Counts) {
	total := counts.Total()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "STATE\tMESSAGES\tSHARE\t")
	for _, s := range message.Statuses {
		if n := counts[s]; n != 0 {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", s, n, pct(n, total))
		}
	}
	fmt.Fprintf(tw, "total\t%d\t\t\n", total)
	_ = tw.Flush()
	fmt.Fprintf(out, "done: %d of %d have an outcome (%s)\n", counts.Outcomes(), total, pct(counts.Outcomes(), total))
	// Receipts: of the messages the provider took, how many reached the
	// phone and how many were read (a failed receipt counts as failed).
	took := counts[message.Accepted] + counts[message.Sent] + counts[message.Delivered] + counts[message.Read]
	if reached := counts[message.Delivered] + counts[message.Read]; reached > 0 || counts[message.Sent] > 0 {
		fmt.Fprintf(out, "receipts: %d delivered (%s of %d the provider took), %d read (%s)\n",
			reached, pct(reached, took), took, counts[message.Read], pct(counts[message.Read], took))
	}
}

func pct(n, total int64) string {
	if total == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + "%"
}

func campaignReport(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("campaign report", "ID [--format csv|jsonl] [-o FILE]", `
Writes one row per recipient, in import order: message_id, campaign_id,
recipient, provider, status, error_code, error, attempts (requests made to
the provider), provider_message_id, updated_at (RFC 3339, UTC), fallback
(true when the campaign's fallback_template went instead of the free-form
message because the contact's 24-hour window was closed).

error_code is the provider's code (e.g. 470, 2001, 503), or one of wabulk's
own: ttl (expired before it could be sent), window (free-form message with
no inbound message in the last 24 h), ambiguous (a worker stopped while the
request was in flight; not resent to avoid a duplicate), payload (the task
could not be read).`, errOut)
	load := configFlag(fs)
	format := fs.String("format", "csv", "csv or jsonl")
	outPath := fs.String("o", "-", "output file (- for stdout)")
	st, id, closeFn, err := campaignStore(ctx, fs, load, args, true)
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
	return writeReport(ctx, st, id, *format, w)
}

// writeReport writes campaign id's report (producer.WriteReport).
func writeReport(ctx context.Context, st *store.Store, id, format string, w io.Writer) error {
	return producer.WriteReport(ctx, st, id, producer.Format(format), w)
}
