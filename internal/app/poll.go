package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// PollerConfig is the status poller of account p, whose adapter is sp.
func PollerConfig(cfg *config.Config, p *config.ProviderConfig, sp providers.StatusPoller, log *zap.Logger) receipts.PollerConfig {
	return receipts.PollerConfig{
		Accounts:    map[string]providers.StatusPoller{p.Name: sp},
		Rate:        p.PollRate,
		MaxAge:      time.Duration(p.PollMaxAge),
		PollTimeout: time.Duration(p.Timeout),
		Prefix:      cfg.Redis.Prefix,
		QueueShards: cfg.Redis.QueueShards,
		Logger:      log.Named("poller"),
	}
}

// NewPollers makes one status poller per account whose adapter is polled
// for statuses (each with the account's own poll_rate and poll_max_age);
// none when no account is.
func NewPollers(cfg *config.Config, st *store.Store, client *asynq.Client, provs map[string]providers.Provider, log *zap.Logger) ([]*receipts.Poller, error) {
	var out []*receipts.Poller
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		sp, ok := provs[p.Name].(providers.StatusPoller)
		if !ok {
			continue
		}
		pc := PollerConfig(cfg, p, sp, log).WithDefaults()
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

// RunPollers runs pollers until ctx is done or stop is called; stop waits
// for them to finish their rounds.
func RunPollers(ctx context.Context, pollers []*receipts.Poller) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range pollers {
		wg.Go(func() { _ = p.Run(ctx) })
	}
	return func() { cancel(); wg.Wait() }
}
