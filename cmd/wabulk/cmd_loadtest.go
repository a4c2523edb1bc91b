package main

import (
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wabulk/wabulk/internal/loadtest"
	"github.com/wabulk/wabulk/providers"
)

// loadtestCmd is the pipeline benchmark, with the other benchmarks as its
// subcommands: each takes only its own flags.
func loadtestCmd() *cobra.Command {
	var o loadtest.PipelineOptions
	var quiet bool
	c := command("loadtest", "benchmarks: pipeline vs bare asynq; fleet, webhooks, lanes, scheduled, footprint", `
Measures the whole pipeline in one process: generates N recipients, imports
them (records + asynq tasks) while a worker sends them to the simulator, and
prints one JSON summary: enqueue/s, sent/s, p50/p99 end-to-end latency
(record created → provider accepted), outcomes by state, lost (recipients
without an outcome) and duplicates (sent more than once, as the simulator
counted them).

--bare then pushes the same N tasks through bare asynq (same enqueuers, same
concurrency, a no-op handler) in the same run and reports pipeline/bare.
--naive pushes the same N tasks through the sender a user would write
instead: an asynq handler that decodes the message and calls the same
adapter (the same --provider kind, the same simulator), with no record, no
guards and no limits, at the same concurrency; it reports pipeline/naive,
and the adapter and simulator alone (the same sends from --concurrency
goroutines, no asynq, no Redis). Each phase reports its CPU per message:
this process's user+sys time (getrusage) over the phase, divided by the
messages; the simulator runs in this process, so its share is in every
sending phase alike (the adapter phase shows how much it is), and on a real
Redis the server's own CPU (INFO cpu) beside it.
Runs on an embedded miniredis unless --redis names a real one (its keys go
under a fresh prefix and are removed afterwards). --provider picks the wire
format (tujenge by default).

The other benchmarks are subcommands: fleet (worker processes against a
provider's limit), webhooks (callback ingest), lanes (reminders during a
campaign), scheduled (send_at lateness), footprint (Redis memory per
queued and per finished recipient). Each exits non-zero when a recipient
was lost or sent twice.`, none, nil)
	fs := c.Flags()
	commonLoadFlags(fs, &o.Kind, &o.RedisURL, &o.N, &o.Concurrency, &o.Timeout, &quiet, "recipients", "worker concurrency")
	fs.DurationVar(&o.Latency, "latency", 0, "simulated provider latency")
	fs.DurationVar(&o.Jitter, "jitter", 0, "extra random provider latency, uniform in [0, jitter)")
	fs.StringVar(&o.Faults, "faults", "", "provider fault ratios, e.g. 503=0.01,429=0.01")
	fs.Float64Var(&o.Rate, "rate", 0, "provider account rate limit in messages/s (0: none)")
	fs.BoolVar(&o.Bare, "bare", false, "also run the same N through bare asynq and print the ratio")
	fs.BoolVar(&o.Naive, "naive", false, "also run the same N through a naive sender (asynq handler → adapter, nothing else) and print the ratio")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkSimulated(o.Kind); err != nil {
			return err
		}
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		return loadtest.Pipeline(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	c.AddCommand(fleetCmd(), webhooksLoadCmd(), lanesCmd(), scheduledCmd(), footprintCmd(), importRSSCmd())
	return c
}

// commonLoadFlags are the flags every benchmark takes.
func commonLoadFlags(fs *pflag.FlagSet, kind, redisURL *string, n, conc *int, timeout *time.Duration, quiet *bool, nHelp, concHelp string) {

	if kind != nil {
		fs.StringVar(kind, "provider", "tujenge", "provider kind to simulate: "+strings.Join(simulatedKinds(), ", "))
	}
	fs.StringVar(redisURL, "redis", "", "Redis URL (default: an embedded miniredis)")
	fs.IntVarP(n, "n", "n", 20000, nHelp)
	fs.IntVar(conc, "concurrency", 50, concHelp)
	fs.DurationVar(timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.BoolVar(quiet, "quiet", false, "no progress on stderr")
}

// progress is where a benchmark's progress goes: stderr, or nowhere.
func progress(cmd *cobra.Command, quiet bool) io.Writer {
	if quiet {
		return io.Discard
	}
	return cmd.ErrOrStderr()
}

func fleetCmd() *cobra.Command {
	var o loadtest.FleetOptions
	c := command("fleet", "worker processes on one Redis against a provider's rate limit", `
Starts --workers real "wabulk worker" processes sharing the Redis --redis
names and a simulated provider that enforces --rate itself (answering its
rate-limit error beyond it), imports -n recipients, and prints how exactly
the fleet held the limit: achieved rate / limit, the busiest one-second
window (goal ≤ rate + burst), the provider's 429s (goal 0), the sends the
provider took, duplicates (a recipient taken twice), lost (a recipient
never taken and without an outcome), the outcome table read from the
records, and the run's keys on each Redis master (a Cluster's spread).
--outage 30s makes the provider fail every send for that long
(--outage-after into the run): no message may end failed.

--failover-cmd runs a shell command --failover-after the import, e.g.
"scripts/redis-modes.sh failover-sentinel" or "... failover-cluster", and
reports how long sending stalled (the longest gap between consecutive sends
at the provider) and when it resumed. --redis takes every form:
redis://, redis+sentinel://, redis+cluster://.

--provider-rate makes the provider's real limit differ from the account's
configured --rate (and --provider-rate-after with --provider-rate-then
moves it mid-run): the fleet has to learn it from the provider's 429s. The
report then adds, per limit, the accepted rate and the 429s in 5-s
windows, when the fleet reached 95 % of the limit (min of the provider's
and the configured rate) for good, when it converged (≥ 95 % in every
window from then on, with ≤ 2 % of the answers 429; goal: within 30 s),
and the rate and 429 ratio after convergence and after 30 s.
--worker-bin runs another build's worker (e.g. the main branch's) under
the same harness.`, none, nil)
	fs := c.Flags()
	commonLoadFlags(fs, &o.Kind, &o.RedisURL, &o.N, &o.Concurrency, &o.Timeout, &o.Quiet, "recipients", "each worker's concurrency")
	fs.Lookup("redis").Usage = "the Redis URL the worker processes share (required)"
	fs.IntVar(&o.Workers, "workers", 3, "worker processes")
	fs.Float64Var(&o.Rate, "rate", 0, "the provider's limit the fleet must hold, messages/s (required)")
	fs.IntVar(&o.Burst, "burst", 0, "the account's (and the provider's) burst (default rate/20)")
	fs.Float64Var(&o.ProviderRate, "provider-rate", 0, "the provider's real limit, messages/s, when it differs from --rate (default --rate): the fleet learns it from 429s")
	fs.DurationVar(&o.ProviderRateAfter, "provider-rate-after", 0, "when the provider's limit becomes --provider-rate-then, after the import")
	fs.Float64Var(&o.ProviderRateThen, "provider-rate-then", 0, "the provider's limit from --provider-rate-after on (0: it never changes)")
	workerBin := fs.String("worker-bin", "", "the wabulk binary whose worker the processes run (default: this one), e.g. an earlier build to compare with")
	fs.DurationVar(&o.Outage, "outage", 0, "the provider fails every send for this long (e.g. 30s)")
	fs.DurationVar(&o.OutageAfter, "outage-after", 5*time.Second, "when the outage starts, after the import")
	fs.StringVar(&o.FailoverCmd, "failover-cmd", "", `a shell command that fails the Redis over mid-campaign (e.g. "scripts/redis-modes.sh failover-sentinel")`)
	fs.DurationVar(&o.FailoverAfter, "failover-after", 4*time.Second, "when --failover-cmd runs, after the import")
	fs.StringVar(&o.LogDir, "logs", "", "keep the worker processes' logs in this directory (worker-N.log)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		switch {
		case o.Rate <= 0:
			return usagef("--rate is required: the provider limit the fleet must hold")
		case o.RedisURL == "":
			return usagef("--redis is required: worker processes share a real Redis")
		case o.Workers <= 0:
			return usagef("--workers must be positive")
		}
		if err := checkSimulated(o.Kind); err != nil {
			return err
		}
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		if *workerBin != "" {
			exe = *workerBin
		}
		o.Worker = []string{exe, "worker"}
		return loadtest.Fleet(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, o.Quiet))
	}
	return c
}

