package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
)

// fleetReport is what loadtest fleet prints: how exactly a fleet of
// worker processes held a provider's rate limit, what reached the provider
// (each recipient exactly once is the goal), and how the run's keys lie on
// the Redis masters.
type fleetReport struct {
	Provider   string `json:"provider"`
	Redis      string `json:"redis"`
	Workers    int    `json:"workers"`
	Recipients int    `json:"recipients"`
	// ProviderSends is every send the provider (the simulator) accepted,
	// duplicates included.
	ProviderSends int64 `json:"provider_sends"`
	// Duplicates is accepted sends beyond the first per recipient, as the
	// provider counted them (each recipient is one message): 0 is the goal.
	Duplicates int64 `json:"duplicates"`
	// Lost is recipients the provider never accepted and whose record holds
	// no outcome (or who have no record): silently dropped. 0 is the goal.
	Lost int64 `json:"lost"`
	// WithoutOutcome is recipients whose record holds no outcome (or who
	// have no record), whether the provider took them or not.
	WithoutOutcome int64 `json:"without_outcome"`
	// Outcomes is the records by status ("missing": no record), read from
	// the records themselves.
	Outcomes map[string]int64 `json:"outcomes"`
	// FailedUnsent is recipients whose record ended in a failure although
	// the provider never took them; TakenNotRecorded those the provider
	// took whose record does not say so (a failure, or no outcome).
	FailedUnsent     int64 `json:"failed_unsent"`
	TakenNotRecorded int64 `json:"taken_not_recorded"`
	// FailedReasons counts the records that ended without the provider
	// taking them, by status, error code and error.
	FailedReasons map[string]int64 `json:"failed_reasons,omitempty"`
	// CampaignCounters is the campaign's counters, shown only when they
	// disagree with the records.
	CampaignCounters map[string]int64 `json:"campaign_counters,omitempty"`

	RateLimit     float64 `json:"rate_limit"`
	Burst         int     `json:"burst"`
	AchievedRate  float64 `json:"achieved_rate"`
	AchievedRatio float64 `json:"achieved_ratio"`
	// DrainPerSec is recipients per second from the import's start until
	// every one had an outcome.
	DrainPerSec   float64 `json:"drain_per_sec"`
	PeakPerSecond int64   `json:"peak_per_second"`
	PeakLimit     int     `json:"peak_allowed"`
	Throttled     int64   `json:"throttled_answers"`
	// SendGaps are the longest pauses between two consecutive sends the
	// provider accepted (at most simulator.MaxGaps, longest first), after
	// the import's start: when and how long sending stalled.
	SendGaps []sendGap `json:"send_gaps,omitempty"`
	// LongestSendGapSec is the longest time between two consecutive sends
	// the provider accepted: how long sending stalled.
	LongestSendGapSec float64         `json:"longest_send_gap_sec"`
	Outage            string          `json:"outage,omitempty"`
	OutageAnswers     int64           `json:"outage_answers,omitempty"`
	Failover          *failoverReport `json:"failover,omitempty"`
	// KeysPerMaster is the run's keys on each master (one entry for one
	// node or Sentinel's master), busiest first, counted once the
	// campaign drained; MaxMasterShare is the busiest one's share.
	KeysPerMaster  []masterKeys     `json:"keys_per_master,omitempty"`
	MaxMasterShare float64          `json:"max_master_share,omitempty"`
	ElapsedSec     float64          `json:"elapsed_sec"`
	ProviderAnswer map[string]int64 `json:"provider_answers"`
	// ProviderRate is the provider's real limit when it differs from the
	// configured rate (--provider-rate), and ProviderRateThen what it
	// becomes ProviderRateAfterSec after the import's start; LimitPhases
	// then say, per limit, how the fleet followed it, window by window.
	ProviderRate         float64      `json:"provider_rate,omitempty"`
	ProviderRateAfterSec float64      `json:"provider_rate_after_sec,omitempty"`
	ProviderRateThen     float64      `json:"provider_rate_then,omitempty"`
	LimitPhases          []limitPhase `json:"limit_phases,omitempty"`
}

