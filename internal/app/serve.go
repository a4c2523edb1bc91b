package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// NewWebhooks is serve's receiver of accounts, storing through client.
func NewWebhooks(cfg *config.Config, accounts map[string]receipts.Account, client *asynq.Client, log *zap.Logger) (*receipts.Receiver, error) {
	hooks, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: cfg.Redis.Prefix, QueueShards: cfg.Redis.QueueShards, Accounts: accounts, Logger: log})
	if err != nil {
		return nil, WebhookConfigError(cfg, err)
	}
	return hooks, nil
}

// HTTPServer is serve's HTTP server around h.
func HTTPServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
}

// WebhookAccounts makes one endpoint per account whose adapter reads
// callbacks, and names the accounts whose adapter does not (socnet).
func WebhookAccounts(cfg *config.Config) (map[string]receipts.Account, []string, error) {
	accounts := map[string]receipts.Account{}
	var none []string
	for _, p := range cfg.Providers {
		p := withoutSendCredentials(p)
		prov, err := BuildProvider(&p)
		if err != nil {
			return nil, nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		parser, ok := prov.(providers.CallbackParser)
		if !ok {
			none = append(none, p.Name)
			continue
		}
		a := receipts.Account{
			Parser:        parser,
			SecretHeader:  p.WebhookSecretHeader,
			SecretValue:   p.WebhookSecret.Reveal(),
			BasicUser:     p.WebhookUser,
			BasicPassword: p.WebhookPassword.Reveal(),
			PathToken:     p.WebhookPathToken.Reveal(),
			Insecure:      p.WebhookInsecure,
		}
		accounts[p.Name] = a
	}
	if len(accounts) == 0 {
		var which []string
		for _, name := range none {
			p, _ := cfg.Provider(name)
			which = append(which, fmt.Sprintf("%s: kind %s sends none", name, p.Kind))
		}
		return accounts, none, fmt.Errorf("no provider account sends callbacks (%s): %w", strings.Join(which, "; "), ErrNothingToServe)
	}
	return accounts, none, nil
}

// ErrNothingToServe: no account has a webhook endpoint.
var ErrNothingToServe = errors.New("nothing to serve")

// unusedCredential stands in for a send credential serve was not given:
// an adapter needs one to be built, and serve only parses callbacks.
const unusedCredential = "unused-by-serve"

// withoutSendCredentials fills the send credentials p lacks, so that serve
// runs without them.
func withoutSendCredentials(p config.ProviderConfig) config.ProviderConfig {
	k, err := p.KindOf()
	if err != nil {
		return p
	}
	settings := map[string]config.Secret{}
	for name, v := range p.Settings {
		settings[name] = v
	}
	for _, f := range k.Fields {
		if f.Secret && f.Required && settings[f.Name] == "" {
			settings[f.Name] = unusedCredential
		}
	}
	p.Settings = settings
	return p
}

// AuthOf says how an account's callbacks are authenticated, for the log.
func AuthOf(a receipts.Account) string {
	switch {
	case a.Insecure:
		return "NONE (webhook_insecure)"
	case a.SecretHeader != "":
		return "secret header " + a.SecretHeader
	case a.BasicUser != "":
		return "HTTP Basic"
	case a.PathToken != "":
		return "path token"
	}
	if auth, ok := a.Parser.(providers.CallbackAuthenticator); ok && auth.CallbackAuth() != "" {
		return auth.CallbackAuth()
	}
	return "none"
}

// WebhookConfigError says in the config's words how to fix what
// receipts.NewReceiver refused.
func WebhookConfigError(cfg *config.Config, err error) error {
	var signed []string
	for _, k := range providers.Kinds() {
		if k.SigningSecret != "" {
			signed = append(signed, fmt.Sprintf("%s (kind %s)", k.SigningSecret, k.Name))
		}
	}
	hint := "\nPer account, configure one way: webhook_secret_header + webhook_secret, webhook_user + webhook_password, " +
		"webhook_path_token (callbacks at /webhooks/NAME/TOKEN), " +
		strings.Join(signed, ", ") + ", or webhook_insecure: true (unauthenticated; only behind a network nothing but the provider can reach)." +
		"\n'wabulk provider kinds' says which ways each kind's provider can use."
	if len(cfg.UnsetCredentials()) > 0 {
		hint += fmt.Sprintf("\nEnvironment variable %s is not set.", strings.Join(cfg.UnsetCredentials(), ", "))
	}
	return fmt.Errorf("%w%s", err, hint)
}

// NewAPI is serve's HTTP producer API, storing through client, with the
// config's tokens of each role.
func NewAPI(cfg *config.Config, c *Conn, client *asynq.Client, log *zap.Logger) (*httpapi.API, error) {
	st := store.New(c.RDB, StoreConfig(cfg.Redis))
	p := producer.New(st, client, ProducerConfig(cfg))
	f, err := NewFleet(cfg, c, st, p)
	if err != nil {
		return nil, err
	}
	full, readOnly := cfg.Serve.TokensByRole()
	ac := APIConfig(cfg, full, log)
	ac.ReadOnlyTokens, ac.Fleet = readOnly, f
	return httpapi.New(p, ac)
}

// APIConfig is what package httpapi takes from the config. The API sends
// through the config's accounts; a message that names none goes through
// the only one, when there is one.
func APIConfig(cfg *config.Config, tokens []string, log *zap.Logger) httpapi.Config {
	rates := map[string]float64{}
	for _, pc := range cfg.Providers {
		rates[pc.Name] = pc.Rate
	}
	def := ""
	if len(cfg.Providers) == 1 {
		def = cfg.Providers[0].Name
	}
	return httpapi.Config{Tokens: tokens, DefaultAccount: def, Rates: rates, Logger: log.Named("api"),
		MaxUploadBytes: cfg.Serve.MaxUploadBytes, LongRequestTimeout: time.Duration(cfg.Serve.UploadTimeout),
		MaxConcurrentUploads: cfg.Serve.MaxConcurrentUploads}
}

// WebhookPathShown is the path an account's callbacks go to, as logs may
// show it: a path token stands as {webhook_path_token}.
func WebhookPathShown(name string, a receipts.Account) string {
	if a.PathToken != "" {
		return receipts.WebhookPath(name, "{webhook_path_token}")
	}
	return receipts.WebhookPath(name, "")
}
