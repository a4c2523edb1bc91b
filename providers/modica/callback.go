package modica

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// ParseCallback reads one Modica callback: an MO callback (a message from a
// contact) or a DLR callback (a status of a message we sent). Both are POSTed
// as one JSON object; they are told apart by their members, so one URL may
// take both. See doc.go for the shapes and the mapping.
//
// A body that is not a JSON object (or an array of objects) is an error, as
// is a DLR without an id or an MO without a source: the receiver answers
// 400 and records nothing. An object that is neither, a DLR status this
// adapter does not know, and notifications that are not a contact's message
// (system, identity, statuses inside an MO) yield no events and no error.
// h is not used: Modica signs nothing; authenticate the URL itself.
func (c *Client) ParseCallback(h http.Header, body []byte) ([]providers.Event, error) {
	return parseCallback(body)
}

func parseCallback(body []byte) ([]providers.Event, error) {
	v, ok := decodeJSON(bytes.TrimSpace(body))
	if !ok {
		return nil, errors.New("modica callback: body is not JSON")
	}
	var objs []object
	switch v := v.(type) {
	case map[string]any:
		objs = []object{v}
	case []any:
		for i, e := range v {
			o, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("modica callback: element %d is not a JSON object", i)
			}
			objs = append(objs, o)
		}
	default:
		return nil, errors.New("modica callback: body is not a JSON object")
	}
	var events []providers.Event
	for _, o := range objs {
		var (
			ev  *providers.Event
			err error
		)
		switch {
		case o.has("content"):
			ev, err = parseMO(o)
		case o.has("status"):
			ev, err = parseDLR(o)
		}
		if err != nil {
			return nil, fmt.Errorf("modica callback: %w", err)
		}
		if ev != nil {
			events = append(events, *ev)
		}
	}
	return events, nil
}