// failoverReport is what a failover mid-campaign did and cost.
type failoverReport struct {
	Command string `json:"command"`
	// Ran is false when the campaign drained before the failover was due.
	Ran bool `json:"ran"`
	// StartedSec is when the command started, after the import's start;
	// CommandSec how long it ran.
	StartedSec float64 `json:"started_sec"`
	CommandSec float64 `json:"command_sec"`
	Output     string  `json:"output,omitempty"`
	Error      string  `json:"error,omitempty"`
	// StallSec is the longest gap between consecutive sends at the
	// provider that began while the command ran; StallStartSec and
	// ResumedSec are when it began and when sending resumed, after the
	// command started. StallNote says when no such gap is known.
	StallSec      float64 `json:"stall_sec"`
	StallStartSec float64 `json:"stall_start_sec"`
	ResumedSec    float64 `json:"resumed_sec"`
	StallNote     string  `json:"stall_note,omitempty"`
}

// sendGap is a pause in sending: it began AtSec after the import's start
// and lasted Sec.
type sendGap struct {
	AtSec float64 `json:"at_sec"`
	Sec   float64 `json:"sec"`
}

// FleetOptions are loadtest's flags for a fleet run.
type FleetOptions struct {
	Kind        string  // provider kind to simulate
	RedisURL    string  // the Redis every worker shares (required)
	Workers     int     // worker processes to start
	N           int     // recipients
	Concurrency int     // each worker's concurrency
	Rate        float64 // the account's configured rate, and the provider's limit unless ProviderRate is set, messages/s
	Burst       int     // the provider's (and the account's) burst; default Rate/20
	// ProviderRate is the provider's real limit when it differs from Rate
	// (0: Rate): the fleet has to learn it from the provider's 429s.
	// ProviderRateThen (when > 0) replaces it ProviderRateAfter after the
	// import: the limit moves mid-run.
	ProviderRate      float64
	ProviderRateAfter time.Duration
	ProviderRateThen  float64
	Outage            time.Duration // the provider fails every send for this long (0: no outage)
	OutageAfter       time.Duration // when the outage starts, after the import
	// FailoverCmd is a shell command (sh -c, in the current directory) that
	// fails the Redis over mid-campaign, e.g. "scripts/redis-modes.sh
	// failover-sentinel"; "" for none. It runs FailoverAfter after the
	// import, once.
	FailoverCmd   string
	FailoverAfter time.Duration
	// LogDir keeps the worker processes' logs (worker-N.log) there; ""
	// removes them with the run.
	LogDir  string
	Timeout time.Duration
	Quiet   bool
	// Worker is the command that runs one worker process, without its
	// --config (e.g. {"/usr/local/bin/wabulk", "worker"}).
	Worker []string
}

