package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// fleetReport is what loadtest fleet prints: how exactly a fleet of
// worker processes held a provider's rate limit.
type fleetReport struct {
	Provider       string           `json:"provider"`
	Redis          string           `json:"redis"`
	Workers        int              `json:"workers"`
	Recipients     int              `json:"recipients"`
	RateLimit      float64          `json:"rate_limit"`
	Burst          int              `json:"burst"`
	AchievedRate   float64          `json:"achieved_rate"`
	AchievedRatio  float64          `json:"achieved_ratio"`
	PeakPerSecond  int64            `json:"peak_per_second"`
	PeakLimit      int              `json:"peak_allowed"`
	Throttled      int64            `json:"throttled_answers"`
	Outage         string           `json:"outage,omitempty"`
	OutageAnswers  int64            `json:"outage_answers,omitempty"`
	Outcomes       map[string]int64 `json:"outcomes"`
	Lost           int64            `json:"lost"`
	Duplicates     int64            `json:"duplicates"`
	ElapsedSec     float64          `json:"elapsed_sec"`
	ProviderAnswer map[string]int64 `json:"provider_answers"`
}

// FleetOptions are loadtest's flags for a fleet run.
type FleetOptions struct {
	Kind        string        // provider kind to simulate
	RedisURL    string        // the Redis every worker shares (required)
	Workers     int           // worker processes to start
	N           int           // recipients
	Concurrency int           // each worker's concurrency
	Rate        float64       // the provider's (and the account's) limit, messages/s
	Burst       int           // the provider's (and the account's) burst; default Rate/20
	Outage      time.Duration // the provider fails every send for this long (0: no outage)
	OutageAfter time.Duration // when the outage starts, after the import
	Timeout     time.Duration
	Quiet       bool
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
	sim, err := simulator.New(simulator.Config{Kind: opt.Kind, APIKey: cred, Rate: opt.Rate, Burst: 2 * opt.Burst, RetryAfter: time.Second})
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
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.log", i)))
		if err != nil {
			return err
		}
		defer logf.Close()
		p := exec.CommandContext(context.WithoutCancel(ctx), opt.Worker[0], append(opt.Worker[1:], "--config", cfgPath)...)
		p.Stdout, p.Stderr = logf, logf
		if err := p.Start(); err != nil {
			return fmt.Errorf("start worker %d: %w", i, err)
		}
		procs = append(procs, p)
	}
	fmt.Fprintf(prog, "%d workers started against %s; provider limit %.0f/s (burst %d)\n", opt.Workers, config.RedactURL(opt.RedisURL), opt.Rate, opt.Burst)

	st := store.New(c.RDB, store.Config{Prefix: prefix})
	p := app.NewPipeline(cfg, c, nil, nil)
	defer p.Client.Close()
	spec := &producer.Spec{ID: "fleet", Account: acct.Name, TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "fleet", Language: "en", Body: []string{"{{name}}"}}}}
	number := mobile(region(k))
	start := time.Now()
	res, err := p.Producer.Import(ctx, spec, recipientsCSV(opt.N, number), producer.Options{})
	if err != nil {
		return err
	}
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
	drainErr := watch(ctx, st, []string{spec.ID}, res.Accepted, opt.Timeout, prog)
	elapsed := time.Since(start)
	stopAll()

	stats := sim.Stats()
	counts, err := st.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep := fleetReport{Provider: opt.Kind, Redis: config.RedactURL(opt.RedisURL), Workers: opt.Workers, Recipients: opt.N,
		RateLimit: opt.Rate, Burst: opt.Burst, AchievedRate: round(stats.AcceptRate()),
		PeakPerSecond: stats.PeakPerSecond, PeakLimit: int(opt.Rate) + opt.Burst,
		Outcomes: map[string]int64{}, Duplicates: stats.Duplicates, ElapsedSec: round(elapsed.Seconds()), ProviderAnswer: stats.ByCode}
	rep.AchievedRatio = round(rep.AchievedRate / opt.Rate)
	if sc, ok := simulator.ScenarioFor(opt.Kind); ok {
		rep.Throttled = stats.ByCode[fmt.Sprint(sc.Throttle)]
		if opt.Outage > 0 && len(sc.Transient) > 0 {
			rep.Outage = opt.Outage.String()
			rep.OutageAnswers = stats.ByCode[fmt.Sprint(sc.Transient[len(sc.Transient)-1])]
		}
	}
	for s, v := range counts {
		rep.Outcomes[string(s)] = v
	}
	rep.Lost = int64(opt.N) - counts.Outcomes()
	return report(out, rep, rep.Lost, rep.Duplicates, drainErr)
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
