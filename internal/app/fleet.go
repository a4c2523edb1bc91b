package app

import (
	"context"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
)

// NewFleet is the fleet view of cfg's accounts and schedules over st: the
// one the API, the console and `wabulk provider status` read. An account
// can be checked where its send credentials are set.
func NewFleet(cfg *config.Config, c *Conn, st *store.Store, p *producer.Producer) (*fleet.Fleet, error) {
	jobs, err := cfg.ShownScheduleJobs()
	if err != nil {
		return nil, err
	}
	fc := fleet.Config{Jobs: jobs, Check: func(ctx context.Context, name string) fleet.CheckResult {
		pc, err := cfg.Provider(name)
		if err != nil {
			return fleet.CheckResult{Verdict: string(providers.VerdictFailed), Detail: err.Error()}
		}
		v, detail := CheckAccount(ctx, cfg, pc)
		return fleet.CheckResult{Verdict: string(v), OK: v.OK(), Detail: detail}
	}}
	for i := range cfg.Providers {
		pc := &cfg.Providers[i]
		fc.Accounts = append(fc.Accounts, fleet.AccountConfig{Name: pc.Name, Kind: pc.Kind, Rate: pc.Rate, Checkable: credentialsSet(cfg, pc)})
	}
	if !cfg.Redis.Embedded() && c != nil {
		// The rate learned from 429s is shared in Redis; on the embedded Redis
		// each process limits on its own, so there is nothing to read.
		shared := ratelimit.NewShared(c.RDB, cfg.Redis.Prefix, Limits(cfg))
		fc.Factor = shared.Factor
	}
	return fleet.New(st, p, fc), nil
}

// credentialsSet reports whether account p's send credentials are set.
func credentialsSet(cfg *config.Config, p *config.ProviderConfig) bool {
	one := *cfg
	one.Providers = []config.ProviderConfig{*p}
	return one.RequireCredentials() == nil
}

// CheckAccount checks account p (`wabulk provider check`): its
// credentials must be set, then providers.CheckAccount says the rest.
func CheckAccount(ctx context.Context, cfg *config.Config, p *config.ProviderConfig) (providers.Verdict, string) {
	one := *cfg
	one.Providers = []config.ProviderConfig{*p}
	if err := one.RequireCredentials(); err != nil {
		return providers.VerdictWrongCredentials, "not set: " + err.Error()
	}
	k, err := p.KindOf()
	if err != nil {
		return providers.VerdictFailed, err.Error()
	}
	r := providers.CheckAccount(ctx, k, p.Account())
	return r.Verdict, r.URL + ": " + r.Detail
}
