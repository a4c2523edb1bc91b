package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wabulk/wabulk/providers"
)

// ProviderConfig is one provider account: the fields every account has,
// and in Settings the fields its kind declares (providers.Kind.Fields:
// api_key, token, username, password, phone_number_id, app_secret,
// verify_token, namespace, source, callback_url, ...).
type ProviderConfig struct {
	Name    string `yaml:"name"`
	Kind    string `yaml:"kind"`
	BaseURL string `yaml:"base_url"` // what it means is the kind's (providers.Kind.BaseURL)

	// How `wabulk serve` authenticates this account's callbacks at
	// /webhooks/{name}: one way, the one the provider can use (kinds whose
	// adapter checks a signature, e.g. meta's app_secret, need none of these).
	WebhookSecretHeader string `yaml:"webhook_secret_header"` // a header the provider sends with every callback (Tujenge: webhook config headers)...
	WebhookSecret       Secret `yaml:"webhook_secret"`        // ...carrying exactly this value
	WebhookUser         string `yaml:"webhook_user"`          // HTTP Basic (Modica: https://user:password@host/webhooks/name)
	WebhookPassword     Secret `yaml:"webhook_password"`
	// WebhookPathToken moves the endpoint to /webhooks/{name}/{token}: an
	// unguessable token (at least 32 characters) for providers that can
	// only be given a URL, above all DecisionTelecom, whose callback_url
	// travels with every message.
	WebhookPathToken Secret `yaml:"webhook_path_token"`
	// WebhookInsecure accepts this account's callbacks unauthenticated:
	// only behind a network that nothing but the provider can reach.
	WebhookInsecure bool `yaml:"webhook_insecure"`

	Rate        float64  `yaml:"rate"`         // messages/s per account; default 80 (Meta's standard); -1 unlimited
	Burst       int      `yaml:"burst"`        // default rate/10
	PairEvery   Duration `yaml:"pair_every"`   // one message per recipient per this; default 6s; "off"
	DailyBudget int      `yaml:"daily_budget"` // unique template recipients per 24 h (250, 2000, 10000, 100000); 0 unlimited
	// BackoffRecovery paces how the rate learned from the provider's 429s
	// climbs back: by the configured rate every this (ten times slower
	// near the limit last measured); default 60s; "off" ignores 429s.
	// A 429 makes every worker measure what the provider accepts, and the
	// rate becomes that, 3 % below (package ratelimit, "Learned limits").
	BackoffRecovery Duration `yaml:"backoff_recovery"`
	Timeout         Duration `yaml:"timeout"` // one request to the provider; default 15s
	MaxConns        int      `yaml:"max_conns"`

	// Window is how the account keeps WhatsApp's 24-hour window for
	// free-form messages (providers.WindowPolicy): "enforce" (wabulk sends
	// only inside a window it saw opened by an inbound message) or
	// "provider" (wabulk sends and the provider's refusal decides). Default
	// the kind's (providers.Kind.DefaultWindow): enforce for kinds that
	// deliver inbound messages, provider for the others.
	Window string `yaml:"window"`

	// Status polling, for kinds without push receipts (decisiontelecom):
	// every worker polls, sharing one rate.
	PollRate   float64  `yaml:"poll_rate"`    // status requests/s for this account, across every worker; default 10
	PollMaxAge Duration `yaml:"poll_max_age"` // stop polling a message this long after it was accepted; default 24h

	// Settings are the kind's own fields, by name.
	Settings map[string]Secret `yaml:",inline"`

	lines map[string]int // the file's line of each key, for errors
}

// Account is the account as its adapter is built from it
// (providers.Kind.New), credentials revealed.
func (p *ProviderConfig) Account() providers.AccountConfig {
	a := providers.AccountConfig{Name: p.Name, BaseURL: p.BaseURL, Settings: map[string]string{},
		HTTP: providers.HTTPConfig{Timeout: time.Duration(p.Timeout), MaxConns: p.MaxConns}}
	for k, v := range p.Settings {
		a.Settings[k] = v.Reveal()
	}
	return a
}

// Setting returns one of the kind's fields, "" when unset.
func (p *ProviderConfig) Setting(name string) string { return p.Settings[name].Reveal() }