// Fleet starts a simulator that enforces opt.Rate like the provider
// would (answering its rate-limit error beyond it), opt.Workers real
// `wabulk worker` processes sharing one Redis, imports opt.N recipients,
// and measures what reached the provider.
func Fleet(ctx context.Context, opt FleetOptions, out, prog io.Writer) error {
	if opt.RedisURL == "" {
		return errors.New("a fleet needs a real Redis that its worker processes share")
	}
	c, err := app.OpenRedis(ctx, config.RedisConfig{URL: opt.RedisURL}, false)
	if err != nil {
		return err
	}
	defer c.Close()
	prefix := "wabulk-fleet-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), c.RDB, prefix)
	if opt.Burst <= 0 {
		opt.Burst = max(1, int(opt.Rate/20))
	}

	// The provider's own limit: the account's rate, with twice our burst as
	// its tolerance for network jitter (sends leave at exactly the rate but
	// do not arrive exactly so on a busy machine). A fleet that overshoots
	// gets the provider's rate-limit answer; our own peak is judged against
	// rate + our burst.
	acct := config.ProviderConfig{Name: "fleet", Kind: opt.Kind, Rate: opt.Rate, Burst: opt.Burst, PairEvery: config.Off, Timeout: config.Duration(10 * time.Second)}
	k, err := providers.LookupKind(opt.Kind)
	if err != nil {
		return err
	}
	cred, err := SimulatedAccount(&acct, "")
	if err != nil {
		return err
	}
	if opt.ProviderRate <= 0 {
		opt.ProviderRate = opt.Rate
	}
	sim, err := simulator.New(simulator.Config{Kind: opt.Kind, APIKey: cred, Rate: opt.ProviderRate, Burst: 2 * opt.Burst, RetryAfter: time.Second})
	if err != nil {
		return err
	}
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()
	if _, err := SimulatedAccount(&acct, simURL); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "wabulk-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logDir := dir
	if opt.LogDir != "" {
		if err := os.MkdirAll(opt.LogDir, 0o755); err != nil {
			return err
		}
		logDir = opt.LogDir
	}
	cfg := fleetConfig(opt, k, prefix, acct)
	cfgPath := filepath.Join(dir, "wabulk.yaml")
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return err
	}
	if len(opt.Worker) == 0 {
		return errors.New("a fleet needs the worker command to run (FleetOptions.Worker)")
	}
	var procs []*exec.Cmd
	stopAll := func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			_ = p.Wait()
		}
		procs = nil
	}
	defer stopAll()
	for i := range opt.Workers {
		logf, err := os.Create(filepath.Join(logDir, fmt.Sprintf("worker-%d.log", i)))
		if err != nil {
			return err
		}
		defer logf.Close()
		p := exec.CommandContext(context.WithoutCancel(ctx), opt.Worker[0], append(opt.Worker[1:], "--config", cfgPath, "--admin-listen", "off")...)
		p.Stdout, p.Stderr = logf, logf
		if err := p.Start(); err != nil {
			return fmt.Errorf("start worker %d: %w", i, err)
		}
		procs = append(procs, p)
	}
	fmt.Fprintf(prog, "%d workers started against %s; account rate %.0f/s (burst %d), provider limit %.0f/s\n", opt.Workers, config.RedactURL(opt.RedisURL), opt.Rate, opt.Burst, opt.ProviderRate)

	st := store.New(c.RDB, store.Config{Prefix: prefix})
	p := app.NewPipeline(cfg, c, nil, nil)
	defer p.Client.Close()
	spec := &producer.Spec{ID: "fleet", Account: acct.Name, TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "fleet", Language: "en", Body: []string{"{{name}}"}}}}
	number := mobile(region(k))
	start := time.Now()
	res, err := p.Producer.Import(ctx, spec, recipientsCSV(opt.N, number), producer.Options{ExpectedRows: int64(opt.N)})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(prog, "imported %d in %.1fs\n", res.Accepted, time.Since(start).Seconds())
	if opt.Outage > 0 {
		go func() {
			select {
			case <-time.After(opt.OutageAfter):
				fmt.Fprintf(prog, "provider outage for %v\n", opt.Outage)
				sim.Outage(opt.Outage)
			case <-ctx.Done():
			}
		}()
	}
	if opt.ProviderRateThen > 0 {
		go func() {
			select {
			case <-time.After(time.Until(start.Add(opt.ProviderRateAfter))):
				fmt.Fprintf(prog, "provider limit now %.0f/s\n", opt.ProviderRateThen)
				sim.SetRate(opt.ProviderRateThen)
			case <-ctx.Done():
			}
		}()
	}
	var learned *learnedSamples
	if opt.ProviderRate != opt.Rate || opt.ProviderRateThen > 0 {
		learned = sampleLearned(ctx, ratelimit.NewShared(c.RDB, prefix, app.Limits(cfg)), acct.Name)
	}
	var fo *failover
	if opt.FailoverCmd != "" {
		fo = startFailover(ctx, opt.FailoverCmd, opt.FailoverAfter, prog)
	}
	drainErr := watch(ctx, st, []string{spec.ID}, res.Accepted, opt.Timeout, prog)
	elapsed := time.Since(start)
	if learned != nil {
		learned.stop()
	}
	if fo != nil {
		fo.finish()
	}
	stopAll()

	stats := sim.Stats()
	rep := fleetReport{Provider: opt.Kind, Redis: config.RedactURL(opt.RedisURL), Workers: opt.Workers, Recipients: opt.N,
		ProviderSends: stats.Accepted, Duplicates: stats.Duplicates,
		RateLimit: opt.Rate, Burst: opt.Burst, AchievedRate: round(stats.AcceptRate()),
		DrainPerSec: round(float64(opt.N) / elapsed.Seconds()), PeakPerSecond: stats.PeakPerSecond, PeakLimit: int(opt.Rate) + opt.Burst,
		ElapsedSec: round(elapsed.Seconds()), ProviderAnswer: stats.ByCode}
	rep.AchievedRatio = round(rep.AchievedRate / min(opt.Rate, opt.ProviderRate))
	if opt.ProviderRate != opt.Rate || opt.ProviderRateThen > 0 {
		rep.ProviderRate = opt.ProviderRate
		then := time.Duration(0)
		if opt.ProviderRateThen > 0 {
			rep.ProviderRateAfterSec, rep.ProviderRateThen, then = opt.ProviderRateAfter.Seconds(), opt.ProviderRateThen, opt.ProviderRateAfter
		}
		// The last 5 s before the last accept are left out: the backlog
		// runs dry there and the stragglers deferred by 429s trickle in.
		rep.LimitPhases = learnPhases(sim.Windows(start, stats.LastAccept.Add(-learnWindow), time.Second), opt.Rate, opt.ProviderRate, then, opt.ProviderRateThen)
		learned.annotate(rep.LimitPhases, start)
	}
	for _, g := range stats.Gaps {
		rep.SendGaps = append(rep.SendGaps, sendGap{AtSec: round(g.From.Sub(start).Seconds()), Sec: round(g.Len().Seconds())})
	}
	if len(stats.Gaps) > 0 {
		rep.LongestSendGapSec = round(stats.Gaps[0].Len().Seconds())
	}
	if sc, ok := simulator.ScenarioFor(opt.Kind); ok {
		rep.Throttled = stats.ByCode[fmt.Sprint(sc.Throttle)]
		if opt.Outage > 0 && len(sc.Transient) > 0 {
			rep.Outage = opt.Outage.String()
			rep.OutageAnswers = stats.ByCode[fmt.Sprint(sc.Transient[len(sc.Transient)-1])]
		}
	}
	if fo != nil {
		rep.Failover = fo.report(start, stats)
	}
	if err := tally(ctx, st, sim, spec.ID, opt.N, number, &rep); err != nil {
		return err
	}
	if rep.KeysPerMaster, err = keySpread(ctx, c.RDB, prefix); err != nil {
		fmt.Fprintf(prog, "keys per master: %v\n", err)
	} else if len(rep.KeysPerMaster) > 0 {
		rep.MaxMasterShare = rep.KeysPerMaster[0].Share
	}
	err = report(out, rep, rep.Lost, rep.Duplicates, drainErr)
	switch {
	case err != nil:
		return err
	case rep.WithoutOutcome > 0:
		return fmt.Errorf("%d recipients have no outcome in their record", rep.WithoutOutcome)
	case rep.Failover != nil && !rep.Failover.Ran:
		return fmt.Errorf("the campaign drained before the failover was due (--failover-after %v): nothing was measured", opt.FailoverAfter)
	case rep.Failover != nil && rep.Failover.Error != "":
		return fmt.Errorf("failover command %q: %s", opt.FailoverCmd, rep.Failover.Error)
	}
	return nil
}

