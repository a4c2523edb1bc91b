package providers

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A Kind is one provider kind (one wire format): everything the rest of
// wabulk needs to know of it besides its adapter's code. Each adapter
// declares its kind once, in its folder's kind.go, and registers it from
// init, the way database/sql drivers register:
//
//	func init() { providers.Register(Kind) }
//
// The binary imports the adapters it carries (cmd/wabulk) and nothing else
// imports an adapter: the config, serve, the demo and the load tests find
// the kinds here. Adding a provider is its folder plus that one entry.
type Kind struct {
	// Name is the kind as the config writes it ("tujenge").
	Name string
	// Title is the provider's name for help and docs.
	Title string
	// Fields are the account fields this kind reads beyond the ones every
	// account has (name, kind, base_url, rates, webhook authentication), in
	// the order the docs list them.
	Fields []Field
	// BaseURL says what base_url means for this kind.
	BaseURL BaseURL
	// Receipts says how delivery receipts arrive.
	Receipts Receipts
	// Inbound is set for providers that deliver the contacts' inbound
	// messages to wabulk (a callback wabulk serve receives): wabulk then
	// sees each contact's 24-hour window open, and the kind's accounts
	// enforce it by default (DefaultWindow).
	Inbound bool
	// Webhook names the ways the provider can authenticate its callbacks,
	// the recommended first; empty for a provider that sends none.
	Webhook []WebhookAuth
	// SigningSecret is the field holding the secret the provider signs its
	// callbacks with, for kinds whose Webhook lists WebhookSigned
	// (meta: app_secret); HandshakeToken the one answering the provider's
	// subscription handshake, if it has one (meta: verify_token).
	SigningSecret, HandshakeToken string
	// Reach is the ISO 3166 region whose numbers the provider reaches
	// ("UG" for a Ugandan gateway); empty when it reaches any.
	Reach string
	// TextOnly is set for providers that carry free-form text and nothing
	// else (no templates, no media).
	TextOnly bool
	// OptInList is set for providers that keep an opt-in list of their own
	// (the adapter is an OptInRegistry), which wabulk optout keeps in step.
	OptInList bool
	// TemplateParams is the most body parameters a template message may
	// carry through this provider; 0 for no limit beyond WhatsApp's.
	TemplateParams int
	// New builds an adapter for account a. It fails, naming the field, when
	// a required setting is missing or malformed.
	New func(a AccountConfig) (Provider, error)
	// Simulated returns the account settings that point this kind at the
	// simulator serving its wire format at root (providers/simulator), and
	// the credential in the form the simulator is given it
	// (simulator.Config.APIKey).
	Simulated func(root string) (a AccountConfig, simulatorKey string)
}

// Field is one kind-specific account setting.
type Field struct {
	// Name is the config's key ("api_key").
	Name string
	// Secret fields are credentials: they never appear in logs, errors or
	// Redis, and may stay unset for commands that never call the provider.
	Secret bool
	// Required fields must be set (for Secret ones: by the commands that
	// call the provider).
	Required bool
	// Help says what the field is, in one line.
	Help string
}

// BaseURL says what an account's base_url is for a kind.
type BaseURL struct {
	// Default is used when base_url is not set.
	Default string
	// Means says which URL to write: the host, or the API root with its
	// path, with an example.
	Means string
	// Suffix is the path a base_url of this kind must end in, a trailing
	// slash aside (DecisionTelecom's "/v1/api"); "" for none.
	Suffix string
	// NotSuffixes are paths a base_url of this kind must not end in: part
	// of what the adapter appends itself (Tujenge's "/v1/messages"), which
	// a URL copied from a request would carry. (Paths the adapter strips
	// itself, such as Modica's /rest/gateway/messages, need no rule.)
	NotSuffixes []string
}

// Rule says in words what CheckForm checks ("" when nothing): "must end
// in /v1/api", "must not end in /v1/messages (...)".
func (b BaseURL) Rule() string {
	var parts []string
	if b.Suffix != "" {
		parts = append(parts, "must end in "+b.Suffix)
	}
	if len(b.NotSuffixes) > 0 {
		parts = append(parts, "must not end in "+strings.Join(b.NotSuffixes, " or ")+" (wabulk adds the endpoint's path itself)")
	}
	return strings.Join(parts, "; ")
}

// CheckForm checks the path of u, a base_url, against Suffix and
// NotSuffixes: a wrong one makes every request of the account miss the
// provider's API (404 on every send). The error says what form is
// expected ("must end in /v1/api"); the caller names the URL and the kind.
func (b BaseURL) CheckForm(u *url.URL) error {
	path := strings.TrimRight(u.Path, "/")
	if b.Suffix != "" && !strings.HasSuffix(path, strings.TrimRight(b.Suffix, "/")) {
		return fmt.Errorf("must end in %s", b.Suffix)
	}
	for _, not := range b.NotSuffixes {
		if strings.HasSuffix(path, strings.TrimRight(not, "/")) {
			return fmt.Errorf("must not end in %s (wabulk adds the endpoint's path itself)", not)
		}
	}
	return nil
}

