package decisiontelecom

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// DefaultBaseURL is where DecisionTelecom serves its API.
const DefaultBaseURL = "https://web.it-decision.com/v1/api"

// MaxSourceLen is the document's limit on source_addr ("<= 20 chars").
const MaxSourceLen = 20

// Config is one DecisionTelecom account and sender.
type Config struct {
	// BaseURL defaults to https://web.it-decision.com/v1/api; sends go to
	// BaseURL + "/send-whatsapp", status polls to BaseURL + "/receive-whatsapp".
	BaseURL string
	// APIKey is the "User Hash Key" (required). It travels as HTTP Basic
	// auth exactly as the document's CURLOPT_USERPWD sends it:
	// "Authorization: Basic " + base64(key + ":") — the key is the user name
	// and the password is empty; a key that itself holds a colon is split
	// there by curl, so it goes as base64(key). It never appears in an error.
	APIKey string
	// Source is source_addr, the sender name or number (required, at most
	// 20 characters).
	Source string
	// CallbackURL, when set, is sent as callback_url with every message:
	// DecisionTelecom posts status changes there (see ParseCallback).
	CallbackURL string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends messages through one DecisionTelecom account. It is safe for
// concurrent use.
type Client struct {
	auth       string // the Authorization header value
	source     string
	callback   string
	sendURL    string // BaseURL + /send-whatsapp
	pollURL    string // BaseURL + /receive-whatsapp
	http       *http.Client
	redactions []string // the key in every form it may take in provider text
}

var (
	_ providers.Provider       = (*Client)(nil)
	_ providers.StatusPoller   = (*Client)(nil)
	_ providers.CallbackParser = (*Client)(nil)
)

// New returns a Client for cfg. It fails when the API key or the source is
// missing, the source is longer than 20 characters, or BaseURL or
// CallbackURL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("decisiontelecom: APIKey is required")
	}
	if wire.HasControl(key) {
		return nil, errors.New("decisiontelecom: APIKey contains control characters")
	}
	source := strings.TrimSpace(cfg.Source)
	if source == "" {
		return nil, errors.New("decisiontelecom: Source (source_addr) is required")
	}
	if n := utf8.RuneCountInString(source); n > MaxSourceLen {
		return nil, fmt.Errorf("decisiontelecom: Source %q is %d characters, source_addr allows %d", source, n, MaxSourceLen)
	}
	base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("decisiontelecom: %w", err)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	callback := strings.TrimSpace(cfg.CallbackURL)
	if callback != "" && !wire.IsHTTPURL(callback) {
		return nil, errors.New("decisiontelecom: CallbackURL must be an absolute http or https URL")
	}
	userpwd := key
	if !strings.Contains(key, ":") {
		userpwd += ":" // curl: a user name without a colon gets an empty password
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(userpwd))
	return &Client{
		auth:     "Basic " + b64,
		source:   source,
		callback: callback,
		sendURL:  base.JoinPath("send-whatsapp").String(),
		pollURL:  base.JoinPath("receive-whatsapp").String(),
		http:     providers.NewHTTPClient(cfg.HTTP),
		redactions: []string{
			key, url.QueryEscape(key), b64,
			base64.StdEncoding.EncodeToString([]byte(key)), // the official SDKs' form
			strings.TrimRight(b64, "="),
		},
	}, nil
}

// Send posts m to send-whatsapp. On success the Receipt carries
// DecisionTelecom's message id as a decimal string ("554"); every failure
// is a *providers.SendError. A message DecisionTelecom cannot carry, or an
// invalid one, is refused before any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	req, err := c.request(m)
	if err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return providers.Receipt{}, wire.Invalid(err)
	}
	resp, err := c.post(ctx, c.sendURL, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp)
}

// post sends body to u with the account's credentials. A failure to get an
// answer is a *providers.SendError from providers.Do, which never quotes
// request headers or bodies.
func (c *Client) post(ctx context.Context, u string, body []byte) (*providers.Response, error) {
	req, err := wire.JSONRequest(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	return providers.Do(c.http, req)
}
