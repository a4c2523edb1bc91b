package tujenge

import (
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body Tujenge returns: a success carries messages, an
// on-premises error carries errors, a gateway error carries meta.success =
// false. The decoding is lenient (see wire.OneOrMany, wire.String,
// wire.Texts): a field in an unexpected shape is dropped rather than
// failing the whole answer.
type answer struct {
	Messages wire.OneOrMany[sentMessage] `json:"messages"`
	Errors   wire.OneOrMany[apiError]    `json:"errors"`
	Meta     *meta                       `json:"meta"`
}

type sentMessage struct {
	ID string `json:"id"`
}

// apiError is the on-premises shape:
// {"errors":[{"code":470,"title":"...","details":"..."}],"meta":{...}}.
type apiError struct {
	Code    wire.String `json:"code"` // 470 or "470"
	Title   wire.Texts  `json:"title"`
	Details wire.Texts  `json:"details"`
}

// meta is the on-premises API's meta ({"api_status":..., "version":...}) or
// the gateway's error envelope:
// {"meta":{"success":false,"http_code":400,"developer_message":"...","details":["..."]}}.
type meta struct {
	Success          *bool       `json:"success"`
	HTTPCode         wire.String `json:"http_code"`
	DeveloperMessage wire.Texts  `json:"developer_message"`
	Details          wire.Texts  `json:"details"`
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	if !wire.DecodeObject(b, &a) {
		return answer{}, false
	}
	return a, true
}

// failed reports whether the answer describes an error, whatever the HTTP
// status said.
func (a *answer) failed() bool {
	if len(a.Errors) > 0 {
		return true
	}
	if m := a.Meta; m != nil {
		if m.Success != nil && !*m.Success {
			return true
		}
		if n, _ := strconv.Atoi(string(m.HTTPCode)); n >= 400 {
			return true
		}
	}
	return false
}

// id is the first message id, or "".
func (a *answer) id() string {
	for _, m := range a.Messages {
		if id := strings.TrimSpace(m.ID); id != "" {
			return id
		}
	}
	return ""
}

// describe returns the provider's code (errors[0].code, else meta.http_code,
// else "") and its words (title and details, else developer_message and
// details).
func (a *answer) describe() (code, text string) {
	var words []string
	if len(a.Errors) > 0 {
		e := a.Errors[0]
		code = string(e.Code)
		words = append(words, e.Title...)
		words = append(words, e.Details...)
	}
	if m := a.Meta; m != nil {
		if code == "" {
			code = string(m.HTTPCode)
		}
		if len(words) == 0 {
			words = append(words, m.DeveloperMessage...)
			words = append(words, m.Details...)
		}
	}
	return code, wire.Join(words...)
}

// receipt reads the answer to POST /v1/messages.
func (c *Client) receipt(resp *providers.Response) (providers.Receipt, error) {
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 != 2 || a.failed() {
		return providers.Receipt{}, c.failure(resp, a)
	}
	if id := a.id(); id != "" {
		return providers.Receipt{ProviderMessageID: id, Status: message.Accepted}, nil
	}
	// A 2xx: Tujenge may well have sent it.
	return providers.Receipt{}, wire.NoMessageID(resp, ok, c.redactions...)
}

// failure turns an error answer (any status, or a 2xx whose body carries
// errors) into a *SendError classified by classify. a is resp.Body parsed
// (zero when it is not JSON). secrets are redacted from the provider's
// words along with the API key.
func (c *Client) failure(resp *providers.Response, a answer, secrets ...string) *providers.SendError {
	code, text := a.describe()
	if code == "" {
		code = strconv.Itoa(resp.Status)
	}
	// When the body is not JSON, or JSON in neither documented shape,
	// its own text explains.
	text = wire.Explain(text, resp.Body, resp.Status)
	class, reason := classify(code, resp.Status, text)
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		// A 2xx that names an error and a message id is contradictory:
		// the message may have gone out.
		Ambiguous: a.id() != "",
		Message:   c.prose(text, secrets...),
	}
}
