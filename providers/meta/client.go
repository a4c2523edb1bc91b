package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// DefaultBaseURL is the Graph API version this adapter speaks.
const DefaultBaseURL = "https://graph.facebook.com/v21.0"

// Config is one WhatsApp business phone number on the Cloud API.
type Config struct {
	// BaseURL defaults to https://graph.facebook.com/v21.0 (the Graph API
	// version is part of it); sends go to BaseURL + "/" + PhoneNumberID +
	// "/messages".
	BaseURL string
	// Token is the access token (a system-user token in production), sent
	// as "Authorization: Bearer <Token>". Required; it never appears in an
	// error.
	Token string
	// PhoneNumberID is the Graph id of the sending business phone number
	// (not the phone number itself). Required.
	PhoneNumberID string
	// AppSecret is the Meta app's secret. Optional for sending; when set,
	// ParseCallback refuses bodies whose X-Hub-Signature-256 does not match
	// (see VerifySignature), and the Client authenticates its webhook for
	// the receiver (AuthenticateCallback). It never appears in an error.
	AppSecret string
	// VerifyToken answers Meta's GET handshake (hub.mode=subscribe,
	// hub.verify_token, hub.challenge) made when the webhook is configured
	// (CallbackHandshake, see VerifyChallenge). Without it every handshake
	// is refused. It authenticates nothing else and never appears in an
	// error.
	VerifyToken string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends messages from one business phone number and reads the
// webhooks of its WhatsApp Business Account. It is safe for concurrent use.
type Client struct {
	token       string
	appSecret   string
	verifyToken string
	messages    string // BaseURL + /{PhoneNumberID}/messages
	http        *http.Client
	redactions  []string // the secrets as they may appear in provider text
}

var (
	_ providers.Provider              = (*Client)(nil)
	_ providers.CallbackParser        = (*Client)(nil)
	_ providers.CallbackAuthenticator = (*Client)(nil)
	_ providers.CallbackHandshaker    = (*Client)(nil)
)

// New returns a Client for cfg. It fails when the token or phone number id
// is missing, or BaseURL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	token := strings.TrimSpace(cfg.Token)
	if token == "" {
		return nil, errors.New("meta: Token is required")
	}
	if hasControl(token) {
		return nil, errors.New("meta: Token contains control characters and cannot be sent as a header")
	}
	id := strings.TrimSpace(cfg.PhoneNumberID)
	if id == "" {
		return nil, errors.New("meta: PhoneNumberID is required (the Graph id of the business phone number)")
	}
	if hasControl(id) || strings.ContainsAny(id, "/?#% ") {
		return nil, errors.New("meta: PhoneNumberID must be a single path segment (the numeric Graph id)")
	}
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, whose query may hold a token
		}
		return nil, fmt.Errorf("meta: BaseURL is not a URL: %w", err)
	}
	// The query may hold an access_token: the error names only the rest.
	shown := (&url.URL{Scheme: base.Scheme, Host: base.Host, Path: base.Path}).String()
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("meta: BaseURL %q must be an absolute http or https URL", shown)
	}
	if base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("meta: BaseURL %q must not carry credentials, a query or a fragment", shown)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	secret := strings.TrimSpace(cfg.AppSecret)
	red := []string{token, url.QueryEscape(token)}
	if secret != "" {
		red = append(red, secret, url.QueryEscape(secret))
	}
	return &Client{
		token:       token,
		appSecret:   secret,
		verifyToken: cfg.VerifyToken,
		messages:    base.JoinPath(id, "messages").String(),
		http:        providers.NewHTTPClient(cfg.HTTP),
		redactions:  red,
	}, nil
}

// Send posts m to /{PhoneNumberID}/messages. On success the Receipt
// carries the WhatsApp message id ("wamid..."); every failure is a
// *providers.SendError. An invalid m is refused before any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if m == nil {
		return providers.Receipt{}, invalid(errors.New("message is nil"))
	}
	if err := m.Validate(); err != nil {
		return providers.Receipt{}, invalid(err)
	}
	body, err := json.Marshal(buildRequest(m))
	if err != nil { // e.g. a NaN coordinate, which Validate lets through
		return providers.Receipt{}, invalid(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.messages, bytes.NewReader(body))
	if err != nil {
		return providers.Receipt{}, &providers.SendError{Class: providers.Transient, Message: "building the request", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// providers.Do never quotes request headers (where the token is).
	resp, err := providers.Do(c.http, req)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp)
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

// prose is provider text fit for an error: redacted, then cut to one short
// line (in that order, so a cut never leaves half a secret behind).
func (c *Client) prose(s string) string {
	return providers.Snippet([]byte(providers.Redact(s, c.redactions...)))
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
