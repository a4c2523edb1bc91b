package socnet

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

// DefaultURL is the one URL the Socnet document says every request goes to.
const DefaultURL = "https://www.socnetsolutions.com/projects/bulk/whatsapp/api.php"

// Config is one Socnet account.
type Config struct {
	// URL defaults to the document's single request URL
	// (https://www.socnetsolutions.com/projects/bulk/whatsapp/api.php).
	// Requests go to it exactly as given: it is the endpoint, not a base.
	URL string
	// APIKey is the account's 32-byte API key, sent in the JSON body as
	// api_key. Required; it never appears in an error.
	APIKey string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends messages through one Socnet account. It is safe for
// concurrent use.
type Client struct {
	apiKey     string
	url        string
	http       *http.Client
	redactions []string // the key as it may appear in provider text
}

var _ providers.Provider = (*Client)(nil)

// New returns a Client for cfg. It fails when the API key is missing or URL
// is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		return nil, errors.New("socnet: APIKey is required")
	}
	u, err := wire.BaseURL("URL", cfg.URL, DefaultURL)
	if err != nil {
		return nil, fmt.Errorf("socnet: %w", err)
	}
	// The key travels inside a JSON string: a provider that echoes the
	// request may show it escaped.
	quoted, _ := json.Marshal(key)
	return &Client{
		apiKey:     key,
		url:        u.String(),
		http:       providers.NewHTTPClient(cfg.HTTP),
		redactions: []string{key, string(quoted[1 : len(quoted)-1]), url.QueryEscape(key)},
	}, nil
}

// Send posts m to the Socnet URL. On success the Receipt carries Socnet's
// message id, with status sent when Socnet says the message went out
// ("sent":"true") and accepted when it passes on WhatsApp's acceptance
// (the "messages" shape, or the general success, which names no id: the
// receipt id is then "socnet:" + m.ID); every failure is a
// *providers.SendError. A message
// Socnet cannot carry, or one to a number outside Uganda, is refused before
// any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	if err := supported(&m.Content); err != nil {
		return providers.Receipt{}, err
	}
	msisdn, err := recipient(m.To)
	if err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(c.request(msisdn, &m.Content))
	if err != nil {
		return providers.Receipt{}, wire.Invalid(err)
	}
	resp, err := c.post(ctx, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp, m)
}

// post sends body to the account's URL. A failure to get an answer is a
// *providers.SendError from providers.Do, which never quotes the request
// body, where the API key is.
func (c *Client) post(ctx context.Context, body []byte) (*providers.Response, error) {
	req, err := wire.JSONRequest(ctx, http.MethodPost, c.url, body)
	if err != nil {
		return nil, err
	}
	return providers.Do(c.http, req)
}
