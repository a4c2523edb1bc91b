package socnet

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body Socnet returns to a send. The document shows four
// shapes, all read through this one struct:
//
//	channel 1:    {"sent":"true","from":"256701234567@c.us","message_type":"chat","messageId":"3EB0...","cost":"90"}
//	channel 2:    {"messaging_product":"whatsapp","contacts":[...],"messages":[{"id":"...","message_status":"accepted"}],"cost":0}
//	general:      {"message":"...","status":401}   (status an int or a string)
//	unregistered: {"status":"invalid"}
//
// The decoding is lenient: "status" is documented as "Int/ Str", "sent"
// and "cost" come as strings, ids may come as numbers, so they are read
// as wire.Scalar (whole numbers in decimal, 401.0 is "401"; booleans as
// "true" and "false"), and a field in an unexpected shape is dropped
// rather than failing the whole answer. JSON keys match
// case-insensitively, so the table's "Status" reads too.
type answer struct {
	Status    wire.Scalar                 `json:"status"`
	Message   wire.Texts                  `json:"message"`
	Sent      wire.Scalar                 `json:"sent"`
	MessageID wire.Scalar                 `json:"messageId"`
	Messages  wire.OneOrMany[sentMessage] `json:"messages"`
}

// sentMessage is one entry of channel 2's "messages" (documented as an
// array; a single object reads too).
type sentMessage struct {
	ID wire.Scalar `json:"id"`
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	if !wire.DecodeObject(b, &a) {
		return answer{}, false
	}
	return a, true
}

// general reports whether the answer is in the document's general response
// format (a "status" or a "message"): Socnet's API answered, not a web
// server in front of it.
func (a *answer) general() bool { return a.Status != "" || len(a.Message) > 0 }

// id is channel 1's messageId, else channel 2's first messages[].id, or "".
func (a *answer) id() string {
	if id := string(a.MessageID); id != "" {
		return id
	}
	for _, m := range a.Messages {
		if id := string(m.ID); id != "" {
			return id
		}
	}
	return ""
}

// failure reports whether a "status" value (lower-cased) names a failure,
// whatever else the answer says: the document's FAIL (1), a code of 300 or
// more (its 401, 403, 404, 422, 500, 503, and any like them), its
// unregistered "invalid", and the words "error", "false" and any starting
// with "fail". The document types status loosely ("Int/ Str", the
// "status/sent" of Response Data), so nothing else is read as a failure.
func failure(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n == 1 || n >= 300
	}
	return s == codeInvalid || s == "error" || s == "false" || strings.HasPrefix(s, "fail")
}

// success reports whether a "status" value (lower-cased) says a send
// succeeded: the document's OK (0), an HTTP-like 2xx, or a word a PHP API
// plausibly writes for it. "valid" is not among them: it answers
// Authentication, not a send.
func success(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n == 0 || (n >= 200 && n <= 299)
	}
	switch s {
	case "ok", "success", "sent", "true", "accepted":
		return true
	}
	return false
}

// errorCode is the failure the body describes, whatever the HTTP status: a
// failing "status" ("1", "401", "invalid", "failed", ...), or "not_sent"
// for channel 1's "sent":"false"; "" when the body names no failure.
func (a *answer) errorCode() string {
	if s := strings.ToLower(string(a.Status)); failure(s) {
		return s
	}
	if strings.EqualFold(string(a.Sent), "false") {
		return codeNotSent
	}
	return ""
}

// sent reports whether the answer says the message went out: channel 1's
// "sent":"true".
func (a *answer) sent() bool { return strings.EqualFold(string(a.Sent), "true") }

// Codes of our own for failures Socnet names with a word, not a number.
const (
	codeInvalid = "invalid"  // {"status":"invalid"}: not on WhatsApp
	codeNotSent = "not_sent" // channel 1 with "sent":"false"
)

// receipt reads the answer to the send of m.
func (c *Client) receipt(resp *providers.Response, m *message.Message) (providers.Receipt, error) {
	a, ok := parseAnswer(resp.Body)
	code := a.errorCode()
	if code == "" && resp.Status/100 != 2 {
		code = strconv.Itoa(resp.Status)
	}
	if code != "" {
		return providers.Receipt{}, c.failure(resp, a, ok, code)
	}
	// Channel 1 says the message went out; channel 2 and the general
	// success pass on an acceptance. Socnet sends no callbacks, so this is
	// the last word either way.
	st := message.Accepted
	if a.sent() {
		st = message.Sent
	}
	if id := a.id(); id != "" {
		// Any "status" beside an id that is not a failure (0, 2xx,
		// "submitted", "queued", ...) is a success: the id says Socnet
		// took the message.
		return providers.Receipt{ProviderMessageID: id, Status: st}, nil
	}
	if a.sent() || success(strings.ToLower(string(a.Status))) {
		// The general success {"message":"... submitted
		// successfully.","status":0} names no message. No callback will
		// ever need Socnet's id to find the record, so the receipt keys
		// on ours.
		return providers.Receipt{ProviderMessageID: idPrefix + m.ID, Status: st}, nil
	}
	// A 2xx: Socnet may well have sent it.
	return providers.Receipt{}, wire.NoMessageID(resp, ok, c.redactions...)
}

// idPrefix marks a receipt id made from our own message id, for a success
// that names no Socnet id ("socnet:camp-1:+256701234567").
const idPrefix = "socnet:"

// failure turns an error answer into a *SendError classified by classify.
// a is resp.Body parsed (zero, ok false, when it is not JSON); code is the
// body's failure code, else the HTTP status.
func (c *Client) failure(resp *providers.Response, a answer, ok bool, code string) *providers.SendError {
	text := wire.Join(a.Message...)
	if text == "" && !ok {
		text = string(resp.Body) // an HTML error page, a proxy's plain text
	}
	if text == "" {
		text = describe(code)
	}
	class, reason := classify(code, resp.Status, text, ok && a.general())
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		// An answer that names a failure and a message id is
		// contradictory: the message may have gone out.
		Ambiguous: a.id() != "",
		Message:   wire.Prose(text, c.redactions...),
	}
}

// describe is the document's description of a code, for answers that give
// no words of their own.
func describe(code string) string {
	switch code {
	case "1":
		return "FAIL: the operation was not successful"
	case "401":
		return "invalid user credentials"
	case "403":
		return "insufficient credit on account"
	case codeInvalid:
		return "the number is not registered on WhatsApp"
	case codeNotSent:
		return `socnet answered "sent": "false"`
	}
	if n, err := strconv.Atoi(code); err == nil {
		if s := http.StatusText(n); s != "" {
			return s
		}
	}
	return "no reason given"
}
