package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body the Graph API returns to a send: a success carries
// messages, a failure carries error. The decoding is lenient (see
// wire.OneOrMany, code, graphError): a field in an unexpected shape is
// dropped rather than failing the whole answer.
type answer struct {
	Messages wire.OneOrMany[sentMessage] `json:"messages"` // an array; a proxy may send an object
	Error    *graphError                 `json:"-"`        // set by parseAnswer from RawError
	RawError json.RawMessage             `json:"error"`
}

// sentMessage is one entry of "messages": {"id":"wamid...",
// "message_status":"accepted"} (message_status appears for templates).
type sentMessage struct {
	ID string `json:"id"`
}

// graphError is the Graph API error object:
//
//	{"error":{"message":"...","type":"OAuthException","code":190,"error_subcode":463,
//	  "error_data":{"messaging_product":"whatsapp","details":"..."},
//	  "error_user_title":"...","error_user_msg":"...","is_transient":false,"fbtrace_id":"..."}}
type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        code   `json:"code"`
	Subcode     code   `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	UserTitle   string `json:"error_user_title"`
	UserMsg     string `json:"error_user_msg"`
	Data        struct {
		Details string `json:"details"`
	} `json:"error_data"`
	FBTraceID string `json:"fbtrace_id"`
}

// readError reads "error": the documented object, or a bare string (a
// proxy's words) as its message. null, false, "" and {} are no error;
// other shapes are an error with no code, which the HTTP status then
// classifies.
func readError(raw json.RawMessage) *graphError {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "", "null", "false", `""`, "{}", "[]", "0":
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &graphError{Message: s}
	}
	var e graphError
	if json.Unmarshal(raw, &e) == nil {
		return &e
	}
	// error_data as a string, is_transient as a string...: keep what the
	// lenient fields allow.
	var loose struct {
		Message   string `json:"message"`
		Code      code   `json:"code"`
		FBTraceID string `json:"fbtrace_id"`
	}
	_ = json.Unmarshal(raw, &loose)
	return &graphError{Message: loose.Message, Code: loose.Code, FBTraceID: loose.FBTraceID}
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	if !wire.DecodeObject(b, &a) {
		return answer{}, false
	}
	a.Error = readError(a.RawError)
	return a, true
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

// words is the error's message, details and user message, distinct and
// joined with ": ", then its fbtrace_id for Meta support.
func (e *graphError) words() string {
	var out []string
	for _, w := range []string{e.Message, e.Data.Details, e.UserTitle, e.UserMsg} {
		w = strings.TrimSpace(w)
		if w == "" || containsFold(out, w) {
			continue
		}
		out = append(out, w)
	}
	s := strings.Join(out, ": ")
	if t := strings.TrimSpace(e.FBTraceID); t != "" {
		s += " (fbtrace_id " + t + ")"
	}
	return strings.TrimSpace(s)
}

func containsFold(list []string, s string) bool {
	for _, w := range list {
		if strings.EqualFold(w, s) {
			return true
		}
	}
	return false
}

// receipt reads the answer to POST /{PhoneNumberID}/messages.
func (c *Client) receipt(resp *providers.Response) (providers.Receipt, error) {
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 != 2 || a.Error != nil {
		return providers.Receipt{}, c.failure(resp, a)
	}
	if id := a.id(); id != "" {
		return providers.Receipt{ProviderMessageID: id, Status: message.Accepted}, nil
	}
	// A 2xx: Meta may well have sent it.
	return providers.Receipt{}, wire.NoMessageID(resp, ok, c.redactions...)
}

// failure turns an error answer (any status, or a 2xx whose body carries
// "error") into a *SendError classified by classify. a is resp.Body parsed
// (zero when it is not JSON).
func (c *Client) failure(resp *providers.Response, a answer) *providers.SendError {
	var e graphError
	if a.Error != nil {
		e = *a.Error
	}
	code := string(e.Code)
	if code == "" {
		code = strconv.Itoa(resp.Status)
	}
	// When the body is not JSON, or JSON without an error object, its
	// own text explains.
	text := wire.Explain(e.words(), resp.Body, resp.Status)
	class, reason := classify(string(e.Code), string(e.Subcode), resp.Status, e.IsTransient)
	if sub := string(e.Subcode); sub != "" {
		text = fmt.Sprintf("%s [subcode %s]", text, sub)
	}
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: retryAfter(resp.Header, time.Now()),
		// A 2xx that names an error and a message id is contradictory:
		// the message may have gone out.
		Ambiguous: a.id() != "",
		Message:   wire.Prose(text, c.redactions...),
	}
}

// retryAfter is the Retry-After header (seconds or an HTTP date; the Graph
// API does not document one, proxies and the simulator send it), else the
// longest estimated_time_to_regain_access (minutes) in the Graph API's
// X-Business-Use-Case-Usage header, else 0.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := providers.ParseRetryAfter(h.Get("Retry-After"), now); d > 0 {
		return d
	}
	raw := h.Get("X-Business-Use-Case-Usage")
	if raw == "" {
		return 0
	}
	var usage map[string][]struct {
		Regain json.Number `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(raw), &usage) != nil {
		return 0
	}
	var longest float64
	for _, uses := range usage {
		for _, u := range uses {
			if m, err := u.Regain.Float64(); err == nil && m > longest {
				longest = m
			}
		}
	}
	const maxMinutes = 7 * 24 * 60 // anything longer is not a rate limit we wait out
	if longest <= 0 || math.IsInf(longest, 0) {
		return 0
	}
	return time.Duration(min(longest, maxMinutes) * float64(time.Minute))
}

// code is a Graph code sent as a JSON number (131047) or string
// ("131047"). Whole numbers are normalised to their decimal form; anything
// else decodes as "".
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
		} else if f, err := v.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e15 {
			*c = code(strconv.FormatInt(int64(f), 10))
		}
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			*c = code(strconv.FormatInt(n, 10))
		} else {
			*c = code(s)
		}
	}
	return nil
}
