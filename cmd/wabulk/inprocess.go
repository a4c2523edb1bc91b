package main

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
)

// inProcess is what demo and loadtest run in one process: a simulator, and
// a pipeline whose single provider account (cfg.Providers[0]) points at it.
type inProcess struct {
	sim     *simulator.Simulator
	simURL  string
	pollers []*receipts.Poller // status pollers, run beside the worker
	*pipeline
}

// simAccount fills a provider account of p.Kind with the credentials the
// simulator of that kind expects, and returns the credential in the form
// the simulator takes it (simulator.Config.APIKey).
func simAccount(p *ProviderConfig, simURL string) (simCredential string) {
	const key, user, pass = "sim-key-0123456789abcdef0123456789ab", "wabulk", "sim-password"
	p.BaseURL = simURL
	switch p.Kind {
	case "taqnyat", "meta":
		p.Token = key
		p.PhoneNumberID = "109876543210987"
	case "modica":
		p.Username, p.Password = user, pass
		return user + ":" + pass
	case "socnet":
		p.APIKey = key
		p.BaseURL = simURL + "/projects/bulk/whatsapp/api.php"
	case "decisiontelecom":
		p.APIKey = key
		p.Source = "wabulk"
		p.BaseURL = simURL + "/v1/api"
	default:
		p.APIKey = key
	}
	return key
}

// startInProcess starts a simulator of cfg.Providers[0].Kind, points the
// account at it and wires the pipeline on rdb. close stops the simulator
// and the client.
func startInProcess(rdb redis.UniversalClient, simCfg simulator.Config, cfg *Config) (ip *inProcess, close func(), err error) {
	simCfg.Kind = cfg.Providers[0].Kind
	probe := cfg.Providers[0]
	simCfg.APIKey = simAccount(&probe, "")
	sim, err := simulator.New(simCfg)
	if err != nil {
		return nil, nil, err
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*inProcess, func(), error) { _ = sim.Close(); return nil, nil, err }
	simAccount(&cfg.Providers[0], url)
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return fail(err)
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return fail(err)
	}
	provs, err := buildProviders(cfg)
	if err != nil {
		return fail(err)
	}
	p := newPipeline(cfg, &conn{rdb: rdb}, provs, log)
	pollers, err := newPollers(cfg, p.store, p.client, provs, log)
	if err != nil {
		_ = p.client.Close()
		return fail(err)
	}
	return &inProcess{sim: sim, simURL: url, pollers: pollers, pipeline: p}, func() { _ = p.client.Close(); _ = sim.Close() }, nil
}

// startWorker runs the pipeline's worker, and its status pollers, until
// the returned stop is called; stop waits for a graceful shutdown. The
// worker outlives ctx's cancellation so that stop decides when it ends.
func (ip *inProcess) startWorker(ctx context.Context) (stop func()) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = ip.server.Run(wctx); close(done) }()
	stopPolls := runPollers(wctx, ip.pollers)
	return func() { cancel(); stopPolls(); <-done }
}
