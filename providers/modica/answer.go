package modica

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body the gateway returns, decoded leniently: a success is
// the new message's id (documented as a bare array holding one number,
// [123], and read in the other shapes listed in doc.go); an error is a
// JSON object in one of the shapes listed in doc.go.
type answer struct {
	json bool   // the body is JSON at all
	obj  object // the body, when it is a JSON object
	id   string // the message id a success names, or ""
}

// parseAnswer decodes b; a body that is not JSON decodes as a zero answer.
func parseAnswer(b []byte) answer {
	v, ok := decodeJSON(b)
	if !ok {
		return answer{}
	}
	a := answer{json: true, id: idOf(v, 0)}
	if o, ok := v.(map[string]any); ok {
		a.obj = o
	}
	return a
}

// decodeJSON decodes one JSON value, numbers kept as json.Number.
func decodeJSON(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	if _, err := d.Token(); err == nil {
		return nil, false // trailing data: not one JSON value
	}
	return v, true
}

// idOf finds a message id in v: a number or string; the first element of
// an array that names one; an object's id (see objectID). depth guards
// against silly nesting.
func idOf(v any, depth int) string {
	if depth > 3 {
		return ""
	}
	switch v := v.(type) {
	case json.Number, string:
		return scalar(v)
	case []any:
		for _, e := range v {
			if id := idOf(e, depth+1); id != "" {
				return id
			}
		}
	case map[string]any:
		return objectID(v, depth)
	}
	return ""
}

// idMembers hold a message id as a number or string, in the order they
// are tried: the gateway's and the WhatsApp API's "id", then the spellings
// other APIs use.
var idMembers = []string{"id", "message_id", "messageId"}

// holderMembers hold the new message as an object, or the new messages as
// an array of objects: the Cloud API's "messages", a framework's "data".
var holderMembers = []string{"messages", "data"}

// objectID finds the message id an object names: one of idMembers, else
// the id of the first object under one of holderMembers. A scalar under a
// holder is not an id ({"data": "Created"} is prose).
func objectID(o object, depth int) string {
	if depth > 3 {
		return ""
	}
	for _, k := range idMembers {
		switch id := o.get(k).(type) {
		case json.Number, string:
			if s := scalar(id); s != "" {
				return s
			}
		}
	}
	for _, k := range holderMembers {
		var held []any
		switch h := o.get(k).(type) {
		case map[string]any:
			held = []any{h}
		case []any:
			held = h
		}
		for _, e := range held {
			if m, ok := e.(map[string]any); ok {
				if id := objectID(m, depth+1); id != "" {
					return id
				}
			}
		}
	}
	return ""
}

// failed reports whether the answer names an error, whatever the HTTP
// status said: an "error" or "errors" member, or a status/statusCode of
// 400 or more (the shape {"status": 401, "message": "Unauthorized"}).
func (a *answer) failed() bool {
	o := a.obj
	if o == nil {
		return false
	}
	if s := scalar(o.get("error")); s != "" {
		return true
	}
	if errs, _ := o.get("errors").([]any); len(errs) > 0 {
		return true
	}
	for _, k := range []string{"status", "statusCode"} {
		if n, err := strconv.Atoi(scalar(o.get(k))); err == nil && n >= 400 {
			return true
		}
	}
	return false
}

// token matches a machine-readable error code ("invalid_attrib"), as
// opposed to prose in the same "error" member ("bad request error message").
var token = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// describe returns the provider's code and words. The code is the "error"
// member when it is a code, else errors[0].code, else status/statusCode/code;
// "" when none. The words are every prose member, joined.
func (a *answer) describe() (code, text string) {
	o := a.obj
	if o == nil {
		return "", ""
	}
	var words []string
	if e := scalar(o.get("error")); token.MatchString(e) {
		code = e
	} else {
		words = append(words, e)
	}
	var first object
	if errs, _ := o.get("errors").([]any); len(errs) > 0 {
		first, _ = errs[0].(map[string]any)
	}
	for _, k := range []string{"error-desc", "error_desc", "error_description", "description", "message", "detail"} {
		words = append(words, scalar(o.get(k)))
	}
	if first != nil {
		words = append(words, scalar(first.get("description")), scalar(first.get("message")))
		if f := scalar(first.get("field")); f != "" {
			words = append(words, "field "+f)
		}
		if code == "" {
			code = scalar(first.get("code"))
		}
	}
	for _, k := range []string{"status", "statusCode", "code"} {
		if code == "" {
			code = scalar(o.get(k))
		}
	}
	return code, join(words)
}

// join joins the non-empty, distinct words with ": ".
func join(words []string) string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return strings.Join(out, ": ")
}

// receipt reads the answer to POST /rest/gateway/messages.
func (c *Client) receipt(resp *providers.Response) (providers.Receipt, error) {
	a := parseAnswer(resp.Body)
	if resp.Status/100 != 2 || a.failed() {
		return providers.Receipt{}, c.failure(resp, a)
	}
	if a.id != "" {
		return providers.Receipt{ProviderMessageID: a.id, Status: message.Accepted}, nil
	}
	// A 2xx: Modica may well have queued it.
	return providers.Receipt{}, wire.NoMessageID(resp, a.json, c.redactions...)
}

// failure turns an error answer (any status, or a 2xx whose body names an
// error) into a *SendError classified by classify.
func (c *Client) failure(resp *providers.Response, a answer) *providers.SendError {
	code, text := a.describe()
	if code == "" {
		code = strconv.Itoa(resp.Status)
	}
	var body []byte // the body explains only when it is not JSON (an HTML page, plain text)
	if !a.json {
		body = resp.Body
	}
	text = wire.Explain(text, body, resp.Status)
	class, reason := classify(code, resp.Status, text)
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		// A 2xx that names an error and a message id is contradictory:
		// the message may have been queued.
		Ambiguous: resp.Status/100 == 2 && a.id != "",
		Message:   wire.Prose(text, c.redactions...),
	}
}

// object is a decoded JSON object whose member names are matched
// case-insensitively when the exact spelling is absent (the document
// writes "Destination" beside "source").
type object map[string]any

func (o object) get(name string) any {
	if v, ok := o[name]; ok {
		return v
	}
	for k, v := range o {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// scalar renders a JSON string or number as a string: whole numbers in
// decimal (123, not 1.23e2), strings trimmed. Anything else is "".
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return strconv.FormatInt(n, 10)
		}
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return v.String()
	}
	return ""
}
