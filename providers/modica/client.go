package modica

import (
	"context"
	"encoding/base64"
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

// DefaultBaseURL is where Modica serves its Mobile Gateway REST API.
const DefaultBaseURL = "https://api.modicagroup.com"

// messagesPath is the Mobile Gateway's send endpoint under BaseURL.
const messagesPath = "/rest/gateway/messages"

// Config is one Modica Mobile Gateway application (its REST API
// credentials). One Config is one account; Message.From picks the sender
// when the application has several (see doc.go).
type Config struct {
	// BaseURL defaults to https://api.modicagroup.com; requests go to
	// BaseURL + "/rest/gateway/messages". A BaseURL that already ends in
	// /rest/gateway or /rest/gateway/messages means the same endpoint.
	BaseURL string
	// Username is the Mobile Gateway application name (HTTP Basic). Required.
	Username string
	// Password is the application's password (HTTP Basic). Required; it
	// never appears in an error.
	Password string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends WhatsApp messages through one Modica Mobile Gateway
// application and reads its callbacks. It is safe for concurrent use.
type Client struct {
	username   string
	password   string
	messages   string // BaseURL + /rest/gateway/messages
	http       *http.Client
	redactions []string // the credential as it may appear in provider text
}

var (
	_ providers.Provider       = (*Client)(nil)
	_ providers.CallbackParser = (*Client)(nil)
)

// New returns a Client for cfg. It fails when a credential is missing or
// unusable in HTTP Basic, or BaseURL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	user, pass := strings.TrimSpace(cfg.Username), cfg.Password
	if user == "" {
		return nil, errors.New("modica: Username is required")
	}
	if strings.TrimSpace(pass) == "" {
		return nil, errors.New("modica: Password is required")
	}
	if strings.Contains(user, ":") {
		return nil, errors.New("modica: Username must not contain ':' (HTTP Basic cannot carry it)")
	}
	if wire.HasControl(user) || wire.HasControl(pass) {
		return nil, errors.New("modica: Username and Password must not contain control characters")
	}
	base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("modica: %w", err)
	}
	if base.User != nil {
		return nil, fmt.Errorf("modica: BaseURL %q must not carry credentials: use Username and Password", wire.Shown(base))
	}
	p := strings.TrimRight(base.Path, "/")
	p = strings.TrimSuffix(p, "/messages")
	if !strings.HasSuffix(p, "/rest/gateway") {
		p = strings.TrimRight(base.Path, "/") // "/messages" was the customer's own path
	}
	p = strings.TrimSuffix(p, "/rest/gateway")
	base.Path, base.RawPath = p+messagesPath, ""
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return &Client{
		username:   user,
		password:   pass,
		messages:   base.String(),
		http:       providers.NewHTTPClient(cfg.HTTP),
		redactions: []string{pass, url.QueryEscape(pass), url.PathEscape(pass), basic},
	}, nil
}

// Send posts m to /rest/gateway/messages. On success the Receipt carries
// the gateway's message id, the id its DLR callbacks name; every failure
// is a *providers.SendError. Content other than text, and an invalid m, are
// refused before any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	// Content Modica cannot carry is refused as such, before the message
	// is judged as a whole.
	if m != nil {
		if k := m.Content.Kind(); k != "" && k != message.KindText {
			return providers.Receipt{}, wire.Unsupported(fmt.Sprintf("%s messages are not supported by Modica", k))
		}
	}
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(newRequest(m))
	if err != nil {
		return providers.Receipt{}, wire.Invalid(err)
	}
	req, err := wire.JSONRequest(ctx, http.MethodPost, c.messages, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	req.SetBasicAuth(c.username, c.password)
	// providers.Do never quotes request headers, where the credential is.
	resp, err := providers.Do(c.http, req)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp)
}
