// Package app assembles wabulk's running parts from a config.Config: the
// Redis connection (one node, a master behind Sentinels, a Cluster, or the
// embedded miniredis; every part takes it as a redis.UniversalClient),
// the logger, one adapter per provider account (through the kinds
// registered in package providers), the rate limiter, and the pipeline of
// store, asynq client, producer and worker server, with the status pollers
// beside it, and serve's webhook receiver and HTTP API.
//
// It is the wiring every command shares; the commands themselves (flags,
// what they print) live in cmd/wabulk. It imports no adapter: the binary
// does, and the adapters register their kinds.
//
//	c, err := app.OpenRedis(ctx, cfg.Redis, true)
//	provs, err := app.BuildProviders(cfg)
//	p := app.NewPipeline(cfg, c, provs, log)
//	err = p.Server.Run(ctx) // until ctx is done
package app