// has reports whether o has the member name (in any letter case).
func (o object) has(name string) bool {
	if _, ok := o[name]; ok {
		return true
	}
	for k := range o {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// dlrStatus maps the DLR statuses to wabulk's. The first four are the
// document's; "frozen" is Modica's public word for a message it stopped
// retrying (see doc.go). The rest are aliases: the document lists only the
// gateway's words, and a DLR relaying WhatsApp's or another gateway's
// words should not be dropped.
var dlrStatus = map[string]struct {
	status message.Status
	failed bool
}{
	"sent":     {message.Sent, false},
	"received": {message.Delivered, false},
	"rejected": {message.Failed, true},
	"expired":  {message.Failed, true},
	"frozen":   {message.Failed, true},

	"delivered":   {message.Delivered, false},
	"read":        {message.Read, false},
	"failed":      {message.Failed, true},
	"undelivered": {message.Failed, true},
	"accepted":    {message.Accepted, false},
	"queued":      {message.Accepted, false},
	"submitted":   {message.Accepted, false},
}

// parseDLR reads {"id": ..., "status": ..., "reference": ...}. id is the
// message id Send returned; reference (our Message.ID) has no place in an
// Event and is not needed to find the record.
func parseDLR(o object) (*providers.Event, error) {
	id := scalar(o.get("id"))
	if id == "" {
		return nil, errors.New("dlr without an id")
	}
	word := scalar(o.get("status"))
	st, ok := dlrStatus[strings.ToLower(word)]
	if !ok {
		return nil, nil // a status this adapter does not know: nothing to record
	}
	ev := &providers.Event{Kind: providers.EventStatus, ProviderMessageID: id, Status: st.status, ProviderStatus: word}
	if st.failed {
		ev.ErrorCode = strings.ToLower(word)
	}
	return ev, nil
}

// notMessages are content types that are not a contact writing to the
// business: WhatsApp status notifications, system and identity changes,
// echoes of our own templates, bare error lists.
var notMessages = map[string]bool{
	"sent": true, "delivered": true, "read": true, "failed": true, "deleted": true, "warning": true,
	"system": true, "identity": true, "template": true, "errors": true, "status": true, "statuses": true,
}

// mediaKinds are the WhatsApp media content types and wabulk's kind for each.
var mediaKinds = map[string]message.Kind{
	"image":    message.KindImage,
	"video":    message.KindVideo,
	"audio":    message.KindAudio,
	"voice":    message.KindAudio,
	"document": message.KindDocument,
	"sticker":  message.KindSticker,
}

// contentKeys are the members that name a content type when "type" is absent.
var contentKeys = []string{"text", "image", "video", "audio", "voice", "document", "sticker", "button", "interactive", "location", "contacts", "reaction", "edit"}

// parseMO reads {"id", "source", "Destination", "content"}. content is the
// WhatsApp message object; it may come as a string (plain text), base64
// encoded when the callback says "base64".
func parseMO(o object) (*providers.Event, error) {
	b64 := isBase64(o.get("encoding"))
	content := o.get("content")
	if s, ok := content.(string); ok {
		if b64 {
			if d, ok := unbase64(s); ok {
				s = string(d)
			}
		}
		if v, ok := decodeJSON([]byte(strings.TrimSpace(s))); ok {
			if obj, ok := v.(map[string]any); ok {
				content, b64 = obj, false // already decoded: the object's strings are plain
			}
		}
		if _, ok := content.(string); ok {
			content = s
		}
	}
	ev := &providers.Event{
		Kind:      providers.EventInbound,
		InboundID: scalar(o.get("id")),
		From:      phone(scalar(o.get("source"))),
		To:        phone(scalar(o.get("destination"))),
		Time:      when(o.get("timestamp")),
	}
	switch c := content.(type) {
	case string:
		if utf8.ValidString(c) {
			ev.Text = c
		}
	case map[string]any:
		if !readContent(object(c), ev) {
			return nil, nil
		}
		if b64 {
			if d, ok := unbase64(ev.Text); ok && utf8.Valid(d) {
				ev.Text = string(d)
			}
		}
	}
	if ev.From == "" {
		return nil, errors.New("mo without a source")
	}
	return ev, nil
}

// readContent fills ev from a WhatsApp message object. It reports false
// when the object is not a contact's message (see notMessages).
func readContent(c object, ev *providers.Event) bool {
	if inner, whole := unwrapNotification(c, 0); whole {
		if inner == nil {
			return false // statuses only: not a contact's message
		}
		c = inner
	}
	typ := strings.ToLower(scalar(c.get("type")))
	if typ == "" {
		for _, k := range contentKeys {
			if c.has(k) {
				typ = k
				break
			}
		}
	}
	if typ == "" && c.has("status") {
		typ = "status"
	}
	if notMessages[typ] {
		return false
	}
	if ev.InboundID == "" {
		ev.InboundID = scalar(c.get("id"))
	}
	if ev.From == "" {
		ev.From = phone(scalar(c.get("from")))
	}
	if t := when(c.get("timestamp")); !t.IsZero() {
		ev.Time = t
	}
	if g := scalar(c.get("group_id")); g != "" {
		ev.Group = g // posted in a group chat, not to the business
	}
	part := func(name string) object {
		p, _ := c.get(name).(map[string]any)
		return p
	}
	if typ == "edit" {
		// An edit carries the new message object: its content is the
		// message's.
		ev.Edited = true
		if inner, ok := part("edit").get("message").(map[string]any); ok {
			return readContent(object(inner), ev)
		}
		return true
	}
	switch {
	case typ == "text":
		if s, ok := c.get("text").(string); ok {
			ev.Text = s
		} else {
			ev.Text = str(part("text").get("body"))
		}
	case mediaKinds[typ] != "":
		p := part(typ)
		ev.MediaKind = mediaKinds[typ]
		ev.MediaRef = first(scalar(p.get("id")), scalar(p.get("link")), scalar(p.get("url")))
		ev.Text = str(p.get("caption"))
	case typ == "button":
		p := part("button")
		ev.Text = first(str(p.get("text")), str(p.get("payload")))
	case typ == "interactive":
		p := part("interactive")
		for _, k := range []string{"button_reply", "list_reply"} {
			if r, ok := p.get(k).(map[string]any); ok {
				ev.Text = first(str(object(r).get("title")), scalar(object(r).get("id")))
				break
			}
		}
		if r, ok := p.get("nfm_reply").(map[string]any); ok && ev.Text == "" {
			ev.Text = first(str(object(r).get("body")), str(object(r).get("response_json")))
		}
	case typ == "location":
		p := part("location")
		ev.MediaKind = message.KindLocation
		if lat, lon := scalar(p.get("latitude")), scalar(p.get("longitude")); lat != "" && lon != "" {
			ev.MediaRef = lat + "," + lon
		}
		ev.Text = join([]string{scalar(p.get("name")), scalar(p.get("address"))})
	case typ == "contacts":
		ev.MediaKind = message.KindContacts
	}
	// reaction, order, request_welcome, unsupported, and types not yet
	// known: the contact wrote, which is what the 24-hour window needs.
	return true
}

// unwrapNotification finds the message in a content that is a whole
// WhatsApp notification rather than one message object: the Cloud API's
// value ({"contacts":[...],"messages":[...],"statuses":[...]}) or its
// envelope ({"entry":[{"changes":[{"value":...}]}]}). The document calls
// content a "Whatsapp Message Notification", which a relay may pass on
// whole. whole is false when c is not such a notification; inner is its
// first message, or nil when it carries none (statuses only).
func unwrapNotification(c object, depth int) (inner object, whole bool) {
	if depth > 3 {
		return nil, false
	}
	first := func(v any) object {
		if l, ok := v.([]any); ok && len(l) > 0 {
			if o, ok := l[0].(map[string]any); ok {
				return o
			}
		}
		return nil
	}
	switch {
	case c.has("entry"):
		change := first(first(c.get("entry")).get("changes"))
		value, _ := change.get("value").(map[string]any)
		if value == nil {
			return nil, true
		}
		if inner, whole := unwrapNotification(value, depth+1); whole {
			return inner, true
		}
		return nil, true
	case c.has("messages"):
		return first(c.get("messages")), true
	case c.has("statuses"):
		return nil, true
	}
	return nil, false
}

// isBase64 reports whether an "encoding" member says "base64".
func isBase64(v any) bool {
	return strings.EqualFold(scalar(v), "base64")
}

// unbase64 decodes s in any of the base64 alphabets, ignoring line breaks.
func unbase64(s string) ([]byte, bool) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			return d, true
		}
	}
	return nil, false
}

// phone returns s in E.164 with its "+" when it is a phone number written
// with or without one; anything else (a short code, a name) unchanged.
func phone(s string) string {
	if message.IsE164(s) {
		return s
	}
	if message.IsE164("+" + s) {
		return "+" + s
	}
	return s
}

// when reads a time: Unix seconds (a number or a string of digits, as
// WhatsApp sends them) or RFC 3339. Anything else is the zero time.
func when(v any) time.Time {
	s := scalar(v)
	if s == "" {
		return time.Time{}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n >= 1e12 { // milliseconds
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// str returns a JSON string as it is (message text keeps its spaces).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
