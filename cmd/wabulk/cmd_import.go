package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/term"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
)

func importCmd() *cobra.Command {
	c := command("import --spec CAMPAIGN.yaml --csv RECIPIENTS.csv [flags]", "import a campaign: spec + recipients CSV/JSONL → records + queued messages", `
Imports a campaign: reads the recipients file as a stream, normalizes every
phone number to E.164, fills the message's {{column}} placeholders from each
row, creates one message record per recipient and queues it for the workers.

Bad rows (unparsable phone, missing value, invalid message) go to the rejects
file with their line number; the rest of the import goes on. A number seen
twice in the file is counted as a duplicate and sent once.

Re-running the same import is safe: recipients already imported are counted
as "already present" and nothing is sent twice; an import cut off half-way
resumes where it stopped.

Admission control: before importing a file, its rows are counted and, from
the messages already queued for the campaign's provider account and the
account's rate, the drain is estimated; a campaign that would not drain
within its TTL gets a warning saying by how much (--strict refuses it).
From stdin the estimate comes after the import.`, none, nil)
	fs := c.Flags()
	load := configFlag(fs)
	specPath := fs.String("spec", "", "campaign spec (YAML): id, account, sender, message, ttl, send_at, priority")
	csvPath := fs.String("csv", "", "recipients file: CSV with a header row and a phone column (or JSONL, see --format); - reads stdin")
	format := fs.String("format", "", "recipients format: csv or jsonl (default: from the file extension, else csv)")
	rejects := fs.String("rejects", "", "where bad rows go (CSV with line and reason); default RECIPIENTS.rejects.csv, created only if a row is rejected")
	quiet := fs.Bool("quiet", false, "no progress output")
	strict := fs.Bool("strict", false, "refuse a campaign that would not drain within its TTL at its account's rate (admission control)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out, errOut := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
		if *specPath == "" || *csvPath == "" {
			return usagef("--spec and --csv are required")
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		spec, err := producer.LoadSpec(*specPath)
		if err != nil {
			return err
		}
		prov, err := cfg.Provider(spec.Account)
		if err != nil {
			return fmt.Errorf("campaign %s: %w", spec.ID, err)
		}
		c, err := app.OpenRedis(ctx, cfg.Redis, false)
		if err != nil {
			return err
		}
		defer c.Close()
		p := app.NewPipeline(cfg, c, nil, nil)
		defer p.Client.Close()

		var in io.Reader = os.Stdin
		var size int64
		if *csvPath != "-" {
			f, err := os.Open(*csvPath)
			if err != nil {
				return err
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil {
				size = st.Size()
			}
			in = f
		}
		counter := &countingReader{r: bufio.NewReaderSize(in, 1<<16)}
		fmtName := producer.Format(strings.ToLower(*format))
		if fmtName == "" {
			fmtName = "csv"
			if strings.HasSuffix(strings.ToLower(*csvPath), ".jsonl") || strings.HasSuffix(strings.ToLower(*csvPath), ".ndjson") {
				fmtName = "jsonl"
			}
		}
		if fmtName != "csv" && fmtName != "jsonl" {
			return usagef("--format %q: want csv or jsonl", *format)
		}
		rejPath := *rejects
		if rejPath == "" {
			base := *csvPath
			if base == "-" {
				base = "stdin"
			}
			rejPath = strings.TrimSuffix(base, filepath.Ext(base)) + ".rejects.csv"
		}
		rej := &term.LazyFile{Path: rejPath}
		defer rej.Close()

		var expected int64
		if *csvPath != "-" {
			rows, err := countRows(*csvPath, fmtName)
			if err != nil {
				return err
			}
			expected = int64(rows)
			if err := admit(ctx, p.Producer, spec, rows, prov.Rate, *strict, *quiet, errOut); err != nil {
				return err
			}
		}

		bar := term.NewProgress(errOut)
		bar.PercentOnly = true
		opt := producer.Options{Format: fmtName, Rejects: rej, ExpectedRows: expected}
		if !*quiet {
			opt.Progress = func(pr producer.Progress) {
				bar.Update("importing", counter.n.Load(), size, fmt.Sprintf("rows %d  accepted %d  rejected %d", pr.Lines, pr.Accepted, pr.Rejected), false)
			}
		}
		res, err := p.Producer.Import(ctx, spec, counter, opt)
		if !*quiet {
			if bar.TTY() {
				bar.Update("importing", counter.n.Load(), size, fmt.Sprintf("rows %d", res.Lines), true)
			}
			bar.Done()
		}
		printImportSummary(out, spec.ID, res, rej)
		if err == nil && *csvPath == "-" {
			// From stdin the rows could not be counted before: the estimate
			// comes now, for what of the campaign is still to send.
			counts, cerr := p.Store.CampaignCounts(ctx, spec.ID)
			if cerr != nil {
				return cerr
			}
			if *strict {
				fmt.Fprintln(errOut, "note: --strict cannot check a campaign read from stdin before importing it")
			}
			return admit(ctx, p.Producer, spec, counts[message.Queued]+counts[message.Sending], prov.Rate, false, *quiet, errOut)
		}
		return err
	}
	return c
}

// admit estimates when a campaign of rows messages drains at rate: it
// warns when that is past the TTL, or refuses with strict.
func admit(ctx context.Context, p *producer.Producer, spec *producer.Spec, rows int64, rate float64, strict, quiet bool, errOut io.Writer) error {
	est, err := p.Admission(ctx, spec, rows, rate)
	if err != nil {
		return err
	}
	switch {
	case est.Unlimited():
	case !est.Fits() && strict:
		return fmt.Errorf("campaign %s refused (--strict): %s; raise the account's rate, lengthen the ttl, split the campaign or import it later", spec.ID, est)
	case !est.Fits():
		fmt.Fprintf(errOut, "warning: campaign %s: %s (--strict refuses such a campaign)\n", spec.ID, est)
	case !quiet:
		fmt.Fprintf(errOut, "campaign %s: %s\n", spec.ID, est)
	}
	return nil
}

// countRows counts the data rows of a recipients file fast, by its line
// breaks (a CSV's header is not a row; a quoted field spanning lines
// counts more than once, blank lines count too): an estimate.
func countRows(path string, format producer.Format) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var lines int64
	last := byte('\n')
	for {
		n, err := f.Read(buf)
		if n > 0 {
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			last = buf[n-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("count rows of %s: %w", path, err)
		}
	}
	if last != '\n' {
		lines++
	}
	if format != producer.FormatJSONL && lines > 0 {
		lines-- // the header
	}
	return lines, nil
}

func printImportSummary(out io.Writer, id string, res producer.Result, rej *term.LazyFile) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "campaign %s: %d rows read\n", id, res.Lines)
	fmt.Fprintf(tw, "accepted\t%d\t\n", res.Accepted)
	fmt.Fprintf(tw, "duplicate\t%d\t\n", res.Duplicate)
	fmt.Fprintf(tw, "rejected\t%d\t\n", res.Rejected)
	fmt.Fprintf(tw, "already-present\t%d\t\n", res.AlreadyPresent)
	if res.OptedOut > 0 {
		fmt.Fprintf(tw, "opted_out\t%d\t\n", res.OptedOut)
	}
	_ = tw.Flush()
	if res.Requeued > 0 {
		fmt.Fprintf(out, "(%d already-present messages were still queued and were queued again)\n", res.Requeued)
	}
	if rej != nil && rej.Created() {
		fmt.Fprintf(out, "rejected rows: %s\n", rej.Path)
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
