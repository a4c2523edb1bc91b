package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// pollKinds are the provider kinds without push receipts: those whose
// adapters are providers.StatusPoller, and every worker polls their
// accounts' message statuses (receipts.Poller). The adapters say it
// themselves: each kind's is built once with placeholder credentials.
var pollKinds = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for kind := range providerKinds {
		prov, err := probeAdapter(kind)
		if _, ok := prov.(providers.StatusPoller); ok && err == nil {
			out[kind] = true
		}
	}
	return out
})

// probeAdapter is an adapter of kind with placeholder credentials, sending
// nowhere: what the kind's adapter is, not an account.
func probeAdapter(kind string) (providers.Provider, error) {
	p := ProviderConfig{Name: kind, Kind: kind}
	simAccount(&p, "http://127.0.0.1:1")
	return buildProvider(p)
}

// checkPoll checks an account's status-polling settings.
func (p *ProviderConfig) checkPoll(where string) error {
	if !pollKinds()[p.Kind] {
		if p.PollRate != 0 || p.PollMaxAge != 0 {
			return fmt.Errorf("%s: poll_rate and poll_max_age are for kinds whose statuses are polled (%s); kind %s pushes its receipts (wabulk serve)",
				where, strings.Join(sortedKeys(pollKinds()), ", "), p.Kind)
		}
		return nil
	}
	var errs []error
	if p.PollRate < 0 || math.IsNaN(p.PollRate) || math.IsInf(p.PollRate, 0) {
		errs = append(errs, fmt.Errorf("%s: poll_rate %v: want a positive number of status requests per second, shared by every worker (default 10)", where, p.PollRate))
	}
	if p.PollMaxAge == Off {
		errs = append(errs, fmt.Errorf("%s: poll_max_age cannot be off: polling a message must end some time (default 24h)", where))
	}
	return errors.Join(errs...)
}

// pollerConfig is the status poller of account p, whose adapter is sp.
func pollerConfig(cfg *Config, p *ProviderConfig, sp providers.StatusPoller, log *zap.Logger) receipts.PollerConfig {
	return receipts.PollerConfig{
		Accounts:    map[string]providers.StatusPoller{p.Name: sp},
		Rate:        p.PollRate,
		MaxAge:      time.Duration(p.PollMaxAge),
		PollTimeout: time.Duration(p.Timeout),
		Prefix:      cfg.Redis.Prefix,
		Logger:      log.Named("poller"),
	}
}

// newPollers makes one status poller per account whose adapter is polled
// for statuses (each with the account's own poll_rate and poll_max_age);
// none when no account is.
func newPollers(cfg *Config, st *store.Store, client *asynq.Client, provs map[string]providers.Provider, log *zap.Logger) ([]*receipts.Poller, error) {
	var out []*receipts.Poller
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		sp, ok := provs[p.Name].(providers.StatusPoller)
		if !ok {
			continue
		}
		pc := pollerConfig(cfg, p, sp, log).WithDefaults()
		poller, err := receipts.NewPoller(st, client, pc)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		log.Info("polling message statuses (the provider pushes no receipts)", zap.String("account", p.Name),
			zap.Float64("rate", pc.Rate), zap.Duration("max_age", pc.MaxAge))
		out = append(out, poller)
	}
	return out, nil
}

// runPollers runs pollers until ctx is done or stop is called; stop waits
// for them to finish their rounds.
func runPollers(ctx context.Context, pollers []*receipts.Poller) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range pollers {
		wg.Go(func() { _ = p.Run(ctx) })
	}
	return func() { cancel(); wg.Wait() }
}
