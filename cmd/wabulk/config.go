package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
)

// Config is the whole of wabulk's configuration file. See
// examples/wabulk.yaml for every field with its default.
type Config struct {
	Redis         RedisConfig      `yaml:"redis"`
	DefaultRegion string           `yaml:"default_region"`
	Log           LogConfig        `yaml:"log"`
	Providers     []ProviderConfig `yaml:"providers"`
	Worker        WorkerConfig     `yaml:"worker"`
	Serve         ServeConfig      `yaml:"serve"`
	Schedules     []ScheduleConfig `yaml:"schedules"` // recurring reminder jobs (`wabulk scheduler`); see config_schedules.go

	unsetCredentials []string // ${VAR}s in credential fields that were not set
}

// RedisConfig says where the queue and records live.
type RedisConfig struct {
	// URL is redis://[user:pass@]host:port/db, or "embedded" for an
	// in-process miniredis (demo, trying things out; nothing survives a restart).
	URL string `yaml:"url"`
	// Listen is where the embedded Redis listens, so that import and
	// campaign commands in other processes can reach the worker hosting it.
	Listen string `yaml:"listen"`
	Prefix string `yaml:"prefix"`
}

// LogConfig sets the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // console or json
}

// ProviderConfig is one provider account. Which credential fields a kind
// needs is in providerKinds.
type ProviderConfig struct {
	Name    string `yaml:"name"`
	Kind    string `yaml:"kind"`
	BaseURL string `yaml:"base_url"`

	APIKey        Secret `yaml:"api_key"`         // tujenge (WA-API-KEY), socnet (api_key), decisiontelecom (Basic)
	Token         Secret `yaml:"token"`           // taqnyat, meta (Bearer)
	Username      string `yaml:"username"`        // modica (Basic)
	Password      Secret `yaml:"password"`        // modica (Basic)
	PhoneNumberID string `yaml:"phone_number_id"` // meta
	AppSecret     Secret `yaml:"app_secret"`      // meta: webhook signatures
	Namespace     string `yaml:"namespace"`       // tujenge: template namespace
	Source        string `yaml:"source"`          // decisiontelecom: source_addr
	CallbackURL   string `yaml:"callback_url"`    // decisiontelecom: callback_url sent with each message

	// How `wabulk serve` authenticates this account's callbacks at
	// /webhooks/{name}: one way, the one the provider can use.
	WebhookSecretHeader string `yaml:"webhook_secret_header"` // a header the provider sends with every callback (Tujenge: webhook config headers)...
	WebhookSecret       Secret `yaml:"webhook_secret"`        // ...carrying exactly this value
	WebhookUser         string `yaml:"webhook_user"`          // HTTP Basic (Modica: https://user:password@host/webhooks/name)
	WebhookPassword     Secret `yaml:"webhook_password"`
	// AppSecret above authenticates Meta's signed callbacks.
	VerifyToken Secret `yaml:"verify_token"` // meta: the GET hub.challenge handshake
	// WebhookInsecure accepts this account's callbacks unauthenticated:
	// only behind a network that nothing but the provider can reach.
	WebhookInsecure bool `yaml:"webhook_insecure"`

	Rate        float64  `yaml:"rate"`         // messages/s per account; default 80 (Meta's standard); -1 unlimited
	Burst       int      `yaml:"burst"`        // default rate/10
	PairEvery   Duration `yaml:"pair_every"`   // one message per recipient per this; default 6s; "off"
	DailyBudget int      `yaml:"daily_budget"` // unique template recipients per 24 h (250, 2000, 10000, 100000); 0 unlimited
	// BackoffRecovery is how long the rate takes to come back after the
	// provider's 429 halved it; default 60s; "off" ignores 429s.
	BackoffRecovery Duration `yaml:"backoff_recovery"`
	Timeout         Duration `yaml:"timeout"`
	MaxConns        int      `yaml:"max_conns"`

	// Status polling, for kinds without push receipts (decisiontelecom):
	// every worker polls, sharing one rate.
	PollRate   float64  `yaml:"poll_rate"`    // status requests/s for this account, across every worker; default 10
	PollMaxAge Duration `yaml:"poll_max_age"` // stop polling a message this long after it was accepted; default 24h
}

