package tujenge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// DefaultBaseURL is where Tujenge serves its API.
const DefaultBaseURL = "https://waba.tujenge.io"

// Config is one Tujenge account. Every API key is bound to exactly one
// sender phone number, so one Config is one sender.
type Config struct {
	// BaseURL defaults to https://waba.tujenge.io. It may carry a base path
	// (Tujenge lets customers set one): requests go to BaseURL + "/v1/messages".
	BaseURL string
	// APIKey is required; it is sent as the WA-API-KEY header and never
	// appears in an error.
	APIKey string
	// Namespace is the template namespace sent with template messages.
	// Optional; a message's Template.Namespace wins over it.
	Namespace string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends messages through one Tujenge account. It is safe for
// concurrent use.
type Client struct {
	apiKey     string
	namespace  string
	messages   string // BaseURL + /v1/messages
	webhook    string // BaseURL + /v1/configs/webhook
	http       *http.Client
	redactions []string // the key as it may appear in provider text
}

var _ providers.Provider = (*Client)(nil)

// New returns a Client for cfg. It fails when the API key is missing or
// BaseURL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("tujenge: APIKey is required")
	}
	if wire.HasControl(key) {
		return nil, errors.New("tujenge: APIKey contains control characters and cannot be sent as a header")
	}
	base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("tujenge: %w", err)
	}
	// The document's examples put /v1 after the host; a base_url that
	// already ends in /v1 means the same API, not /v1/v1.
	base.Path = strings.TrimSuffix(strings.TrimRight(base.Path, "/"), "/v1")
	return &Client{
		apiKey:     key,
		namespace:  strings.TrimSpace(cfg.Namespace),
		messages:   base.JoinPath("v1", "messages").String(),
		webhook:    base.JoinPath("v1", "configs", "webhook").String(),
		http:       providers.NewHTTPClient(cfg.HTTP),
		redactions: []string{key, url.QueryEscape(key)},
	}, nil
}

// Send posts m to /v1/messages. On success the Receipt carries the
// WhatsApp message id ("gBEG..."); every failure is a *providers.SendError.
// An invalid m is refused before any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(c.request(m))
	if err != nil { // e.g. a NaN coordinate, which Validate lets through
		return providers.Receipt{}, wire.Invalid(err)
	}
	resp, err := c.post(ctx, c.messages, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp)
}

// SetWebhook points Tujenge's notifications (inbound messages and status
// callbacks) at webhookURL. headers, when given, are sent with every callback,
// e.g. an Authorization header the webhook receiver checks; their values
// are treated as secrets. A failure is a *providers.SendError.
func (c *Client) SetWebhook(ctx context.Context, webhookURL string, headers map[string]string) error {
	if !wire.IsHTTPURL(webhookURL) {
		return fmt.Errorf("set webhook: %w", &providers.SendError{Class: providers.Permanent,
			Message: "the webhook url must be an absolute http or https URL"})
	}
	body, err := json.Marshal(webhookConfig{URL: webhookURL, Headers: headers})
	if err != nil {
		return fmt.Errorf("set webhook: %w", err)
	}
	secrets := make([]string, 0, len(headers))
	for _, v := range headers {
		secrets = append(secrets, v)
	}
	resp, err := c.post(ctx, c.webhook, body)
	if err != nil {
		return fmt.Errorf("set webhook: %w", err)
	}
	a, _ := parseAnswer(resp.Body) // the 2xx echoes the configuration; nothing in it is needed
	if resp.Status/100 == 2 && !a.failed() {
		return nil
	}
	return fmt.Errorf("set webhook: %w", c.failure(resp, a, secrets...))
}

// webhookConfig is the body of POST /v1/configs/webhook.
type webhookConfig struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

// post sends body to u with the account's credentials. A failure to get an
// answer is a *providers.SendError from providers.Do, which never quotes
// request headers or bodies, where the secrets are.
func (c *Client) post(ctx context.Context, u string, body []byte) (*providers.Response, error) {
	req, err := wire.JSONRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	// The documented spelling; Go would canonicalise Set to Wa-Api-Key.
	req.Header["WA-API-KEY"] = []string{c.apiKey}
	return providers.Do(c.http, req)
}

// prose is provider text fit for an error (see wire.Prose): the key
// redacted first, then secrets (a webhook's header values).
func (c *Client) prose(s string, secrets ...string) string {
	return wire.Prose(providers.Redact(s, c.redactions...), secrets...)
}