func webhooksLoadCmd() *cobra.Command {
	var o loadtest.WebhookOptions
	var quiet bool
	c := command("webhooks", "serve's webhook ingest against an HTTP floor", `
Starts serve's webhook receiver (the same handler and HTTP server) on
loopback and POSTs -n status receipts to it, each about another message, in
--provider's wire format and authentication (meta: signed with
X-Hub-Signature-256; tujenge: a secret header; the others: HTTP Basic), from
--concurrency keep-alive connections. In the same run the same clients POST
them to an HTTP floor (reads the body, answers 200: no authentication,
parsing or Redis), and --bare enqueues the same events payloads through bare
asynq without HTTP. After an unmeasured warm-up, these take turns on the
same slices of the callbacks (up to 5 rounds), so that other load on the
machine falls on all of them alike. It prints callbacks/s and p50, p95, p99
and max acknowledgement latency (request sent to 2xx received) for each,
webhooks/floor, and durability: every message id answered 2xx must be in
exactly one task of the events queue, read back. Fails when a callback was
not answered 2xx, or was answered 2xx without exactly one events task.`, none, nil)
	fs := c.Flags()
	commonLoadFlags(fs, &o.Kind, &o.RedisURL, &o.N, &o.Concurrency, &o.Timeout, &quiet, "callbacks", "concurrent HTTP connections")
	fs.BoolVar(&o.Bare, "bare", false, "also enqueue the same events payloads through bare asynq")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object instead of the table")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkSimulated(o.Kind); err != nil {
			return err
		}
		if o.N <= 0 || o.Concurrency <= 0 {
			return usagef("-n and --concurrency must be positive")
		}
		if k, err := providers.LookupKind(o.Kind); err == nil && len(k.Webhook) == 0 {
			return usagef("--provider %s: %s sends no callbacks, so serve has no endpoint for it; pick another kind", o.Kind, o.Kind)
		}
		return loadtest.Webhooks(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	return c
}

