package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
)

// serveShutdownTimeout is how long a stopping serve lets callbacks in
// flight finish (each one's Redis write is bounded by 5 s).
const serveShutdownTimeout = 10 * time.Second

func serveCmd() *cobra.Command {
	c := command("serve [--config FILE] [--listen ADDR]", "HTTP API (/v1: messages, campaigns) and provider callbacks (/webhooks/ACCOUNT)", `
Serves, on one HTTP listener, provider callbacks and the HTTP producer API.

Provider callbacks (delivery receipts and inbound messages): one endpoint
per provider account,

  POST /webhooks/NAME         NAME is the account's name in the config
  POST /webhooks/NAME/TOKEN   the same, for an account with a
                              webhook_path_token (any other TOKEN: 401, as an unknown account)

Each callback is authenticated, read by the account's adapter and stored in
Redis as one task for the workers to apply, and only then answered 200. A
callback that fails authentication (401), cannot be read (400) or is larger
than 1 MiB (413) is refused and nothing of it is recorded; when Redis cannot
take it the answer is 503 and the provider retries. socnet sends no callbacks,
so its accounts get no endpoint.

Every account authenticates its callbacks one way, the way its provider can
(per account in the config):
  webhook_secret_header + webhook_secret   a header the provider sends with
                                           every callback (Tujenge's webhook
                                           config carries custom headers)
  webhook_user + webhook_password          HTTP Basic, for callback URLs with
                                           credentials (Modica, Taqnyat)
  webhook_path_token                       an unguessable token (32+ chars) in
                                           the path, for providers given only
                                           a URL; DecisionTelecom's goes with
                                           every message, so use this there
  app_secret (kind meta)                   Meta's X-Hub-Signature-256; add
                                           verify_token for the GET handshake
  webhook_insecure: true                   none: only behind a network that
                                           nothing but the provider can reach
An account with none of these stops serve from starting.

The HTTP producer API, when serve.api_tokens holds a token (off otherwise;
serve says which at start). An entry {token: "${VAR}", role: read-only} is
a token that may read every route but act on none (403 read_only on any
POST or DELETE), for dashboards and on-call:

  POST /v1/messages                     send one message (JSON; safe to
                                        repeat with an Idempotency-Key header)
  GET  /v1/messages/ID                  a message's status
  POST /v1/campaigns                    import a campaign: multipart/form-data,
                                        a spec part then a recipients part
                                        (CSV or JSONL), streamed; the answer
                                        has admission control's estimate
                                        (?strict=true&rows=N refuses a
                                        campaign that cannot drain in its TTL)
  GET  /v1/campaigns/ID                 state, counters, import stats, rate, ETA
  POST /v1/campaigns/ID/pause           \
  POST /v1/campaigns/ID/resume           | as 'wabulk campaign pause|resume|
  POST /v1/campaigns/ID/cancel           | cancel|retry-failed'
  POST /v1/campaigns/ID/retry-failed    /
  GET  /v1/campaigns/ID/report          one row per recipient (?format=csv|jsonl)
  GET  /v1/campaigns                    every campaign, newest first
                                        (?state=active|paused|cancelled|
                                        running|done, ?account=NAME)
  GET  /v1/campaigns/ID/detail          progress, funnel, error codes with
                                        their meanings, why it waits
  GET  /v1/campaigns/ID/series          outcomes per 10 s (?since=RFC 3339)
  GET  /v1/campaigns/ID/rejects         the rows its imports rejected
  POST /v1/campaigns/preview            what an upload would import (first
                                        rows rendered, rejects, opt-outs),
                                        writing nothing
  GET  /v1/accounts[/NAME]              rate, current rate, pause, breaker,
                                        in flight, as 'wabulk provider status'
  POST /v1/accounts/NAME/pause|resume   as 'wabulk provider pause|resume'
  POST /v1/accounts/NAME/check          as 'wabulk provider check' ("not
                                        checkable here" when serve's config
                                        lacks the account's send credentials)
  GET  /v1/schedules                    recurring jobs, next fire times, last
                                        occurrences with their campaigns
  GET  /v1/optouts/ACCOUNT              the suppression list (?q=DIGITS)
  POST /v1/optouts/ACCOUNT              add a number ({"number", "reason"})
  DELETE /v1/optouts/ACCOUNT/NUMBER     remove one
  GET  /v1/openapi.yaml                 the OpenAPI document (no token needed)

Every other /v1 request carries "Authorization: Bearer TOKEN"; errors are
JSON that name the field at fault. A message that names no account goes
through the config's only account, if it has one.

The web console, when the API is on and serve.console is not false:

  /ui/                                  campaigns (progress, rate, ETA), a
                                        campaign (outcomes per second, funnel,
                                        error codes, why it waits, actions,
                                        report), new campaign with preview,
                                        providers, opt-outs, schedules

Sign in with an API token; a read-only token (serve.api_tokens entry
{token: ..., role: read-only}) sees everything and may change nothing.

Also: GET /healthz (200 while serving), GET /readyz (200 when Redis answers).
serve never sends: it needs no provider send credentials (api_key, token,
password), only the webhook ones. SIGINT/SIGTERM stop it gracefully. With
redis.url "embedded" it connects to the Redis hosted by 'wabulk worker'.
Put a TLS-terminating proxy or ingress in front: providers call https URLs.`, none, nil)
	fs := c.Flags()
	load := configFlag(fs)
	listen := fs.String("listen", "", "address to listen on (default: serve.listen from the config, 127.0.0.1:8080)")
	c.RunE = func(cmd *cobra.Command, args []string) (err error) {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		cfg, err := load()
		if err != nil {
			return err
		}
		tokens := cfg.Serve.Tokens()
		accounts, noEndpoint, err := app.WebhookAccounts(cfg)
		if errors.Is(err, app.ErrNothingToServe) {
			if len(tokens) > 0 {
				err = nil // the API alone is something to serve
			} else {
				err = fmt.Errorf("%w (serve.api_tokens holds no token either, so the HTTP API is off)", err)
			}
		}
		if err != nil {
			return err
		}
		log, err := app.NewLogger(cfg.Log)
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		defer logFailure(&err, cfg.Log.Format, log)
		c, err := app.OpenRedis(ctx, cfg.Redis, false)
		if err != nil {
			return err
		}
		defer c.Close()
		client := asynq.NewClientFromRedisClient(c.RDB)
		defer client.Close()
		hooks, err := app.NewWebhooks(cfg, accounts, client, log)
		if err != nil {
			return err
		}
		hctx, stopHealth := context.WithCancel(ctx)
		defer stopHealth()
		health := app.NewHealth(c.RDB, cfg.Redis.Prefix, "serve", 0, log)
		go health.Run(hctx)
		mux := http.NewServeMux()
		app.MountAdmin(mux, health, app.Gatherer(app.AdminOptions{Process: "serve", Health: health,
			Fleet: &app.FleetGauges{Redis: cfg.Redis, Store: store.New(c.RDB, app.StoreConfig(cfg.Redis)), Log: log}}))
		if len(tokens) > 0 {
			api, err := app.NewAPI(cfg, c, client, log)
			if err != nil {
				return err
			}
			mux.Handle("/v1/", api)
		}
		if cfg.Serve.ConsoleOn() { // the web console, /ui/
			ui, err := app.NewConsole(cfg, c, client, log)
			if err != nil {
				return err
			}
			mux.Handle("/ui/", ui)
			mux.Handle("/ui", ui)
		}
		mux.Handle("/", hooks)
		var handler http.Handler = mux

		addr := cmp.Or(*listen, cfg.Serve.Listen)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := app.HTTPServer(handler, log)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		for _, name := range slices.Sorted(maps.Keys(accounts)) {
			p, _ := cfg.Provider(name)
			path := app.WebhookPathShown(name, accounts[name]) // never the token itself
			if p.WebhookInsecure {
				log.Warn("webhook endpoint accepts unauthenticated callbacks (webhook_insecure)", zap.String("path", path))
			}
			log.Info("webhook endpoint", zap.String("path", path), zap.String("kind", p.Kind), zap.String("auth", app.AuthOf(accounts[name])))
		}
		for _, name := range noEndpoint {
			p, _ := cfg.Provider(name)
			log.Info("no webhook endpoint: this provider sends no callbacks", zap.String("account", name), zap.String("kind", p.Kind))
		}
		fields := []zap.Field{zap.String("listen", ln.Addr().String()), zap.String("events_queue", receipts.Queue(cfg.Redis.Prefix)), zap.Int("queue_shards", cfg.Redis.QueueShards)}
		if cfg.Redis.URL == "embedded" {
			fields = append(fields, zap.String("embedded_redis", cfg.Redis.Listen))
		}
		if config.IsLoopback(ln.Addr().String()) {
			fields = append(fields, zap.String("note", "loopback only: in a container set serve.listen: 0.0.0.0:8080 (or --listen)"))
		}
		log.Info("serve started", fields...)
		human := cfg.Log.Format != "json" // JSON logs say it all; no plain lines beside them
		if human {
			fmt.Fprintf(out, "wabulk serve: listening on http://%s\n", ln.Addr())
		}
		if len(tokens) > 0 {
			log.Info("HTTP API on", zap.String("path", "/v1/"), zap.Int("tokens", len(tokens)), zap.String("openapi", "/v1/openapi.yaml"))
			if human {
				fmt.Fprintf(out, "wabulk serve: HTTP API at http://%s/v1/ (%d token(s); OpenAPI document at /v1/openapi.yaml)\n", ln.Addr(), len(tokens))
			}
		}
		if cfg.Serve.ConsoleOn() {
			log.Info("web console on", zap.String("url", "http://"+ln.Addr().String()+"/ui/"))
			if human {
				fmt.Fprintf(out, "wabulk serve: web console at http://%s/ui/ (sign in with an API token)\n", ln.Addr())
			}
		} else if len(tokens) > 0 {
			log.Info("web console off (serve.console: false)")
		}
		if len(tokens) == 0 {
			why := "serve.api_tokens holds no token"
			if len(cfg.Serve.APITokens) > 0 && len(cfg.UnsetCredentials()) > 0 {
				why += fmt.Sprintf(" (environment variable %s is not set)", strings.Join(cfg.UnsetCredentials(), ", "))
			}
			log.Info("HTTP API off: " + why)
			if human {
				fmt.Fprintf(out, "wabulk serve: HTTP API off: %s\n", why)
			}
		}

		select {
		case err := <-served:
			return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
		case <-ctx.Done():
		}
		log.Info("serve stopping: finishing callbacks in flight")
		sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("stop serving: %w", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
		}
		log.Info("serve stopped")
		return nil
	}
	return c
}
