package taqnyat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// DefaultBaseURL is the document's API base ("Base URL").
const DefaultBaseURL = "https://api.taqnyat.sa/wa/v1/"

// Config is one Taqnyat WhatsApp account.
type Config struct {
	// BaseURL defaults to https://api.taqnyat.sa/wa/v1/ (the document's
	// "Base URL"); requests go to BaseURL + "/messages/" and
	// "/provision/optin/". It may carry a path; it must not carry a query.
	BaseURL string
	// Token is the Bearer token from the Taqnyat account (Developer →
	// Application). Required; sent as "Authorization: Bearer <Token>" and
	// never shown in an error.
	Token string
	// HTTP configures the account's HTTP client.
	HTTP providers.HTTPConfig
}

// Client sends messages through one Taqnyat account. It is safe for
// concurrent use.
type Client struct {
	token      string
	messages   string // BaseURL + /messages/
	optin      string // BaseURL + /provision/optin/
	http       *http.Client
	redactions []string // the token as it may appear in provider text
	now        func() time.Time
}

var (
	_ providers.Provider       = (*Client)(nil)
	_ providers.CallbackParser = (*Client)(nil)
)

// New returns a Client for cfg. It fails when the token is missing or
// BaseURL is not an absolute http(s) URL.
func New(cfg Config) (*Client, error) {
	tok := strings.TrimSpace(cfg.Token)
	// A token pasted with its scheme ("Bearer abc") means the same token.
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	} else if strings.EqualFold(tok, "bearer") {
		tok = ""
	}
	if tok == "" {
		return nil, errors.New("taqnyat: Token is required")
	}
	if wire.HasControl(tok) {
		return nil, errors.New("taqnyat: Token contains control characters and cannot be sent as a header")
	}
	base, err := wire.BaseURL("BaseURL", cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("taqnyat: %w", err)
	}
	return &Client{
		token: tok,
		// The document writes both paths with a trailing slash.
		messages:   base.JoinPath("messages/").String(),
		optin:      base.JoinPath("provision", "optin/").String(),
		http:       providers.NewHTTPClient(cfg.HTTP),
		redactions: []string{tok, url.QueryEscape(tok)},
		now:        time.Now,
	}, nil
}

// Send posts m to /messages/. On success the Receipt carries Taqnyat's
// message id, the key of its delivery reports; every failure is a
// *providers.SendError. An invalid m, or content Taqnyat cannot carry, is
// refused before any request is made.
func (c *Client) Send(ctx context.Context, m *message.Message) (providers.Receipt, error) {
	if err := wire.Check(m); err != nil {
		return providers.Receipt{}, err
	}
	req, err := c.request(m)
	if err != nil {
		return providers.Receipt{}, err
	}
	body, err := json.Marshal(req)
	if err != nil { // e.g. a NaN coordinate, which Validate lets through
		return providers.Receipt{}, wire.Invalid(err)
	}
	resp, err := c.do(ctx, http.MethodPost, c.messages, body)
	if err != nil {
		return providers.Receipt{}, err
	}
	return c.receipt(resp, message.WaID(m.To))
}

// maxOptInNumbers is how many numbers one opt-in request carries: the
// document's "To" constraint ("1 to 20 elements"), which the API it
// reproduces also puts on "numbers".
const maxOptInNumbers = 20

// OptIn records the opt-in of numbers (E.164, "+" and digits) with POST
// /provision/optin/, {"numbers": ["9665..."]}: international format without
// "+" or 00, as the document wants. More than 20 numbers go in several
// requests; opting in is idempotent, so after a failure the whole call may
// be repeated. A failure is a *providers.SendError (wrapped).
func (c *Client) OptIn(ctx context.Context, numbers ...string) error {
	return c.provision(ctx, http.MethodPost, "opt in", numbers)
}

// OptOut records the opt-out of numbers (E.164) with DELETE
// /provision/optin/ and the same body as OptIn.
func (c *Client) OptOut(ctx context.Context, numbers ...string) error {
	return c.provision(ctx, http.MethodDelete, "opt out", numbers)
}

func (c *Client) provision(ctx context.Context, method, what string, numbers []string) error {
	if len(numbers) == 0 {
		return fmt.Errorf("%s: %w", what, &providers.SendError{Class: providers.Permanent,
			Reason: providers.ReasonUnsupported, Message: "no numbers given"})
	}
	msisdns := make([]string, 0, len(numbers))
	for _, n := range numbers {
		if !message.IsE164(n) {
			return fmt.Errorf("%s: %w", what, &providers.SendError{Class: providers.Permanent,
				Reason: providers.ReasonInvalidRecipient, Message: fmt.Sprintf("number %q is not in E.164 form", n)})
		}
		msisdns = append(msisdns, message.WaID(n))
	}
	done := 0
	for len(msisdns) > 0 {
		chunk := msisdns[:min(maxOptInNumbers, len(msisdns))]
		msisdns = msisdns[len(chunk):]
		body, err := json.Marshal(provisionRequest{Numbers: chunk})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		resp, err := c.do(ctx, method, c.optin, body)
		if err == nil {
			err = c.provisioned(resp)
		}
		if err != nil {
			if done > 0 {
				return fmt.Errorf("%s (after %d of %d numbers were recorded): %w", what, done, len(numbers), err)
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		done += len(chunk)
	}
	return nil
}

// provisionRequest is the body of POST and DELETE /provision/optin/.
type provisionRequest struct {
	Numbers []string `json:"numbers"`
}

// do sends body to u with the account's credentials. A failure to get an
// answer is a *providers.SendError from providers.Do, which never quotes
// request headers or bodies.
func (c *Client) do(ctx context.Context, method, u string, body []byte) (*providers.Response, error) {
	req, err := wire.JSONRequest(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return providers.Do(c.http, req)
}
