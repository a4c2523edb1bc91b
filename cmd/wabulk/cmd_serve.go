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
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// serveShutdownTimeout is how long a stopping serve lets callbacks in
// flight finish (each one's Redis write is bounded by 5 s).
const serveShutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("serve", "[--config FILE] [--listen ADDR]", `
Serves, on one HTTP listener, provider callbacks and the HTTP producer API.

Provider callbacks (delivery receipts and inbound messages): one endpoint
per provider account,

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

The HTTP producer API, when serve.api_tokens holds a token (off otherwise;
serve says which at start):

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
  GET  /v1/openapi.yaml                 the OpenAPI document (no token needed)

Every other /v1 request carries "Authorization: Bearer TOKEN"; errors are
JSON that name the field at fault. A message that names no account goes
through the config's only account, if it has one.

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
	tokens := apiTokens(cfg)
	accounts, noEndpoint, err := webhookAccounts(cfg)
	if errors.Is(err, errNothingToServe) {
		if len(tokens) > 0 {
			err = nil // the API alone is something to serve
		} else {
			err = fmt.Errorf("%w (serve.api_tokens holds no token either, so the HTTP API is off)", err)
		}
	}
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
	hooks, err := newWebhooks(cfg, accounts, client, log)
	if err != nil {
		return err
	}
	var handler http.Handler = hooks
	if len(tokens) > 0 {
		api, err := newAPI(cfg, c, client, tokens, log)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/v1/", api)
		mux.Handle("/", hooks)
		handler = mux
	}

	addr := cmp.Or(*listen, cfg.Serve.Listen)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := webhookServer(handler, log)
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
	if len(tokens) > 0 {
		log.Info("HTTP API on", zap.String("path", "/v1/"), zap.Int("tokens", len(tokens)), zap.String("openapi", "/v1/openapi.yaml"))
		fmt.Fprintf(out, "wabulk serve: HTTP API at http://%s/v1/ (%d token(s); OpenAPI document at /v1/openapi.yaml)\n", ln.Addr(), len(tokens))
	} else {
		why := "serve.api_tokens holds no token"
		if len(cfg.Serve.APITokens) > 0 && len(cfg.unsetCredentials) > 0 {
			why += fmt.Sprintf(" (environment variable %s is not set)", strings.Join(cfg.unsetCredentials, ", "))
		}
		log.Info("HTTP API off: " + why)
		fmt.Fprintf(out, "wabulk serve: HTTP API off: %s\n", why)
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

// newWebhooks is serve's receiver of accounts, storing through client.
func newWebhooks(cfg *Config, accounts map[string]receipts.Account, client *asynq.Client, log *zap.Logger) (*receipts.Receiver, error) {
	hooks, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: cfg.Redis.Prefix, Accounts: accounts, Logger: log})
	if err != nil {
		return nil, webhookConfigError(cfg, err)
	}
	return hooks, nil
}

// apiTokens are the configured API tokens that are set.
func apiTokens(cfg *Config) []string {
	var out []string
	for _, t := range cfg.Serve.APITokens {
		if t.Reveal() != "" {
			out = append(out, t.Reveal())
		}
	}
	return out
}

// newAPI is serve's HTTP producer API, storing through client. It sends
// through the config's accounts; a message that names none goes through
// the only one, when there is one.
func newAPI(cfg *Config, c *conn, client *asynq.Client, tokens []string, log *zap.Logger) (*producer.API, error) {
	st := store.New(c.rdb, store.Config{Prefix: cfg.Redis.Prefix})
	p := producer.New(st, client, producer.Config{DefaultRegion: cfg.DefaultRegion, Prefix: cfg.Redis.Prefix})
	rates := map[string]float64{}
	for _, pc := range cfg.Providers {
		rates[pc.Name] = pc.Rate
	}
	def := ""
	if len(cfg.Providers) == 1 {
		def = cfg.Providers[0].Name
	}
	return producer.NewAPI(p, producer.APIConfig{Tokens: tokens, DefaultAccount: def, Rates: rates, Logger: log.Named("api")})
}

// webhookServer is serve's HTTP server around h.
func webhookServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
}

// webhookAccounts makes one endpoint per account whose adapter reads
// callbacks, and names the accounts whose adapter does not (socnet). An
// adapter that authenticates its callbacks itself (meta, with app_secret)
// was given its secrets by buildProvider.
func webhookAccounts(cfg *Config) (map[string]receipts.Account, []string, error) {
	accounts := map[string]receipts.Account{}
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
		accounts[p.Name] = receipts.Account{
			Parser:        parser,
			SecretHeader:  p.WebhookSecretHeader,
			SecretValue:   p.WebhookSecret.Reveal(),
			BasicUser:     p.WebhookUser,
			BasicPassword: p.WebhookPassword.Reveal(),
			Insecure:      p.WebhookInsecure,
		}
	}
	if len(accounts) == 0 {
		return accounts, none, fmt.Errorf("no provider account sends callbacks (%s: kind socnet has none): %w", strings.Join(none, ", "), errNothingToServe)
	}
	return accounts, none, nil
}

// errNothingToServe: no account has a webhook endpoint.
var errNothingToServe = errors.New("nothing to serve")

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
// receipts.NewReceiver refused.
func webhookConfigError(cfg *Config, err error) error {
	hint := "\nPer account, configure one way: webhook_secret_header + webhook_secret, webhook_user + webhook_password, " +
		"app_secret (kind meta), or webhook_insecure: true (unauthenticated; only behind a network nothing but the provider can reach)."
	if len(cfg.unsetCredentials) > 0 {
		hint += fmt.Sprintf("\nEnvironment variable %s is not set.", strings.Join(cfg.unsetCredentials, ", "))
	}
	return fmt.Errorf("%w%s", err, hint)
}
