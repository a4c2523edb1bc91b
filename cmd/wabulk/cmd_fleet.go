package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// fleetReport is what loadtest --workers prints: how exactly a fleet of
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

// fleetOptions are loadtest's flags for a fleet run.
type fleetOptions struct {
	kind                string
	redisURL            string
	workers, n, conc    int
	rate                float64
	burst               int
	outage, outageAfter time.Duration
	timeout             time.Duration
	quiet               bool
}

// runFleet starts a simulator that enforces opt.rate like the provider
// would (answering its rate-limit error beyond it), opt.workers real
// `wabulk worker` processes sharing one Redis, imports opt.n recipients,
// and measures what reached the provider.
func runFleet(ctx context.Context, opt fleetOptions, out, prog io.Writer) error {
	if opt.redisURL == "" {
		return usagef("--workers needs --redis: worker processes share a real Redis")
	}
	c, err := openRedis(ctx, RedisConfig{URL: opt.redisURL}, false)
	if err != nil {
		return err
	}
	defer c.Close()
	prefix := "wabulk-fleet-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), c.rdb, prefix)
	if opt.burst <= 0 {
		opt.burst = max(1, int(opt.rate/20))
	}

	// The provider's own limit: the account's rate, with twice our burst as
	// its tolerance for network jitter (sends leave at exactly the rate but
	// do not arrive exactly so on a busy machine). A fleet that overshoots
	// gets the provider's rate-limit answer; our own peak is judged against
	// rate + our burst.
	acct := ProviderConfig{Name: "fleet", Kind: opt.kind, Rate: opt.rate, Burst: opt.burst, PairEvery: Off, Timeout: Duration(10 * time.Second)}
	cred := simAccount(&acct, "")
	sim, err := simulator.New(simulator.Config{Kind: opt.kind, APIKey: cred, Rate: opt.rate, Burst: 2 * opt.burst, RetryAfter: time.Second})
	if err != nil {
		return err
	}
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()
	simAccount(&acct, simURL)

	dir, err := os.MkdirTemp("", "wabulk-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := fleetConfig(opt, prefix, acct)
	cfgPath := filepath.Join(dir, "wabulk.yaml")
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
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
	for i := range opt.workers {
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.log", i)))
		if err != nil {
			return err
		}
		defer logf.Close()
		p := exec.CommandContext(context.WithoutCancel(ctx), exe, "worker", "-c", cfgPath)
		p.Stdout, p.Stderr = logf, logf
		if err := p.Start(); err != nil {
			return fmt.Errorf("start worker %d: %w", i, err)
		}
		procs = append(procs, p)
	}
	fmt.Fprintf(prog, "%d workers started against %s; provider limit %.0f/s (burst %d)\n", opt.workers, redactURL(opt.redisURL), opt.rate, opt.burst)

	st := store.New(c.rdb, store.Config{Prefix: prefix})
	p := newPipeline(cfg, c, nil, nil)
	defer p.client.Close()
	spec := &producer.Spec{ID: "fleet", Account: acct.Name, TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "fleet", Language: "en", Body: []string{"{{name}}"}}}}
	number := tzMobile
	if opt.kind == "socnet" {
		number = ugMobile
	}
	start := time.Now()
	res, err := p.producer.Import(ctx, spec, recipientsCSV(opt.n, number), producer.Options{})
	if err != nil {
		return err
	}
	if opt.outage > 0 {
		go func() {
			select {
			case <-time.After(opt.outageAfter):
				fmt.Fprintf(prog, "provider outage for %v\n", opt.outage)
				sim.Outage(opt.outage)
			case <-ctx.Done():
			}
		}()
	}
	drainErr := watch(ctx, st, []string{spec.ID}, res.Accepted, opt.timeout, prog)
	elapsed := time.Since(start)
	stopAll()

	stats := sim.Stats()
	counts, err := st.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep := fleetReport{Provider: opt.kind, Redis: redactURL(opt.redisURL), Workers: opt.workers, Recipients: opt.n,
		RateLimit: opt.rate, Burst: opt.burst, AchievedRate: round(stats.AcceptRate()),
		PeakPerSecond: stats.PeakPerSecond, PeakLimit: int(opt.rate) + opt.burst,
		Outcomes: map[string]int64{}, Duplicates: stats.Duplicates, ElapsedSec: round(elapsed.Seconds()), ProviderAnswer: stats.ByCode}
	rep.AchievedRatio = round(rep.AchievedRate / opt.rate)
	if sc, ok := simulator.ScenarioFor(opt.kind); ok {
		rep.Throttled = stats.ByCode[fmt.Sprint(sc.Throttle)]
		if opt.outage > 0 && len(sc.Transient) > 0 {
			rep.Outage = opt.outage.String()
			rep.OutageAnswers = stats.ByCode[fmt.Sprint(sc.Transient[len(sc.Transient)-1])]
		}
	}
	for s, v := range counts {
		rep.Outcomes[string(s)] = v
	}
	rep.Lost = int64(opt.n) - counts.Outcomes()
	return report(out, rep, rep.Lost, rep.Duplicates, drainErr)
}

// fleetConfig is the config the worker processes (and the import) use.
func fleetConfig(opt fleetOptions, prefix string, acct ProviderConfig) *Config {
	cfg := &Config{
		Redis:         RedisConfig{URL: opt.redisURL, Prefix: prefix},
		DefaultRegion: demoRegion(opt.kind),
		Log:           LogConfig{Level: "warn", Format: "json"},
		Providers:     []ProviderConfig{acct},
		Worker: WorkerConfig{Concurrency: opt.conc, DelayedTaskCheckInterval: Duration(200 * time.Millisecond),
			RetryBase: Duration(500 * time.Millisecond), RetryMax: Duration(5 * time.Second), MaxLimiterWait: Duration(2 * time.Second),
			AccountRetryDelay: Duration(5 * time.Second), BreakerOpenFor: Duration(10 * time.Second)},
	}
	cfg.applyDefaults()
	return cfg
}
