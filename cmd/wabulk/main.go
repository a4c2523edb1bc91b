// Command wabulk is a durable, queue-based bulk WhatsApp sender.
//
// Run `wabulk help` for the commands, `wabulk COMMAND --help` for one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "run a whole campaign end to end on embedded Redis and the simulator", runDemo},
		{"worker", "send queued messages (an asynq server)", runWorker},
		{"serve", "HTTP API (/v1: messages, campaigns) and provider callbacks (/webhooks/ACCOUNT)", runServe},
		{"import", "import a campaign: spec + recipients CSV/JSONL → records + queued messages", runImport},
		{"campaign", "campaigns: list, status [--watch], report, pause, resume, cancel, retry-failed", runCampaign},
		{"provider", "provider accounts: status, pause, resume", runProvider},
		{"optout", "a provider account's suppression list: add, remove, list", runOptOut},
		{"scheduler", "run recurring reminder jobs from the config's schedules (cron, time zone, audience file)", runScheduler},
		{"simulate", "serve fake providers (any of the six wire formats) with latency, faults, limits and receipts", runSimulate},
		{"loadtest", "benchmarks: pipeline vs bare asynq, a fleet vs a provider's limit, webhook ingest, reminder lanes, scheduled lateness", runLoadtest},
		{"version", "print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
			fmt.Fprintln(out, "wabulk", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a graceful stop; a second one ends the
	// process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, out, errOut)
		}
		usage(out)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], out, errOut)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case isUsage(err):
			fmt.Fprintf(errOut, "wabulk %s: %v\nRun 'wabulk %s --help' for usage.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(errOut, "wabulk %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(errOut, "wabulk: unknown command %q\n\n", args[0])
	usage(errOut)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "wabulk — durable bulk WhatsApp sending on Redis (asynq)\n\nUsage: wabulk COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nStart with 'wabulk demo'. Each command takes --help.\nConfiguration: a YAML file (--config, default ./wabulk.yaml or $WABULK_CONFIG); see examples/wabulk.yaml.\n")
}

// flags returns a FlagSet whose --help prints a description, the usage
// line and the flags.
func flags(name, synopsis, about string, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wabulk "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(errOut, "Usage: wabulk %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(about))
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(errOut, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args; --help returns flag.ErrHelp after printing usage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	return nil
}

// configFlag adds --config/-c and returns a loader for it.
func configFlag(fs *flag.FlagSet) func() (*Config, error) {
	def := os.Getenv("WABULK_CONFIG")
	if def == "" {
		def = "wabulk.yaml"
	}
	var path string
	fs.StringVar(&path, "config", def, "config file (YAML; see examples/wabulk.yaml); $WABULK_CONFIG sets the default")
	fs.StringVar(&path, "c", def, "shorthand for --config")
	return func() (*Config, error) {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("config file %s: %w (pass --config FILE; examples/wabulk.yaml is a documented start)", path, err)
		}
		return LoadConfig(path)
	}
}

// parseInterspersed parses flags that may stand before, between or after
// positional arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
