package tujenge

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// answer is any body Tujenge returns: a success carries messages, an
// on-premises error carries errors, a gateway error carries meta.success =
// false. The decoding is lenient (see oneOrMany, code, texts): a field in an
// unexpected shape is dropped rather than failing the whole answer.
type answer struct {
	Messages oneOrMany[sentMessage] `json:"messages"`
	Errors   oneOrMany[apiError]    `json:"errors"`
	Meta     *meta                  `json:"meta"`
}

type sentMessage struct {
	ID string `json:"id"`
}

// apiError is the on-premises shape:
// {"errors":[{"code":470,"title":"...","details":"..."}],"meta":{...}}.
type apiError struct {
	Code    code  `json:"code"`
	Title   texts `json:"title"`
	Details texts `json:"details"`
}

// meta is the on-premises API's meta ({"api_status":..., "version":...}) or
// the gateway's error envelope:
// {"meta":{"success":false,"http_code":400,"developer_message":"...","details":["..."]}}.
type meta struct {
	Success          *bool `json:"success"`
	HTTPCode         code  `json:"http_code"`
	DeveloperMessage texts `json:"developer_message"`
	Details          texts `json:"details"`
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return answer{}, false
	}
	if err := json.Unmarshal(b, &a); err != nil {
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
	return code, join(words)
}

// join joins the non-empty, distinct words with ": ".
func join(words []string) string {
	var out []string
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || (len(out) > 0 && out[len(out)-1] == w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, ": ")
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
	why := "answer carries no message id"
	if !ok {
		why = "answer is not JSON"
	}
	if s := c.prose(string(resp.Body)); s != "" {
		why += ": " + s
	}
	return providers.Receipt{}, &providers.SendError{
		Class:      providers.Transient,
		Reason:     providers.ReasonMalformed,
		Code:       strconv.Itoa(resp.Status),
		HTTPStatus: resp.Status,
		Ambiguous:  true, // a 2xx: Tujenge may well have sent it
		Message:    why,
	}
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
	if text == "" { // not JSON, or JSON in neither documented shape
		text = string(resp.Body)
	}
	if text == "" {
		text = http.StatusText(resp.Status)
	}
	if text == "" {
		text = "no reason given"
	}
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

// oneOrMany decodes a JSON array of T or a single T (Tujenge's
// "messages" is documented as an array; some gateways send an object).
// Anything else decodes as empty.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var many []T
	if bytes.HasPrefix(b, []byte("[")) && json.Unmarshal(b, &many) == nil {
		*o = many
		return nil
	}
	var one T
	if bytes.HasPrefix(b, []byte("{")) && json.Unmarshal(b, &one) == nil {
		*o = oneOrMany[T]{one}
		return nil
	}
	*o = nil
	return nil
}

// code is a provider code sent as a JSON number (470) or string ("470").
// Whole numbers are normalised to their decimal form; anything else decodes
// as "".
type code string

func (c *code) UnmarshalJSON(b []byte) error {
	*c = ""
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			*c = code(strconv.FormatInt(n, 10))
		} else if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
			*c = code(strconv.FormatInt(int64(f), 10))
		} else {
			*c = code(v.String())
		}
	case string:
		*c = code(strings.TrimSpace(v))
	}
	return nil
}

// texts is provider prose sent as a string or an array of strings.
type texts []string

func (t *texts) UnmarshalJSON(b []byte) error {
	*t = nil
	var one string
	if json.Unmarshal(b, &one) == nil {
		if one != "" {
			*t = texts{one}
		}
		return nil
	}
	var many []string
	if json.Unmarshal(b, &many) == nil {
		*t = many
	}
	return nil
}
