package decisiontelecom

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body DecisionTelecom returns: the send answer
// {"message_id":554}, the status answer {"message_id":554,"status":1}, or
// the error object {"name":"...","message":"...","code":7,"status":503}
// (which may come with HTTP 200 as well as with its own status). The
// decoding is lenient: numbers may come as strings, and a field in an
// unexpected shape is dropped rather than failing the whole answer.
type answer struct {
	MessageID number `json:"message_id"`
	// Status is the message status (0–7) in a status answer or a callback,
	// and an HTTP-like status in an error object.
	Status  number `json:"status"`
	Name    text   `json:"name"`
	Message text   `json:"message"`
	Code    number `json:"code"`
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	// The document prints its answers with a trailing comma.
	if !wire.IsObject(b) || wire.UnmarshalTrailingCommas(b, &a) != nil {
		return answer{}, false
	}
	return a, true
}

// failed reports whether the answer is the documented error object,
// whatever the HTTP status said: every documented error carries a name and
// a code, and no success answer carries either.
func (a *answer) failed() bool { return a.Name != "" || a.Code.set }

// id is the message id as wabulk keeps it (see messageID), or "" when the
// answer names none.
func (a *answer) id() string { return messageID(a.MessageID) }

// messageID is a message id as wabulk keeps it: a whole number (sent as a
// number or a string) in its decimal form, anything else as sent, trimmed
// ("0f8e2b4c-…", "554.5"). The document promises only a "unique random
// identifier", so the only ids refused ("") are a missing, null, empty or
// non-scalar one, and a number that is zero or negative: no identifier is
// that.
func messageID(v number) string {
	switch {
	case !v.set || v.raw == "":
		return ""
	case v.ok:
		if v.n <= 0 {
			return ""
		}
		return strconv.FormatInt(v.n, 10)
	}
	if f, err := strconv.ParseFloat(v.raw, 64); err == nil && f <= 0 {
		return "" // a zero or negative fraction, or a negative beyond int64
	}
	return v.raw
}

// isDecimal reports whether s is a positive whole number in canonical
// decimal digits (no sign, no leading zero), which JSON can carry as a
// number exactly as written.
func isDecimal(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// problem is an error answer reduced to what classification needs.
type problem struct {
	code    int64 // the document's error code (0–9)
	hasCode bool
	status  int    // the error object's status when it is an HTTP status, else the HTTP status
	name    string // "Invalid Parameter: destination_addr", ...
	text    string // name and message, for the error and for matching
}

// problem describes an error answer received with HTTP status httpStatus.
func (a *answer) problem(httpStatus int) problem {
	p := problem{status: httpStatus, name: string(a.Name)}
	if a.Status.ok && a.Status.n >= 100 && a.Status.n <= 599 {
		p.status = int(a.Status.n) // the document's "status" (its "4" for code 1 is not an HTTP status)
	}
	if a.Code.ok {
		p.code, p.hasCode = a.Code.n, true
	}
	p.text = wire.Join(string(a.Name), string(a.Message))
	return p
}

// codeString is SendError.Code: the document's code when it names one
// (1–9), else the status (code 0 is shared by "Too Many Requests" and the
// framework's generic errors such as Unauthorized, so the status says more).
func (p problem) codeString() string {
	if p.hasCode && (p.code != 0 || p.status < 300) {
		return strconv.FormatInt(p.code, 10)
	}
	return strconv.Itoa(p.status)
}

// receipt reads the answer to POST send-whatsapp.
func (c *Client) receipt(resp *providers.Response) (providers.Receipt, error) {
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 != 2 || a.failed() {
		return providers.Receipt{}, c.failure(resp, a)
	}
	if id := a.id(); id != "" {
		return providers.Receipt{ProviderMessageID: id, Status: message.Accepted}, nil
	}
	why := "answer carries no message_id"
	if !ok {
		why = "answer is not JSON"
	}
	// A 2xx: the message may well have gone out.
	return providers.Receipt{}, wire.Malformed(resp, why, true, c.redactions...)
}

// failure turns an error answer (any status, or a 2xx carrying the error
// object) into a *SendError classified by classify. a is resp.Body parsed
// (zero when it is not JSON).
func (c *Client) failure(resp *providers.Response, a answer) *providers.SendError {
	p := a.problem(resp.Status)
	if !a.failed() { // not the error object: the HTTP status is all there is
		p = problem{status: resp.Status}
	}
	words := wire.Explain(p.text, resp.Body, resp.Status)
	class, reason := classify(p)
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       p.codeString(),
		HTTPStatus: resp.Status,
		// DecisionTelecom documents no Retry-After; one sent anyway (a
		// proxy's, a future API's) is honoured.
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		// An error that also names a message id is contradictory: the
		// message may have gone out.
		Ambiguous: a.id() != "",
		Message:   wire.Prose(words, c.redactions...),
	}
}

// number is a JSON number or a string holding one. Whole numbers fill n;
// anything else (a word, a fraction) keeps only raw.
type number struct {
	set bool   // present and not null
	ok  bool   // a whole number, in n
	n   int64  //
	raw string // the string as sent (trimmed), or the number's text
}

func (v *number) UnmarshalJSON(b []byte) error {
	*v = number{}
	var x any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&x) != nil || x == nil {
		return nil
	}
	v.set = true
	switch x := x.(type) {
	case json.Number:
		v.raw = x.String()
		if n, err := x.Int64(); err == nil {
			v.n, v.ok = n, true
		} else if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			v.n, v.ok = int64(f), true
		}
	case string:
		*v = numberText(x)
	}
	return nil
}

// numberText is the number a string holds: raw is s trimmed, and n is
// filled when that is a whole number.
func numberText(s string) number {
	v := number{set: true, raw: strings.TrimSpace(s)}
	if n, err := strconv.ParseInt(v.raw, 10, 64); err == nil {
		v.n, v.ok = n, true
	}
	return v
}

// text is provider prose sent as a string or an array of strings; anything
// else decodes as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	*t = ""
	var one string
	if json.Unmarshal(b, &one) == nil {
		*t = text(strings.TrimSpace(one))
		return nil
	}
	var many []string
	if json.Unmarshal(b, &many) == nil {
		*t = text(wire.Join(many...))
	}
	return nil
}
