package meta

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
	if wire.HasControl(token) {
		return nil, errors.New("meta: Token contains control characters and cannot be sent as a header")
	}
	id := strings.TrimSpace(cfg.PhoneNumberID)
	if id == "" {
		return nil, errors.New("meta: PhoneNumberID is required (the Graph id of the business phone number)")
	}
	if wire.HasControl(id) || strings.ContainsAny(id, "/?#% ") {
		return nil, errors.New("meta: PhoneNumberID must be a single path segment (the numeric Graph id)")
	}
	// The query may hold an access_token: the errors never show it.
	base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if base.User != nil {
		return nil, fmt.Errorf("meta: BaseURL %q must not carry credentials", wire.Shown(base))
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
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(buildRequest(m))
	if err != nil { // e.g. a NaN coordinate, which Validate lets through
		return providers.Receipt{}, wire.Invalid(err)
	}
	req, err := wire.JSONRequest(ctx, http.MethodPost, c.messages, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	// providers.Do never quotes request headers (where the token is).
	resp, err := providers.Do(c.http, req)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp)
}