// WorkerConfig tunes the worker.
type WorkerConfig struct {
	Concurrency              int            `yaml:"concurrency"`
	Queues                   map[string]int `yaml:"queues"`
	StrictPriority           bool           `yaml:"strict_priority"`
	DelayedTaskCheckInterval Duration       `yaml:"delayed_task_check_interval"`
	TaskCheckInterval        Duration       `yaml:"task_check_interval"`
	ShutdownTimeout          Duration       `yaml:"shutdown_timeout"`
	MaxAttempts              int            `yaml:"max_attempts"`
	RetryBase                Duration       `yaml:"retry_base"`
	RetryMax                 Duration       `yaml:"retry_max"`
	MaxLimiterWait           Duration       `yaml:"max_limiter_wait"`
	AccountRetryDelay        Duration       `yaml:"account_retry_delay"`
	ResendAmbiguous          bool           `yaml:"resend_ambiguous"`
	BreakerMinRequests       int            `yaml:"breaker_min_requests"`
	BreakerFailureRatio      float64        `yaml:"breaker_failure_ratio"`
	BreakerWindow            Duration       `yaml:"breaker_window"`
	BreakerOpenFor           Duration       `yaml:"breaker_open_for"`
	MaxInFlight              int            `yaml:"max_in_flight"`
	// EventsWeight weighs the callback events queue against the lanes
	// (default 5); EventHoldDelay and EventHoldFor: how often and how long
	// a receipt for a provider id not recorded yet is retried (2s, 2m).
	EventsWeight   int      `yaml:"events_weight"`
	EventHoldDelay Duration `yaml:"event_hold_delay"`
	EventHoldFor   Duration `yaml:"event_hold_for"`
	// PollFirstAfter: how long after acceptance a message of a provider
	// without push receipts (decisiontelecom) is first polled; default 10s.
	PollFirstAfter Duration `yaml:"poll_first_after"`
	// CampaignPausedRecheck: how often a paused campaign's waiting
	// messages look again; default 5s.
	CampaignPausedRecheck Duration `yaml:"campaign_paused_recheck"`
	// OptOutKeywords and OptInKeywords replace worker.DefaultOptOutKeywords
	// and worker.DefaultOptInKeywords when set.
	OptOutKeywords []string `yaml:"opt_out_keywords"`
	OptInKeywords  []string `yaml:"opt_in_keywords"`
}

// ServeConfig configures `wabulk serve`, the webhook receiver and the
// HTTP producer API.
type ServeConfig struct {
	// Listen is the address the HTTP server listens on; default
	// 127.0.0.1:8080 (put a TLS-terminating proxy or ingress in front).
	Listen string `yaml:"listen"`
	// APITokens are the bearer tokens of the HTTP API (/v1/...), usually
	// "${VAR}"s; none (or every one unset) leaves the API off.
	APITokens []Secret `yaml:"api_tokens"`
}

// minAPITokenLen is the shortest API token serve takes.
const minAPITokenLen = 16

// Duration is a time.Duration written as "1.5s", "10m", "2h".
type Duration time.Duration

// Off is the Duration written "off": the rule it sets is turned off.
const Off = Duration(-1)

// UnmarshalYAML reads a Go duration string, or "off".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if strings.EqualFold(strings.TrimSpace(n.Value), "off") {
		*d = Off
		return nil
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write e.g. 500ms, 15s, 10m, 2h)", n.Line, n.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as it is read ("1.5s", "off").
func (d Duration) MarshalYAML() (any, error) {
	if d == Off {
		return "off", nil
	}
	return time.Duration(d).String(), nil
}

// Secret is a credential: it prints as [redacted] wherever it goes.
type Secret string

func (s Secret) String() string { return "[redacted]" }

