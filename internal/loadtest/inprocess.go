package loadtest

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
)

// InProcess is what the demo and the load tests run in one process: a
// simulator, and a pipeline whose single provider account
// (cfg.Providers[0]) points at it.
type InProcess struct {
	Sim     *simulator.Simulator
	SimURL  string
	Pollers []*receipts.Poller // status pollers, run beside the worker
	// Providers are the worker's adapters by account name.
	Providers map[string]providers.Provider
	*app.Pipeline
}

// SimulatedAccount points account p at a simulator of its kind serving at
// root, with the credentials that simulator expects, and returns the
// credential in the form the simulator takes it (simulator.Config.APIKey).
func SimulatedAccount(p *config.ProviderConfig, root string) (simulatorKey string, err error) {
	k, err := p.KindOf()
	if err != nil {
		return "", err
	}
	a, key := k.Simulated(root)
	p.BaseURL = a.BaseURL
	for name, v := range a.Settings {
		p.Set(name, v)
	}
	return key, nil
}

// StartInProcess starts a simulator of cfg.Providers[0].Kind, points the
// account at it and wires the pipeline on rdb. close stops the simulator
// and the client.
func StartInProcess(rdb redis.UniversalClient, simCfg simulator.Config, cfg *config.Config) (ip *InProcess, close func(), err error) {
	simCfg.Kind = cfg.Providers[0].Kind
	probe := cfg.Providers[0]
	if simCfg.APIKey, err = SimulatedAccount(&probe, ""); err != nil {
		return nil, nil, err
	}
	sim, err := simulator.New(simCfg)
	if err != nil {
		return nil, nil, err
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*InProcess, func(), error) { _ = sim.Close(); return nil, nil, err }
	if _, err := SimulatedAccount(&cfg.Providers[0], url); err != nil {
		return fail(err)
	}
	cfg.ApplyDefaults()
	if err := errors.Join(cfg.Validate(), cfg.ValidateSending()); err != nil {
		return fail(err)
	}
	log, err := app.NewLogger(cfg.Log)
	if err != nil {
		return fail(err)
	}
	provs, err := app.BuildProviders(cfg)
	if err != nil {
		return fail(err)
	}
	p := app.NewPipeline(cfg, &app.Conn{RDB: rdb}, provs, log)
	pollers, err := app.NewPollers(cfg, p.Store, p.Client, provs, log)
	if err != nil {
		_ = p.Client.Close()
		return fail(err)
	}
	return &InProcess{Sim: sim, SimURL: url, Pollers: pollers, Providers: provs, Pipeline: p}, func() { _ = p.Client.Close(); _ = sim.Close() }, nil
}

// StartWorker runs the pipeline's worker, and its status pollers, until
// the returned stop is called; stop waits for a graceful shutdown. The
// worker outlives ctx's cancellation so that stop decides when it ends.
func (ip *InProcess) StartWorker(ctx context.Context) (stop func()) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = ip.Server.Run(wctx); close(done) }()
	stopPolls := app.RunPollers(wctx, ip.Pollers)
	return func() { cancel(); stopPolls(); <-done }
}
