package app

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// BuildProviders makes one adapter per configured account.
func BuildProviders(cfg *config.Config) (map[string]providers.Provider, error) {
	out := map[string]providers.Provider{}
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		prov, err := BuildProvider(p)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		out[p.Name] = prov
	}
	return out, nil
}

// BuildProvider makes the adapter of one account, through its kind.
func BuildProvider(p *config.ProviderConfig) (providers.Provider, error) {
	k, err := p.KindOf()
	if err != nil {
		return nil, err
	}
	return k.New(p.Account())
}

// Limits are the accounts' rate limits as package ratelimit takes them.
func Limits(cfg *config.Config) map[string]ratelimit.Limits {
	out := map[string]ratelimit.Limits{}
	maxWait := cfg.Worker.MaxLimiterWaitOrDefault()
	for _, p := range cfg.Providers {
		out[p.Name] = ratelimit.Limits{Rate: p.Rate, Burst: p.Burst, PairEvery: time.Duration(p.PairEvery),
			DailyBudget: p.DailyBudget, Recovery: time.Duration(p.BackoffRecovery),
			// 429s keep coming while sends reserved at the old rate (up to
			// max_limiter_wait ahead) and requests in flight land: one burst
			// of them is one measurement (ratelimit, "Learned limits").
			HoldOff: maxWait + time.Duration(p.Timeout)}
	}
	return out
}

// Windows are the accounts' 24-hour window policies as package worker
// takes them: each account's window, else its kind's default.
func Windows(cfg *config.Config) map[string]providers.WindowPolicy {
	out := map[string]providers.WindowPolicy{}
	for i := range cfg.Providers {
		out[cfg.Providers[i].Name] = cfg.Providers[i].WindowPolicy()
	}
	return out
}

// Limiter is the fleet-wide limiter on a real Redis (every pod shares the
// provider's limits), the process-local one on the embedded Redis.
func Limiter(cfg *config.Config, c *Conn) worker.Limiter {
	if cfg.Redis.Embedded() {
		return ratelimit.NewLocal(Limits(cfg), nil)
	}
	return ratelimit.NewShared(c.RDB, cfg.Redis.Prefix, Limits(cfg))
}

// WorkerConfig is the worker section as package worker takes it.
func WorkerConfig(cfg *config.Config, log *zap.Logger) worker.Config {
	w := cfg.Worker
	lanes := map[message.Lane]int{}
	for q, n := range w.Queues {
		lanes[message.Lane(q)] = n
	}
	return worker.Config{
		Prefix:                   cfg.Redis.Prefix,
		Concurrency:              w.Concurrency,
		LaneWeights:              lanes,
		QueueShards:              cfg.Redis.QueueShards,
		StrictPriority:           w.StrictPriority,
		DelayedTaskCheckInterval: time.Duration(w.DelayedTaskCheckInterval),
		TaskCheckInterval:        time.Duration(w.TaskCheckInterval),
		ShutdownTimeout:          time.Duration(w.ShutdownTimeout),
		MaxAttempts:              w.MaxAttempts,
		RetryBase:                time.Duration(w.RetryBase),
		RetryMax:                 time.Duration(w.RetryMax),
		MaxLimiterWait:           time.Duration(w.MaxLimiterWait),
		AccountRetryDelay:        time.Duration(w.AccountRetryDelay),
		ResendAmbiguous:          w.ResendAmbiguous,
		Windows:                  Windows(cfg),
		BreakerMinRequests:       w.BreakerMinRequests,
		BreakerFailureRatio:      w.BreakerFailureRatio,
		BreakerWindow:            time.Duration(w.BreakerWindow),
		BreakerOpenFor:           time.Duration(w.BreakerOpenFor),
		MaxInFlight:              w.MaxInFlight,
		EventsWeight:             w.EventsWeight,
		EventHoldDelay:           time.Duration(w.EventHoldDelay),
		EventHoldFor:             time.Duration(w.EventHoldFor),
		PollFirstAfter:           time.Duration(w.PollFirstAfter),
		CampaignPausedRecheck:    time.Duration(w.CampaignPausedRecheck),
		LeaseCheckInterval:       time.Duration(w.LeaseCheckInterval), // Off (-1): off
		LeaseGrace:               time.Duration(w.LeaseGrace),
		OptOutKeywords:           w.OptOutKeywords,
		OptInKeywords:            w.OptInKeywords,
		AccountKinds:             accountKinds(cfg),
		Logger:                   log,
	}
}

// accountKinds names each account's kind, for the receipts of one account
// that reach another's endpoint.
func accountKinds(cfg *config.Config) map[string]string {
	out := make(map[string]string, len(cfg.Providers))
	for _, p := range cfg.Providers {
		out[p.Name] = p.Kind
	}
	return out
}

// ProducerConfig is what package producer takes from the config.
func ProducerConfig(cfg *config.Config) producer.Config {
	return producer.Config{DefaultRegion: cfg.DefaultRegion, Prefix: cfg.Redis.Prefix, QueueShards: cfg.Redis.QueueShards,
		MaxRecordBytes: cfg.Import.MaxRecordBytes, MaxColumns: cfg.Import.MaxColumns}
}

// Pipeline is everything one process needs to import and send.
type Pipeline struct {
	Store    *store.Store
	Client   *asynq.Client
	Producer *producer.Producer
	// Server is the worker; nil when built without providers.
	Server *worker.Server
}

// NewPipeline wires the pipeline on c. With provs nil it only imports
// (no worker).
func NewPipeline(cfg *config.Config, c *Conn, provs map[string]providers.Provider, log *zap.Logger) *Pipeline {
	st := store.New(c.RDB, StoreConfig(cfg.Redis))
	client := asynq.NewClientFromRedisClient(c.RDB)
	p := &Pipeline{Store: st, Client: client, Producer: producer.New(st, client, ProducerConfig(cfg))}
	if provs != nil {
		wc := WorkerConfig(cfg, log)
		sender := worker.NewSender(wc, st, provs, Limiter(cfg, c))
		p.Server = worker.NewServer(c.RDB, wc, sender)
	}
	return p
}