// tally reads every recipient's record and what the provider took for it:
// the outcome table, lost recipients and those without an outcome, and
// the campaign's counters when they disagree with the records.
func tally(ctx context.Context, st *store.Store, sim *simulator.Simulator, campaign string, n int, number func(int) string, rep *fleetReport) error {
	rep.Outcomes = map[string]int64{}
	const batch = 1000
	ids := make([]string, 0, batch)
	tos := make([]string, 0, batch)
	flush := func() error {
		recs, err := st.GetMany(ctx, ids)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		for i, r := range recs {
			switch {
			case r == nil:
				rep.Outcomes["missing"]++
			default:
				rep.Outcomes[string(r.Status)]++
			}
			taken := sim.Accepted(tos[i]) > 0
			if taken && (r == nil || !r.Status.ProviderTook()) {
				rep.TakenNotRecorded++
			}
			if r != nil && r.Status.Outcome() {
				if !r.Status.ProviderTook() {
					if !taken {
						rep.FailedUnsent++
					}
					if rep.FailedReasons == nil {
						rep.FailedReasons = map[string]int64{}
					}
					rep.FailedReasons[failedReason(r)]++
				}
				continue
			}
			rep.WithoutOutcome++
			if !taken {
				rep.Lost++
			}
		}
		ids, tos = ids[:0], tos[:0]
		return nil
	}
	for i := range n {
		to := number(i)
		ids, tos = append(ids, message.CampaignMessageID(campaign, to)), append(tos, to)
		if len(ids) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(ids) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	counts, err := st.CampaignCounts(ctx, campaign)
	if err != nil {
		return fmt.Errorf("campaign counters: %w", err)
	}
	counters := map[string]int64{}
	for s, v := range counts {
		if v != 0 {
			counters[string(s)] = v
		}
	}
	if !maps.Equal(counters, rep.Outcomes) {
		rep.CampaignCounters = counters
	}
	return nil
}

// failedReason is how a record that the provider did not take ended.
func failedReason(r *store.Record) string {
	why := strings.TrimSpace(string(r.Status) + " " + r.ErrorCode + ": " + r.Error)
	if len(why) > 160 {
		why = why[:160] + "…"
	}
	return why
}

// failover runs a command that fails the Redis over, once, some time into
// the campaign.
type failover struct {
	cmd     string
	stop    chan struct{} // closed by finish
	done    chan struct{} // closed when the goroutine returns
	ran     bool
	started time.Time
	took    time.Duration
	out     []byte
	err     error
}

func startFailover(ctx context.Context, cmd string, after time.Duration, prog io.Writer) *failover {
	f := &failover{cmd: cmd, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
		case <-f.stop:
			return
		case <-ctx.Done():
			return
		}
		fmt.Fprintf(prog, "failover: %s\n", cmd)
		f.ran, f.started = true, time.Now()
		f.out, f.err = exec.CommandContext(ctx, "sh", "-c", cmd).CombinedOutput()
		f.took = time.Since(f.started)
		fmt.Fprintf(prog, "failover done in %.1fs\n", f.took.Seconds())
	}()
	return f
}