// GoString keeps %#v from printing it.
func (s Secret) GoString() string { return "[redacted]" }

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// providerKinds lists the adapters this binary has, with the fields each
// one requires (credentials are checked only by commands that send).
var providerKinds = map[string][]string{
	"tujenge":         {"api_key"},
	"taqnyat":         {"token"},
	"socnet":          {"api_key"},
	"modica":          {"username", "password"},
	"decisiontelecom": {"api_key", "source"},
	"meta":            {"token", "phone_number_id"},
}

// field returns the value of a required field by its YAML name.
func (p *ProviderConfig) field(name string) string {
	switch name {
	case "api_key":
		return p.APIKey.Reveal()
	case "token":
		return p.Token.Reveal()
	case "username":
		return p.Username
	case "password":
		return p.Password.Reveal()
	case "phone_number_id":
		return p.PhoneNumberID
	case "source":
		return p.Source
	}
	return ""
}

// LoadConfig reads, expands and validates a config file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(b, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// credentialKeys are the fields holding secrets. A ${VAR} in one of them
// may be unset for commands that never talk to a provider (import,
// campaign): RequireCredentials checks them where they are needed.
var credentialKeys = map[string]bool{"api_key": true, "token": true, "password": true, "app_secret": true,
	"webhook_secret": true, "webhook_password": true, "verify_token": true, "api_tokens": true}

// ParseConfig parses a config, expanding ${VAR} and ${VAR:-default} in
// every value with lookup, and validates it. Credentials may be missing
// here; RequireCredentials checks them.
func ParseConfig(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	cfg := &Config{}
	if len(root.Content) > 0 {
		if err := expandNode(&root, "", lookup, &cfg.unsetCredentials); err != nil {
			return nil, err
		}
		// Decoding the node keeps the file's line numbers in errors.
		if err := root.Decode(cfg); err != nil {
			return nil, err
		}
		if err := checkKnownFields(&root); err != nil {
			return nil, err
		}
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// headerName is an HTTP header field name (an RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")

var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// checkKnownFields rejects misspelt fields. yaml.v3 checks them only when
// decoding bytes, so the expanded tree is encoded and decoded strictly, and
// each unknown field is pointed at by its line in the original file.
func checkKnownFields(root *yaml.Node) error {
	b, err := yaml.Marshal(root)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(&Config{})
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var errs []error
	for _, m := range unknownField.FindAllStringSubmatch(err.Error(), -1) {
		if line := keyLine(root, m[1]); line > 0 {
			errs = append(errs, fmt.Errorf("line %d: unknown field %q (examples/wabulk.yaml lists every field)", line, m[1]))
		} else {
			errs = append(errs, fmt.Errorf("unknown field %q (examples/wabulk.yaml lists every field)", m[1]))
		}
	}
	if len(errs) == 0 {
		return err
	}
	return errors.Join(errs...)
}

// keyLine is the line of the first mapping key named name.
func keyLine(n *yaml.Node, name string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := keyLine(c, name); l > 0 {
			return l
		}
	}
	return 0
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandNode replaces ${VAR} references in every scalar below n. An unset
// variable with no default is an error naming its line, except in a
// credential field, where it is noted in unset for RequireCredentials.
func expandNode(n *yaml.Node, key string, lookup func(string) (string, bool), unset *[]string) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing []string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			if v, ok := lookup(m[1]); ok && v != "" {
				return v
			}
			if m[2] != "" {
				return m[3]
			}
			missing = append(missing, m[1])
			return ""
		})
		if len(missing) > 0 {
			if !credentialKeys[key] {
				return fmt.Errorf("line %d: environment variable %s is not set", n.Line, strings.Join(missing, ", "))
			}
			*unset = append(*unset, missing...)
		}
		// Let the expanded text resolve as if written in place: ${N:-4}
		// is the number 4 for a number field.
		n.Tag, n.Style = "", 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := expandNode(n.Content[i+1], n.Content[i].Value, lookup, unset); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range n.Content {
		if err := expandNode(c, key, lookup, unset); err != nil {
			return err
		}
	}
	return nil
}

