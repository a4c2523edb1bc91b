package main

import (
	"cmp"
	"context"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/providers"

	"go.uber.org/zap"
)

func workerCmd() *cobra.Command {
	c := command("worker [--config FILE]", "send queued messages (an asynq server)", `
Sends queued messages: an asynq server that takes send tasks from the lanes'
queues (high, normal, low) and runs each through the send pipeline (TTL,
24-hour window, rate limit, provider, retry or outcome). For accounts whose
provider pushes no receipts (decisiontelecom) it also polls the status of
accepted messages, at the account's poll_rate shared by every worker.

Run as many workers as you like against one Redis; each message is sent at
most once. SIGINT/SIGTERM stop taking new tasks and let in-flight sends finish
(worker.shutdown_timeout). With redis.url "embedded", the worker hosts the
embedded Redis on redis.listen for import and campaign commands to reach;
it is in memory only and gone when the worker stops.`, none, nil)
	fs := c.Flags()
	load := configFlag(fs)
	admin := fs.String("admin-listen", "", `address of /healthz, /readyz and /metrics (default: admin.listen from the config, 127.0.0.1:9090; "off" for none)`)
	c.RunE = func(cmd *cobra.Command, args []string) (err error) {
		ctx := cmd.Context()
		cfg, err := load()
		if err != nil {
			return err
		}
		if err := cfg.RequireCredentials(); err != nil {
			return err
		}
		if err := cfg.ValidateSending(); err != nil {
			return err
		}
		log, err := app.NewLogger(cfg.Log)
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		defer logFailure(&err, cfg.Log.Format, log)
		c, err := app.OpenRedis(ctx, cfg.Redis, true)
		if err != nil {
			return err
		}
		defer c.Close()
		provs, err := app.BuildProviders(cfg)
		if err != nil {
			return err
		}
		p := app.NewPipeline(cfg, c, provs, log)
		defer p.Client.Close()
		pollers, err := app.NewPollers(cfg, p.Store, p.Client, provs, log)
		if err != nil {
			return err
		}
		defer app.RunPollers(ctx, pollers)()
		fields := []zap.Field{zap.Strings("accounts", cfg.ProviderNames()), zap.Int("concurrency", app.WorkerConfig(cfg, log).WithDefaults().Concurrency),
			zap.Int("queue_shards", cfg.Redis.QueueShards), zap.Int("confirm_replicas", cfg.Redis.Replicas())}
		if c.Mini != nil {
			fields = append(fields, zap.String("embedded_redis", c.Mini.Addr()))
		}
		hctx, stopHealth := context.WithCancel(ctx)
		defer stopHealth()
		health := app.NewHealth(c.RDB, cfg.Redis.Prefix, "worker", 0, log)
		go health.Run(hctx)
		var polled []string
		for name, pr := range provs {
			if _, ok := pr.(providers.StatusPoller); ok {
				polled = append(polled, name)
			}
		}
		if _, err := app.StartAdmin(hctx, cmp.Or(*admin, cfg.Admin.Listen), *admin != "" || !cfg.Admin.Defaulted(), app.AdminOptions{Process: "worker", Health: health,
			Fleet: &app.FleetGauges{Redis: cfg.Redis, Store: p.Store, PollAccounts: polled, Log: log}}, log); err != nil {
			return err
		}
		app.CheckReplicas(ctx, c.RDB, cfg.Redis.Replicas(), log)
		interval, after := cfg.Worker.Sweep()
		go app.RunSweeper(hctx, p.Store, p.Producer, interval, after, log)
		log.Info("worker started", fields...)
		return p.Server.Run(ctx)
	}
	return c
}
