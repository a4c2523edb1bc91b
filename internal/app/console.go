package app

import (
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/console"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// NewConsole is serve's web console (/ui/), storing through client and
// signing in with serve.api_tokens, each with its role.
func NewConsole(cfg *config.Config, c *Conn, client *asynq.Client, log *zap.Logger) (*console.Console, error) {
	st := store.New(c.RDB, StoreConfig(cfg.Redis))
	p := producer.New(st, client, ProducerConfig(cfg))
	f, err := NewFleet(cfg, c, st, p)
	if err != nil {
		return nil, err
	}
	full, readOnly := cfg.Serve.TokensByRole()
	cc := ConsoleConfig(cfg, full, readOnly, log)
	cc.Producer, cc.Fleet, cc.Redis = p, f, c.RDB
	return console.New(cc)
}

// ConsoleConfig is what package console takes from the config (Producer,
// Fleet and Redis are the caller's).
func ConsoleConfig(cfg *config.Config, full, readOnly []string, log *zap.Logger) console.Config {
	cc := console.Config{Rates: map[string]float64{}, Tokens: full, ReadOnlyTokens: readOnly, Prefix: cfg.Redis.Prefix,
		SecureCookies: cfg.Serve.ConsoleSecureCookies, MaxUploadBytes: cfg.Serve.MaxUploadBytes,
		MaxConcurrentUploads: cfg.Serve.MaxConcurrentUploads, LongRequestTimeout: time.Duration(cfg.Serve.UploadTimeout),
		Logger: log.Named("console")}
	for _, pc := range cfg.Providers {
		cc.Rates[pc.Name] = pc.Rate
		cc.Accounts = append(cc.Accounts, pc.Name)
	}
	return cc
}
