package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/loadtest"
)

func demoCmd() *cobra.Command {
	c := command("demo", "run a whole campaign end to end on embedded Redis and the simulator", `
Runs the whole pipeline in one process, with nothing to install: an embedded
Redis (miniredis), a simulated provider speaking the wire format of
--provider (tujenge by default; taqnyat, socnet, modica, decisiontelecom,
meta), and a worker. It generates three campaigns that take every path a
real one does:

  demo-promo     a template campaign; its CSV has invalid numbers, duplicates,
                 national and international formats, and rows with a missing
                 parameter; the provider answers some sends with transient
                 errors (e.g. 408, 429, 503) before accepting, and refuses some
                 permanently (e.g. 400, template missing)
  demo-followup  a free-form message: only contacts who wrote in the last 24 h
                 may get it; the others end window_closed, without a request
                 where the account enforces the window, by the provider's
                 refusal where it decides (socnet, decisiontelecom); the
                 provider closes the window for a few more (e.g. 470)
  demo-flash     a flash sale whose TTL passed before it could go out: expired,
                 never sent

Codes follow the provider: each kind answers in its own vocabulary. Modica's
gateway carries text only, so over modica the promo is a text message to
contacts who wrote in; Socnet reaches Ugandan numbers only, so over socnet
the recipients are Ugandan.

It shows progress, prints the outcome table, re-imports demo-promo to show
nothing is sent twice, and exits 0 only when every recipient has exactly one
outcome and the simulator saw no duplicate. Files (recipients, rejects,
reports) go to --out.`, none, nil)
	fs := c.Flags()
	var o loadtest.DemoOptions
	fs.IntVar(&o.Recipients, "recipients", 3000, "recipients in demo-promo")
	fs.Float64Var(&o.Rate, "rate", 400, "the provider account's rate limit (messages/s)")
	fs.DurationVar(&o.Timeout, "timeout", 90*time.Second, "give up if the campaigns have not drained by then")
	fs.StringVar(&o.OutDir, "out", "demo-out", "directory for the generated CSVs, rejects and reports")
	fs.StringVar(&o.LogLevel, "log-level", "error", "worker log level (debug, info, warn, error)")
	fs.Uint64Var(&o.Seed, "seed", 7, "seed for the generated data and the simulator's faults")
	fs.StringVar(&o.Kind, "provider", "tujenge", "provider kind to simulate: "+strings.Join(simulatedKinds(), ", "))
	fs.BoolVar(&o.UI, "ui", false, "after the campaigns drained, keep the web console up (prints its URL and a sign-in token) until Ctrl-C")
	fs.StringVar(&o.UIListen, "ui-listen", loadtest.DefaultUIListen, "where --ui serves the console (a free port when taken)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if o.Recipients < 100 {
			return usagef("--recipients must be at least 100")
		}
		if err := checkSimulated(o.Kind); err != nil {
			return err
		}
		return loadtest.Demo(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	return c
}