// Receipts is how a provider tells wabulk what became of a message.
type Receipts string

const (
	// ReceiptsPush: the provider calls wabulk serve's /webhooks/{account}.
	ReceiptsPush Receipts = "push"
	// ReceiptsPoll: the provider pushes nothing; the worker asks it for each
	// accepted message's status (the adapter is a StatusPoller).
	ReceiptsPoll Receipts = "poll"
	// ReceiptsNone: the provider tells nothing after accepting a message.
	ReceiptsNone Receipts = "none"
)

// WebhookAuth is one way a provider can authenticate its callbacks.
type WebhookAuth string

// The ways; each is configured per account (examples/wabulk.yaml).
const (
	// WebhookSecretHeader: a header the provider sends with every callback
	// (webhook_secret_header + webhook_secret).
	WebhookSecretHeader WebhookAuth = "secret_header"
	// WebhookBasic: HTTP Basic credentials in the callback URL
	// (webhook_user + webhook_password).
	WebhookBasic WebhookAuth = "basic"
	// WebhookSigned: the provider signs each body and the adapter checks it
	// (a CallbackAuthenticator, e.g. Meta's X-Hub-Signature-256).
	WebhookSigned WebhookAuth = "signed"
	// WebhookPathToken: an unguessable token in the callback URL's path,
	// /webhooks/{account}/{token} (webhook_path_token), for providers that
	// can only be given a URL. Recommended where the URL travels with every
	// message (DecisionTelecom's callback_url): a token dedicated to the
	// endpoint reaches the provider each time, not a password.
	WebhookPathToken WebhookAuth = "path_token"
)

// AccountConfig is one provider account's settings as the config gives them.
type AccountConfig struct {
	// Name is the account's name in the config.
	Name string
	// BaseURL is the account's base_url; empty for the kind's default.
	BaseURL string
	// Settings holds the kind's Fields by name; absent or "" is unset.
	Settings map[string]string
	// HTTP configures the account's HTTP client.
	HTTP HTTPConfig
}

// Get returns a setting, "" when unset.
func (a AccountConfig) Get(field string) string { return a.Settings[field] }

// WebhookConfig says, in the config's words, how an account of this kind
// sets up way w of authenticating callbacks.
func (k *Kind) WebhookConfig(w WebhookAuth) string {
	switch w {
	case WebhookSecretHeader:
		return "webhook_secret_header + webhook_secret"
	case WebhookBasic:
		return "webhook_user + webhook_password"
	case WebhookPathToken:
		return "webhook_path_token"
	case WebhookSigned:
		if k.HandshakeToken != "" {
			return k.SigningSecret + " (+ " + k.HandshakeToken + " for the handshake)"
		}
		return k.SigningSecret
	}
	return string(w)
}

// FieldNames lists the names of a kind's fields, in order.
func (k *Kind) FieldNames() []string {
	out := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		out[i] = f.Name
	}
	return out
}

// Field returns the kind's field called name.
func (k *Kind) Field(name string) (Field, bool) {
	i := slices.IndexFunc(k.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return k.Fields[i], true
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]*Kind{}
)

// Register makes a kind known. It panics when the kind is incomplete or
// registered twice: both are programming errors found at start.
func Register(k Kind) {
	if k.Name == "" || k.New == nil || k.Simulated == nil {
		panic("providers: Register of a kind without Name, New or Simulated")
	}
	switch k.Receipts {
	case ReceiptsPush, ReceiptsPoll, ReceiptsNone:
	default:
		panic(fmt.Sprintf("providers: kind %s: Receipts %q is not push, poll or none", k.Name, k.Receipts))
	}
	if u, err := url.Parse(k.BaseURL.Default); err != nil || k.BaseURL.CheckForm(u) != nil {
		panic(fmt.Sprintf("providers: kind %s: BaseURL.Default %q breaks its own rule (%s)", k.Name, k.BaseURL.Default, k.BaseURL.Rule()))
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic("providers: kind " + k.Name + " registered twice")
	}
	kinds[k.Name] = &k
}

// LookupKind returns the registered kind called name.
func LookupKind(name string) (*Kind, error) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	if k, ok := kinds[name]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown provider kind %q (known: %s)", name, strings.Join(kindNamesLocked(), ", "))
}

// Kinds returns the registered kinds, sorted by name.
func Kinds() []*Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]*Kind, 0, len(kinds))
	for _, n := range kindNamesLocked() {
		out = append(out, kinds[n])
	}
	return out
}

// KindNames returns the registered kinds' names, sorted.
func KindNames() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	return kindNamesLocked()
}

func kindNamesLocked() []string {
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SimulatorKey is the credential the kinds' Simulated accounts carry.
const SimulatorKey = "sim-key-0123456789abcdef0123456789ab"