// Set sets one of the kind's fields.
func (p *ProviderConfig) Set(name, value string) {
	if p.Settings == nil {
		p.Settings = map[string]Secret{}
	}
	p.Settings[name] = Secret(value)
}

// WindowPolicy is the account's window policy: window, or its kind's
// default when unset (enforce for a kind Validate did not know).
func (p *ProviderConfig) WindowPolicy() providers.WindowPolicy {
	if w, err := providers.ParseWindowPolicy(p.Window); err == nil && w != "" {
		return w
	}
	if k, err := p.KindOf(); err == nil {
		return k.DefaultWindow()
	}
	return providers.WindowEnforce
}

// KindOf returns the account's registered kind.
func (p *ProviderConfig) KindOf() (*providers.Kind, error) { return providers.LookupKind(p.Kind) }

func (p *ProviderConfig) applyDefaults() {
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

// Provider returns the account named name.
func (c *Config) Provider(name string) (*ProviderConfig, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("no provider account %q in the config (have: %s)", name, strings.Join(c.ProviderNames(), ", "))
}

// ProviderNames lists the accounts' names in the config's order.
func (c *Config) ProviderNames() []string {
	var out []string
	for _, p := range c.Providers {
		out = append(out, p.Name)
	}
	return out
}

// RequireCredentials checks that every provider account has what its kind
// needs to authenticate: commands that send call it.
func (c *Config) RequireCredentials() error {
	var errs []error
	for i, p := range c.Providers {
		k, err := p.KindOf()
		if err != nil {
			continue // Validate reported it
		}
		for _, f := range k.Fields {
			if f.Secret && f.Required && p.Setting(f.Name) == "" {
				errs = append(errs, fmt.Errorf("providers[%d] (%s): %s is required for kind %s%s", i, p.Name, f.Name, p.Kind, c.unsetHint()))
			}
		}
	}
	return errors.Join(errs...)
}

// minPathToken is the shortest webhook_path_token: the receiver's
// receipts.MinPathToken.
const minPathToken = 32

// pathToken is a webhook path token: one path segment of RFC 3986
// unreserved characters, long enough not to be guessed.
var pathToken = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9._~-]{%d,}$`, minPathToken))

// headerName is an HTTP header field name (an RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")

func (c *Config) validateProviders() error {
	var errs errList
	if len(c.Providers) == 0 {
		errs.add("providers: at least one provider account is required")
	}
	seen := map[string]bool{}
	for i := range c.Providers {
		p := &c.Providers[i]
		where := fmt.Sprintf("providers[%d]", i)
		if p.Name == "" {
			errs.add("%s: name is required", where)
		} else {
			where = fmt.Sprintf("providers[%d] (%s)", i, p.Name)
		}
		if seen[p.Name] {
			errs.add("%s: name is used twice", where)
		}
		seen[p.Name] = true
		errs = append(errs, p.validate(where)...)
	}
	return errs.join()
}

// validate checks one account against its kind.
func (p *ProviderConfig) validate(where string) errList {
	var errs errList
	k, err := p.KindOf()
	if err != nil {
		if p.Kind == "" {
			errs.add("%s: kind is required (known: %s)", where, strings.Join(providers.KindNames(), ", "))
		} else {
			errs.add("%s: unknown kind %q (known: %s)", where, p.Kind, strings.Join(providers.KindNames(), ", "))
		}
		// Fields no kind has are misspellings whatever the kind.
		for _, name := range sortedKeys(p.Settings) {
			if len(kindsWith(name)) == 0 {
				errs.add("%s: unknown field %q%s (examples/wabulk.yaml lists every field)", p.at(name, where), name, suggest(name, nil))
			}
		}
		return errs
	}
	for _, name := range sortedKeys(p.Settings) {
		if _, ok := k.Field(name); ok {
			continue
		}
		hint := suggest(name, k)
		if in := kindsWith(name); len(in) > 0 {
			hint = fmt.Sprintf("; %s is a field of kind %s", name, strings.Join(in, ", "))
		}
		errs.add("%s: unknown field %q for kind %s (its own fields: %s; examples/wabulk.yaml lists every field)%s",
			p.at(name, where), name, p.Kind, strings.Join(k.FieldNames(), ", "), hint)
	}
	for _, f := range k.Fields {
		// Credentials are checked by RequireCredentials, for the commands that send.
		if f.Required && !f.Secret && p.Setting(f.Name) == "" {
			errs.add("%s: %s is required for kind %s", where, f.Name, p.Kind)
		}
	}
	if p.BaseURL != "" {
		if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.add("%s: base_url %q must be an absolute http(s) URL (for kind %s: %s)", where, p.BaseURL, p.Kind, k.BaseURL.Means)
		} else if err := k.BaseURL.CheckForm(u); err != nil {
			// A wrong form misses the provider's API on every send.
			errs.add("%s: base_url %q %v for kind %s (e.g. %s)", where, p.BaseURL, err, p.Kind, k.BaseURL.Default)
		}
	}
	if (p.Rate < 0 && p.Rate != -1) || p.Burst < 0 || p.DailyBudget < 0 {
		errs.add("%s: rate must be positive (or -1: unlimited), burst and daily_budget not negative", where)
	}
	if p.WebhookSecretHeader != "" && !headerName.MatchString(p.WebhookSecretHeader) {
		errs.add("%s: webhook_secret_header %q is not an HTTP header name (e.g. X-Webhook-Secret)", where, p.WebhookSecretHeader)
	}
	if strings.Contains(p.WebhookUser, ":") {
		errs.add("%s: webhook_user must not contain ':' (HTTP Basic cannot carry it)", where)
	}
	if tok := p.WebhookPathToken.Reveal(); tok != "" && !pathToken.MatchString(tok) {
		errs.add("%s: webhook_path_token must be at least %d letters, digits, '-', '.', '_' or '~' (it has %d characters; e.g. openssl rand -hex 32)",
			where, minPathToken, len(tok))
	}
	if _, err := providers.ParseWindowPolicy(p.Window); err != nil {
		errs.add("%s: %v (leave it unset for kind %s's default, %s)", p.at("window", where), err, p.Kind, k.DefaultWindow())
	}
	return append(errs, p.validatePoll(where, k)...)
}

// at is where, led by the line of key when the file has it.
func (p *ProviderConfig) at(key, where string) string {
	if l := p.lines[key]; l > 0 {
		return fmt.Sprintf("line %d: %s", l, where)
	}
	return where
}

// kindsWith names the registered kinds that have a field called name.
func kindsWith(name string) []string {
	var in []string
	for _, k := range providers.Kinds() {
		if _, ok := k.Field(name); ok {
			in = append(in, k.Name)
		}
	}
	return in
}

// suggest is "; did you mean X?" for the known account field (every
// account's, or kind k's own) closest to name, when one is close.
func suggest(name string, k *providers.Kind) string {
	known := accountFields()
	if k != nil {
		known = append(known, k.FieldNames()...)
	}
	best, bestD := "", 3 // at most two edits away
	for _, f := range known {
		if d := editDistance(name, f); d < bestD {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// accountFields are the YAML names of the fields every account has.
func accountFields() []string {
	var out []string
	t := reflect.TypeFor[ProviderConfig]()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// validatePoll checks an account's status-polling settings.
func (p *ProviderConfig) validatePoll(where string, k *providers.Kind) errList {
	var errs errList
	if k.Receipts != providers.ReceiptsPoll {
		if p.PollRate != 0 || p.PollMaxAge != 0 {
			errs.add("%s: poll_rate and poll_max_age are for kinds whose statuses are polled (%s); kind %s %s",
				where, strings.Join(pollKinds(), ", "), p.Kind, receiptsWord(k.Receipts))
		}
		return errs
	}
	if p.PollRate < 0 || math.IsNaN(p.PollRate) || math.IsInf(p.PollRate, 0) {
		errs.add("%s: poll_rate %v: want a positive number of status requests per second, shared by every worker (default 10)", where, p.PollRate)
	}
	if p.PollMaxAge == Off {
		errs.add("%s: poll_max_age cannot be off: polling a message must end some time (default 24h)", where)
	}
	return errs
}

func receiptsWord(r providers.Receipts) string {
	if r == providers.ReceiptsPush {
		return "pushes its receipts (wabulk serve)"
	}
	return "has no receipts to poll"
}

// pollKinds names the registered kinds whose statuses are polled.
func pollKinds() []string {
	var out []string
	for _, k := range providers.Kinds() {
		if k.Receipts == providers.ReceiptsPoll {
			out = append(out, k.Name)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
