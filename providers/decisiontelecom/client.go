package decisiontelecom

import (
	"bytes"
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
	if strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, errors.New("decisiontelecom: APIKey contains control characters")
	}
	source := strings.TrimSpace(cfg.Source)
	if source == "" {
		return nil, errors.New("decisiontelecom: Source (source_addr) is required")
	}
	if n := utf8.RuneCountInString(source); n > MaxSourceLen {
		return nil, fmt.Errorf("decisiontelecom: Source %q is %d characters, source_addr allows %d", source, n, MaxSourceLen)
	}
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("decisiontelecom: BaseURL: %w", scrub(err))
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("decisiontelecom: BaseURL %q must be an absolute http or https URL", base.Redacted())
	}
	if base.RawQuery != "" || base.Fragment != "" {
		// Not quoted: a query is where a misplaced credential would be.
		return nil, errors.New("decisiontelecom: BaseURL must not carry a query or fragment")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	callback := strings.TrimSpace(cfg.CallbackURL)
	if callback != "" {
		u, err := url.Parse(callback)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("decisiontelecom: CallbackURL must be an absolute http or https URL")
		}
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
	if m == nil {
		return providers.Receipt{}, invalid(errors.New("message is nil"))
	}
	if err := m.Validate(); err != nil {
		return providers.Receipt{}, invalid(err)
	}
	req, err := c.request(m)
	if err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return providers.Receipt{}, invalid(err)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, &providers.SendError{Class: providers.Transient, Message: "building the request", Err: scrub(err)}
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return providers.Do(c.http, req)
}

// invalid is the error for a message that cannot be sent as it stands.
func invalid(err error) *providers.SendError {
	return &providers.SendError{
		Class:   providers.Permanent,
		Reason:  providers.ReasonUnsupported,
		Message: "invalid message, not sent",
		Err:     err,
	}
}

// unsupported is the error for content DecisionTelecom cannot carry.
func unsupported(why string) *providers.SendError {
	return &providers.SendError{Class: providers.Permanent, Reason: providers.ReasonUnsupported, Message: why}
}

// scrub drops the URL from a *url.Error (it may carry a credential).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// prose is provider text fit for an error: redacted, then cut to one
// short line (in that order, so a cut never leaves half a key behind).
func (c *Client) prose(s string) string {
	return providers.Snippet([]byte(providers.Redact(s, c.redactions...)))
}