// RequireCredentials checks that every provider account has what its kind
// needs to authenticate: commands that send call it.
func (c *Config) RequireCredentials() error {
	var errs []error
	for i, p := range c.Providers {
		for _, f := range providerKinds[p.Kind] {
			if credentialKeys[f] && p.field(f) == "" {
				hint := ""
				if len(c.unsetCredentials) > 0 {
					hint = fmt.Sprintf(" (environment variable %s is not set)", strings.Join(c.unsetCredentials, ", "))
				}
				errs = append(errs, fmt.Errorf("providers[%d] (%s): %s is required for kind %s%s", i, p.Name, f, p.Kind, hint))
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Config) applyDefaults() {
	if c.Redis.URL == "" {
		c.Redis.URL = "embedded"
	}
	if c.Redis.Listen == "" {
		c.Redis.Listen = "127.0.0.1:6380"
	}
	if c.Redis.Prefix == "" {
		c.Redis.Prefix = "wabulk:"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "console"
	}
	if c.Serve.Listen == "" {
		c.Serve.Listen = "127.0.0.1:8080"
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Timeout == 0 {
			p.Timeout = Duration(15 * time.Second)
		}
		if p.Rate == 0 {
			p.Rate = 80 // Meta's standard throughput per sender number
		}
		if p.Burst == 0 && p.Rate > 0 {
			p.Burst = max(1, int(p.Rate/10))
		}
	}
}

// Validate reports every problem at once, one per line.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Redis.URL != "embedded" {
		if _, err := url.Parse(c.Redis.URL); err != nil || !strings.HasPrefix(c.Redis.URL, "redis") {
			bad("redis.url %q: want redis://host:port/db, rediss://..., or embedded", redactURL(c.Redis.URL))
		}
	}
	if c.Redis.URL == "embedded" && !isLoopback(c.Redis.Listen) {
		bad("redis.listen %q: the embedded Redis has no password, so it listens on loopback only (127.0.0.1:PORT)", c.Redis.Listen)
	}
	if !strings.HasSuffix(c.Redis.Prefix, ":") {
		bad("redis.prefix %q: must end with ':'", c.Redis.Prefix)
	}
	if c.DefaultRegion != "" {
		if _, err := message.NormalizePhone("+14155550100", c.DefaultRegion); err != nil || len(c.DefaultRegion) != 2 {
			bad("default_region %q: want a two-letter ISO 3166 code such as TZ, KE, SA, NZ", c.DefaultRegion)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "console" && c.Log.Format != "json" {
		bad("log.format %q: want console or json", c.Log.Format)
	}
	if len(c.Providers) == 0 {
		bad("providers: at least one provider account is required")
	}
	seen := map[string]bool{}
	for i, p := range c.Providers {
		where := fmt.Sprintf("providers[%d]", i)
		if p.Name == "" {
			bad("%s: name is required", where)
		} else {
			where = fmt.Sprintf("providers[%d] (%s)", i, p.Name)
		}
		if seen[p.Name] {
			bad("%s: name is used twice", where)
		}
		seen[p.Name] = true
		fields, ok := providerKinds[p.Kind]
		if !ok {
			bad("%s: unknown kind %q (known: %s)", where, p.Kind, strings.Join(sortedKeys(providerKinds), ", "))
			continue
		}
		for _, f := range fields {
			// Credentials are checked by RequireCredentials, for the commands that send.
			if !credentialKeys[f] && p.field(f) == "" {
				bad("%s: %s is required for kind %s", where, f, p.Kind)
			}
		}
		if p.BaseURL != "" {
			if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("%s: base_url %q must be an absolute http(s) URL", where, p.BaseURL)
			}
		}
		if (p.Rate < 0 && p.Rate != -1) || p.Burst < 0 || p.DailyBudget < 0 {
			bad("%s: rate must be positive (or -1: unlimited), burst and daily_budget not negative", where)
		}
		if p.Kind != "meta" && (p.AppSecret != "" || p.VerifyToken != "") {
			bad("%s: app_secret and verify_token are Meta's webhook settings (kind meta); for kind %s use webhook_secret_header + webhook_secret or webhook_user + webhook_password", where, p.Kind)
		}
		if p.WebhookSecretHeader != "" && !headerName.MatchString(p.WebhookSecretHeader) {
			bad("%s: webhook_secret_header %q is not an HTTP header name (e.g. X-Webhook-Secret)", where, p.WebhookSecretHeader)
		}
		if strings.Contains(p.WebhookUser, ":") {
			bad("%s: webhook_user must not contain ':' (HTTP Basic cannot carry it)", where)
		}
		if err := p.checkPoll(where); err != nil {
			errs = append(errs, err)
		}
	}
	for q, w := range c.Worker.Queues {
		if _, err := message.ParseLane(q); err != nil || q == "" {
			bad("worker.queues: unknown lane %q (lanes: high, normal, low)", q)
		}
		if w < 0 {
			bad("worker.queues.%s: weight must not be negative", q)
		}
	}
	if len(c.Worker.Queues) > 0 {
		sum := 0
		for _, w := range c.Worker.Queues {
			sum += max(w, 0)
		}
		if sum == 0 {
			bad("worker.queues: every lane has weight 0, so the worker would take nothing")
		}
	}
	var slowest time.Duration
	for _, p := range c.Providers {
		slowest = max(slowest, time.Duration(p.Timeout))
	}
	shutdown := cmp.Or(time.Duration(c.Worker.ShutdownTimeout), 30*time.Second)
	limiterWait := cmp.Or(time.Duration(c.Worker.MaxLimiterWait), 5*time.Second)
	if shutdown < slowest+limiterWait {
		bad("worker.shutdown_timeout %v is shorter than the slowest provider timeout (%v) plus worker.max_limiter_wait (%v): a shutdown would cut sends off mid-request", shutdown, slowest, limiterWait)
	}
	if _, _, err := net.SplitHostPort(c.Serve.Listen); err != nil {
		bad("serve.listen %q: want host:port, e.g. 127.0.0.1:8080 or :8080", c.Serve.Listen)
	}
	for i, tok := range c.Serve.APITokens {
		// An unset ${VAR} leaves "": that token is off (serve says so).
		switch t := tok.Reveal(); {
		case t == "":
		case len(t) < minAPITokenLen:
			bad("serve.api_tokens[%d]: a token must be at least %d characters (e.g. openssl rand -hex 32)", i, minAPITokenLen)
		case strings.ContainsAny(t, " \t\r\n"):
			bad("serve.api_tokens[%d]: a token must not contain spaces", i)
		}
	}
	if c.Worker.BreakerFailureRatio < 0 || c.Worker.BreakerFailureRatio > 1 {
		bad("worker.breaker_failure_ratio %v: want a share between 0 and 1 (e.g. 0.5)", c.Worker.BreakerFailureRatio)
	}
	if c.Worker.EventsWeight < 0 {
		bad("worker.events_weight must not be negative")
	}
	if c.Worker.CampaignPausedRecheck < 0 {
		bad("worker.campaign_paused_recheck cannot be off")
	}
	if c.Worker.PollFirstAfter < 0 {
		bad("worker.poll_first_after cannot be off (set the account's poll_max_age to limit polling)")
	}
	if c.Worker.EventHoldDelay < 0 || c.Worker.EventHoldFor < 0 {
		bad("worker.event_hold_delay and worker.event_hold_for cannot be off (receipts that beat their send must be held)")
	}
	if c.Worker.Concurrency < 0 || c.Worker.MaxAttempts < 0 {
		bad("worker: concurrency and max_attempts must not be negative")
	}
	return errors.Join(errs...)
}

// isLoopback reports whether a host:port listens on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Provider returns the account named name.
func (c *Config) Provider(name string) (*ProviderConfig, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("no provider account %q in the config (have: %s)", name, strings.Join(c.providerNames(), ", "))
}

func (c *Config) providerNames() []string {
	var out []string
	for _, p := range c.Providers {
		out = append(out, p.Name)
	}
	return out
}

// redactURL hides a password in a URL, even one that does not parse.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i, j := strings.Index(s, "://"), strings.LastIndex(s, "@"); i >= 0 && j > i {
			return s[:i+3] + "xxxxx" + s[j:]
		}
		return s
	}
	if u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
