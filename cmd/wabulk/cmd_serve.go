package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
)

// serveShutdownTimeout is how long a stopping serve lets callbacks in
// flight finish (each one's Redis write is bounded by 5 s).
const serveShutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("serve", "[--config FILE] [--listen ADDR]", `
Receives provider callbacks (delivery receipts and inbound messages): an HTTP
server with one endpoint per provider account,

  POST /webhooks/NAME   NAME is the account's name in the config

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
                                           credentials (Modica; try it with
                                           Taqnyat and DecisionTelecom)
  app_secret (kind meta)                   Meta's X-Hub-Signature-256; add
                                           verify_token for the GET handshake
  webhook_insecure: true                   none: only behind a network that
                                           nothing but the provider can reach
An account with none of these stops serve from starting.

Also: GET /healthz (200 while serving), GET /readyz (200 when Redis answers).
serve never sends: it needs no provider send credentials (api_key, token,
password), only the webhook ones. SIGINT/SIGTERM stop it gracefully. With
redis.url "embedded" it connects to the Redis hosted by 'wabulk worker'.
Put a TLS-terminating proxy or ingress in front: providers call https URLs.`, errOut)
	load := configFlag(fs)
	listen := fs.String("listen", "", "address to listen on (default: serve.listen from the config, 127.0.0.1:8080)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	accounts, noEndpoint, err := webhookAccounts(cfg)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	c, err := openRedis(ctx, cfg.Redis, false)
	if err != nil {
		return err
	}
	defer c.Close()
	client := asynq.NewClientFromRedisClient(c.rdb)
	defer client.Close()
	hooks, err := producer.NewWebhooks(client, producer.WebhooksConfig{Prefix: cfg.Redis.Prefix, Accounts: accounts, Logger: log})
	if err != nil {
		return webhookConfigError(cfg, err)
	}

	addr := cmp.Or(*listen, cfg.Serve.Listen)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           hooks,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	for _, name := range sortedKeys(accounts) {
		p, _ := cfg.Provider(name)
		if p.WebhookInsecure {
			log.Warn("webhook endpoint accepts unauthenticated callbacks (webhook_insecure)", zap.String("path", "/webhooks/"+name))
		}
		log.Info("webhook endpoint", zap.String("path", "/webhooks/"+name), zap.String("kind", p.Kind), zap.String("auth", authOf(p)))
	}
	for _, name := range noEndpoint {
		p, _ := cfg.Provider(name)
		log.Info("no webhook endpoint: this provider sends no callbacks", zap.String("account", name), zap.String("kind", p.Kind))
	}
	fields := []zap.Field{zap.String("listen", ln.Addr().String()), zap.String("events_queue", cfg.Redis.Prefix+"events")}
	if cfg.Redis.URL == "embedded" {
		fields = append(fields, zap.String("embedded_redis", cfg.Redis.Listen))
	}
	log.Info("serve started", fields...)
	fmt.Fprintf(out, "wabulk serve: listening on http://%s\n", ln.Addr())

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

// webhookAccounts makes one endpoint per account whose adapter reads
// callbacks, and names the accounts whose adapter does not (socnet).
func webhookAccounts(cfg *Config) (map[string]producer.WebhookAccount, []string, error) {
	accounts := map[string]producer.WebhookAccount{}
	var none []string
	for _, p := range cfg.Providers {
		prov, err := buildProvider(withoutSendCredentials(p))
		if err != nil {
			return nil, nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		parser, ok := prov.(providers.CallbackParser)
		if !ok {
			none = append(none, p.Name)
			continue
		}
		a := producer.WebhookAccount{
			Parser:        parser,
			SecretHeader:  p.WebhookSecretHeader,
			SecretValue:   p.WebhookSecret.Reveal(),
			BasicUser:     p.WebhookUser,
			BasicPassword: p.WebhookPassword.Reveal(),
			Insecure:      p.WebhookInsecure,
		}
		if p.Kind == "meta" {
			a.AppSecret, a.VerifyToken = p.AppSecret.Reveal(), p.VerifyToken.Reveal()
		}
		accounts[p.Name] = a
	}
	if len(accounts) == 0 {
		return nil, nil, fmt.Errorf("no provider account sends callbacks (%s: kind socnet has none): nothing to serve", strings.Join(none, ", "))
	}
	return accounts, none, nil
}

// unusedCredential stands in for a send credential serve was not given:
// an adapter needs one to be built, and serve only parses callbacks.
const unusedCredential = "unused-by-serve"

// withoutSendCredentials fills the send credentials p lacks, so that serve
// runs without them.
func withoutSendCredentials(p ProviderConfig) ProviderConfig {
	for _, f := range providerKinds[p.Kind] {
		if !credentialKeys[f] || p.field(f) != "" {
			continue
		}
		switch f {
		case "api_key":
			p.APIKey = unusedCredential
		case "token":
			p.Token = unusedCredential
		case "password":
			p.Password = unusedCredential
		}
	}
	return p
}

// authOf says how an account's callbacks are authenticated, for the log.
func authOf(p *ProviderConfig) string {
	switch {
	case p.WebhookInsecure:
		return "NONE (webhook_insecure)"
	case p.WebhookSecretHeader != "":
		return "secret header " + p.WebhookSecretHeader
	case p.WebhookUser != "":
		return "HTTP Basic"
	case p.Kind == "meta" && p.AppSecret != "":
		if p.VerifyToken != "" {
			return "X-Hub-Signature-256 (app_secret), handshake (verify_token)"
		}
		return "X-Hub-Signature-256 (app_secret), no handshake (no verify_token)"
	}
	return "none"
}

// webhookConfigError says in the config's words how to fix what
// producer.NewWebhooks refused.
func webhookConfigError(cfg *Config, err error) error {
	hint := "\nPer account, configure one way: webhook_secret_header + webhook_secret, webhook_user + webhook_password, " +
		"app_secret (kind meta), or webhook_insecure: true (unauthenticated; only behind a network nothing but the provider can reach)."
	if len(cfg.unsetCredentials) > 0 {
		hint += fmt.Sprintf("\nEnvironment variable %s is not set.", strings.Join(cfg.unsetCredentials, ", "))
	}
	return fmt.Errorf("%w%s", err, hint)
}
