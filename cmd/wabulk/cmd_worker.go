package main

import (
	"context"
	"io"

	"go.uber.org/zap"
)

func runWorker(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("worker", "[--config FILE]", `
Sends queued messages: an asynq server that takes send tasks from the lanes'
queues (high, normal, low) and runs each through the send pipeline (TTL,
24-hour window, rate limit, provider, retry or outcome). For accounts whose
provider pushes no receipts (decisiontelecom) it also polls the status of
accepted messages, at the account's poll_rate shared by every worker.

Run as many workers as you like against one Redis; each message is sent at
most once. SIGINT/SIGTERM stop taking new tasks and let in-flight sends finish
(worker.shutdown_timeout). With redis.url "embedded", the worker hosts the
embedded Redis on redis.listen for import and campaign commands to reach;
it is in memory only and gone when the worker stops.`, errOut)
	load := configFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := cfg.RequireCredentials(); err != nil {
		return err
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	c, err := openRedis(ctx, cfg.Redis, true)
	if err != nil {
		return err
	}
	defer c.Close()
	provs, err := buildProviders(cfg)
	if err != nil {
		return err
	}
	p := newPipeline(cfg, c, provs, log)
	defer p.client.Close()
	pollers, err := newPollers(cfg, p.store, p.client, provs, log)
	if err != nil {
		return err
	}
	defer runPollers(ctx, pollers)()
	fields := []zap.Field{zap.Strings("accounts", cfg.providerNames()), zap.Int("concurrency", workerConfig(cfg, log).WithDefaults().Concurrency)}
	if c.mini != nil {
		fields = append(fields, zap.String("embedded_redis", c.mini.Addr()))
	}
	log.Info("worker started", fields...)
	return p.server.Run(ctx)
}
