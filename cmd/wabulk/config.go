package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// ProviderConfig is one provider account.
type ProviderConfig struct {
	Name      string   `yaml:"name"`
	Kind      string   `yaml:"kind"`
	BaseURL   string   `yaml:"base_url"`
	APIKey    Secret   `yaml:"api_key"`
	Namespace string   `yaml:"namespace"`
	Rate      float64  `yaml:"rate"`
	Burst     int      `yaml:"burst"`
	Timeout   Duration `yaml:"timeout"`
	MaxConns  int      `yaml:"max_conns"`
}

// WorkerConfig tunes the worker.
type WorkerConfig struct {
	Concurrency              int            `yaml:"concurrency"`
	Queues                   map[string]int `yaml:"queues"`
	StrictPriority           bool           `yaml:"strict_priority"`
	DelayedTaskCheckInterval Duration       `yaml:"delayed_task_check_interval"`
	ShutdownTimeout          Duration       `yaml:"shutdown_timeout"`
	MaxAttempts              int            `yaml:"max_attempts"`
	RetryBase                Duration       `yaml:"retry_base"`
	RetryMax                 Duration       `yaml:"retry_max"`
	MaxLimiterWait           Duration       `yaml:"max_limiter_wait"`
	AccountRetryDelay        Duration       `yaml:"account_retry_delay"`
	ResendAmbiguous          bool           `yaml:"resend_ambiguous"`
}

// Duration is a time.Duration written as "1.5s", "10m", "2h".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
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

// Secret is a credential: it prints as [redacted] wherever it goes.
type Secret string

func (s Secret) String() string { return "[redacted]" }

// GoString keeps %#v from printing it.
func (s Secret) GoString() string { return "[redacted]" }

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// providerKinds lists the adapters this binary has, with the credential
// each one requires.
var providerKinds = map[string]string{
	"tujenge": "api_key",
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

// ParseConfig parses a config, expanding ${VAR} and ${VAR:-default} in
// every value with lookup, and validates it.
func ParseConfig(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	if err := expandNode(&root, lookup); err != nil {
		return nil, err
	}
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

func expandNode(n *yaml.Node, lookup func(string) (string, bool)) error {
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
			return fmt.Errorf("line %d: environment variable %s is not set", n.Line, strings.Join(missing, ", "))
		}
		n.Style = yaml.DoubleQuotedStyle
		if n.Tag == "" || n.Tag == "!!str" {
			n.Tag = ""
		}
	}
	for _, c := range n.Content {
		if err := expandNode(c, lookup); err != nil {
			return err
		}
	}
	return nil
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
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Timeout == 0 {
			p.Timeout = Duration(15 * time.Second)
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
		cred, ok := providerKinds[p.Kind]
		if !ok {
			bad("%s: unknown kind %q (known: %s)", where, p.Kind, strings.Join(sortedKeys(providerKinds), ", "))
			continue
		}
		if cred == "api_key" && p.APIKey == "" {
			bad("%s: api_key is required for kind %s", where, p.Kind)
		}
		if p.BaseURL != "" {
			if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("%s: base_url %q must be an absolute http(s) URL", where, p.BaseURL)
			}
		}
		if p.Rate < 0 || p.Burst < 0 {
			bad("%s: rate and burst must not be negative", where)
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
	if c.Worker.Concurrency < 0 || c.Worker.MaxAttempts < 0 {
		bad("worker: concurrency and max_attempts must not be negative")
	}
	return errors.Join(errs...)
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

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
