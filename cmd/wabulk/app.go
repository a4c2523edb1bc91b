package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/socnet"
	"github.com/wabulk/wabulk/providers/taqnyat"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// conn is an open Redis: a real server, or an embedded miniredis that this
// process hosts (mini != nil).
type conn struct {
	rdb  redis.UniversalClient
	mini *miniredis.Miniredis
}

func (c *conn) Close() {
	_ = c.rdb.Close()
	if c.mini != nil {
		c.mini.Close()
	}
}

// openRedis connects to the configured Redis. With url "embedded", a
// hosting command (worker, demo) starts miniredis on redis.listen and the
// others connect to it there.
func openRedis(ctx context.Context, rc RedisConfig, host bool) (*conn, error) {
	if rc.URL == "embedded" {
		if host {
			m := miniredis.NewMiniRedis()
			if err := m.StartAddr(rc.Listen); err != nil {
				return nil, fmt.Errorf("start embedded Redis on %s: %w (is another wabulk worker running? set redis.listen to another address)", rc.Listen, err)
			}
			return &conn{rdb: redis.NewClient(&redis.Options{Addr: m.Addr()}), mini: m}, nil
		}
		c := redis.NewClient(&redis.Options{Addr: rc.Listen})
		if err := ping(ctx, c); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("no embedded Redis answers at %s: start `wabulk worker` first (it hosts the embedded Redis), or set redis.url to a real Redis", rc.Listen)
		}
		return &conn{rdb: c}, nil
	}
	opt, err := redis.ParseURL(rc.URL)
	if err != nil {
		// Not %w: the parser's error repeats the URL, password and all.
		return nil, fmt.Errorf("redis.url %s is not a valid Redis URL (redis://[user:password@]host:port/db)", redactURL(rc.URL))
	}
	c := redis.NewClient(opt)
	if err := ping(ctx, c); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", opt.Addr, err)
	}
	return &conn{rdb: c}, nil
}

func ping(ctx context.Context, c *redis.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

func newLogger(lc LogConfig) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(lc.Level)
	if err != nil {
		return nil, err
	}
	var zc zap.Config
	if lc.Format == "json" {
		zc = zap.NewProductionConfig()
	} else {
		zc = zap.NewDevelopmentConfig()
		zc.DisableStacktrace = true
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		if !isTerminal(os.Stderr) {
			zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
		}
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	return zc.Build()
}

// buildProviders makes one adapter per configured account.
func buildProviders(cfg *Config) (map[string]providers.Provider, error) {
	out := map[string]providers.Provider{}
	for _, p := range cfg.Providers {
		prov, err := buildProvider(p)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		out[p.Name] = prov
	}
	return out, nil
}

func buildProvider(p ProviderConfig) (providers.Provider, error) {
	httpc := providers.HTTPConfig{Timeout: time.Duration(p.Timeout), MaxConns: p.MaxConns}
	switch p.Kind {
	case "tujenge":
		return tujenge.New(tujenge.Config{BaseURL: p.BaseURL, APIKey: p.APIKey.Reveal(), Namespace: p.Namespace, HTTP: httpc})
	case "taqnyat":
		return taqnyat.New(taqnyat.Config{BaseURL: p.BaseURL, Token: p.Token.Reveal(), HTTP: httpc})
	case "socnet":
		return socnet.New(socnet.Config{URL: p.BaseURL, APIKey: p.APIKey.Reveal(), HTTP: httpc})
	case "modica":
		return modica.New(modica.Config{BaseURL: p.BaseURL, Username: p.Username, Password: p.Password.Reveal(), HTTP: httpc})
	case "decisiontelecom":
		return decisiontelecom.New(decisiontelecom.Config{BaseURL: p.BaseURL, APIKey: p.APIKey.Reveal(), Source: p.Source,
			CallbackURL: p.CallbackURL, HTTP: httpc})
	case "meta":
		return meta.New(meta.Config{BaseURL: p.BaseURL, Token: p.Token.Reveal(), PhoneNumberID: p.PhoneNumberID,
			AppSecret: p.AppSecret.Reveal(), VerifyToken: p.VerifyToken.Reveal(), HTTP: httpc})
	}
	return nil, fmt.Errorf("unknown kind %q", p.Kind)
}

func limits(cfg *Config) map[string]ratelimit.Limits {
	out := map[string]ratelimit.Limits{}
	maxWait := workerConfig(cfg, zap.NewNop()).WithDefaults().MaxLimiterWait
	for _, p := range cfg.Providers {
		out[p.Name] = ratelimit.Limits{Rate: p.Rate, Burst: p.Burst, PairEvery: time.Duration(p.PairEvery),
			DailyBudget: p.DailyBudget, Recovery: time.Duration(p.BackoffRecovery),
			// 429s keep coming while sends reserved at the old rate (up to
			// max_limiter_wait ahead) and requests in flight land: one burst
			// of them is one back-off.
			HoldOff: maxWait + time.Duration(p.Timeout)}
	}
	return out
}

// limiter is the fleet-wide limiter on a real Redis (every pod shares the
// provider's limits), the process-local one on the embedded Redis.
func limiter(cfg *Config, c *conn) worker.Limiter {
	if cfg.Redis.URL == "embedded" {
		return ratelimit.NewLocal(limits(cfg), nil)
	}
	return ratelimit.NewShared(c.rdb, cfg.Redis.Prefix, limits(cfg))
}

func workerConfig(cfg *Config, log *zap.Logger) worker.Config {
	w := cfg.Worker
	lanes := map[message.Lane]int{}
	for q, n := range w.Queues {
		lanes[message.Lane(q)] = n
	}
	return worker.Config{
		Prefix:                   cfg.Redis.Prefix,
		Concurrency:              w.Concurrency,
		LaneWeights:              lanes,
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
		OptOutKeywords:           w.OptOutKeywords,
		OptInKeywords:            w.OptInKeywords,
		Logger:                   log,
	}
}

// pipeline is everything one process needs to import and send.
type pipeline struct {
	store    *store.Store
	client   *asynq.Client
	producer *producer.Producer
	server   *worker.Server
}

func newPipeline(cfg *Config, c *conn, provs map[string]providers.Provider, log *zap.Logger) *pipeline {
	st := store.New(c.rdb, store.Config{Prefix: cfg.Redis.Prefix})
	client := asynq.NewClientFromRedisClient(c.rdb)
	p := &pipeline{
		store:    st,
		client:   client,
		producer: producer.New(st, client, producer.Config{DefaultRegion: cfg.DefaultRegion, Prefix: cfg.Redis.Prefix}),
	}
	if provs != nil {
		wc := workerConfig(cfg, log)
		sender := worker.NewSender(wc, st, provs, limiter(cfg, c))
		p.server = worker.NewServer(c.rdb, wc, sender)
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// usageError is a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