func lanesCmd() *cobra.Command {
	var o loadtest.LanesOptions
	var quiet bool
	c := command("lanes", "reminders (lane high) during a campaign: their send latency", `
Injects reminders (lane high, as transactional messages and scheduled
reminders go) at --reminders per second for 10 s alone, then while an -n
campaign (lane normal) drains at --rate, and prints the reminders' send
latency (record created → provider accepted) p50/p99/max in both phases side
by side. The goal is p99 ≤ 2 s during the campaign.`, none, nil)
	fs := c.Flags()
	commonLoadFlags(fs, nil, &o.RedisURL, &o.N, &o.Concurrency, &o.Timeout, &quiet, "campaign recipients", "worker concurrency")
	fs.Float64Var(&o.Reminders, "reminders", 5, "reminders injected per second on lane high")
	fs.Float64Var(&o.Rate, "rate", 0, "the limit the campaign drains at, messages/s (required)")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object instead of the table")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if o.Rate <= 0 || o.Reminders <= 0 {
			return usagef("--rate and --reminders must be positive")
		}
		return loadtest.Lanes(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	return c
}

func scheduledCmd() *cobra.Command {
	var o loadtest.ScheduledOptions
	var quiet bool
	c := command("scheduled", "how late send_at messages go out, against bare asynq ProcessAt", `
-n recipients are imported as campaigns with send_at --at after the start
(all at once), or one campaign per second over --spread; the worker sends
them to the simulator; it prints p50/p99/max lateness (provider accepted −
send_at) side by side with the same N bare asynq ProcessAt tasks at the same
times on a handler that only records when it ran (the floor).
--delayed-check sets delayed_task_check_interval for both. The goal is
p99 ≤ 1.5 s.`, none, nil)
	fs := c.Flags()
	commonLoadFlags(fs, nil, &o.RedisURL, &o.N, &o.Concurrency, &o.Timeout, &quiet, "recipients", "worker concurrency")
	fs.IntVar(&o.Rounds, "rounds", 20, "split N into this many rounds, each with a worker started at a random moment")
	fs.DurationVar(&o.At, "at", 2*time.Second, "a round's first send_at, this long after its start (rounded up to a whole second)")
	fs.DurationVar(&o.Spread, "spread", 0, "spread a round's send_at times over this window, one campaign per second (0: all at --at)")
	fs.DurationVar(&o.DelayedCheck, "delayed-check", 0, "the worker's delayed_task_check_interval (default: the worker's default)")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object instead of the table")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if o.N <= 0 || o.Rounds <= 0 || o.At < 0 || o.Spread < 0 {
			return usagef("-n and --rounds must be positive, --at and --spread not negative")
		}
		return loadtest.Scheduled(cmd.Context(), o, cmd.OutOrStdout(), progress(cmd, quiet))
	}
	return c
}