// finish is called once the campaign drained (or was given up on): a
// failover not yet due never runs, one running is waited for.
func (f *failover) finish() {
	close(f.stop)
	<-f.done
}

// report is the failover's figures, after finish; start is the run's.
func (f *failover) report(start time.Time, stats simulator.Stats) *failoverReport {
	r := &failoverReport{Command: f.cmd, Ran: f.ran, Output: strings.TrimSpace(string(f.out))}
	if !f.ran {
		return r
	}
	if f.err != nil {
		r.Error = f.err.Error()
	}
	r.StartedSec, r.CommandSec = round(f.started.Sub(start).Seconds()), round(f.took.Seconds())
	// Gaps come longest first: the first that began while the command ran.
	ended := f.started.Add(f.took)
	for _, g := range stats.Gaps {
		if !g.From.Before(f.started) && !g.From.After(ended) {
			r.StallSec = round(g.Len().Seconds())
			r.StallStartSec = round(g.From.Sub(f.started).Seconds())
			r.ResumedSec = round(g.To.Sub(f.started).Seconds())
			return r
		}
	}
	r.StallNote = fmt.Sprintf("none of the %d longest gaps in sending began while the command ran: it stalled less than the shortest of send_gaps, if at all", len(stats.Gaps))
	return r
}

// fleetConfig is the config the worker processes (and the import) use.
func fleetConfig(opt FleetOptions, k *providers.Kind, prefix string, acct config.ProviderConfig) *config.Config {
	cfg := &config.Config{
		Redis:         config.RedisConfig{URL: opt.RedisURL, Prefix: prefix},
		DefaultRegion: region(k),
		Log:           config.LogConfig{Level: "warn", Format: "json"},
		Providers:     []config.ProviderConfig{acct},
		Worker: config.WorkerConfig{Concurrency: opt.Concurrency, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			RetryBase: config.Duration(500 * time.Millisecond), RetryMax: config.Duration(5 * time.Second), MaxLimiterWait: config.Duration(2 * time.Second),
			AccountRetryDelay: config.Duration(5 * time.Second), BreakerOpenFor: config.Duration(10 * time.Second)},
	}
	cfg.ApplyDefaults()
	return cfg
}
