package taqnyat

import (
	"bytes"
	"encoding/json"
	"errors"
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

// callback is the document's "Callback Structure": one POST may carry
// delivery reports (statuses) and inbound messages (notifications, with
// their senders' profiles in contacts, which wabulk does not need).
type callback struct {
	Type          string             `json:"type"` // "will always be whatsapp"
	Statuses      statusList         `json:"statuses"`
	Notifications list[notification] `json:"notifications"`
	// Messages are inbound messages in the WhatsApp Business API's own
	// shape ({"from","id","timestamp","type","text":{...}}), which the
	// document's structure follows; read like notifications.
	Messages list[waMessage] `json:"messages"`
}

// waMessage is an inbound message in the WhatsApp Business API's shape:
// the message object itself carries from, id and timestamp.
type waMessage struct{ notification }

func (w *waMessage) UnmarshalJSON(b []byte) error {
	var head struct {
		From      wire.String `json:"from"`
		To        wire.String `json:"to"`
		ID        wire.String `json:"id"`
		Timestamp wire.String `json:"timestamp"`
		GroupID   wire.String `json:"group_id"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	w.From, w.To, w.MessageID, w.Timestamp, w.GroupID = head.From, head.To, head.ID, head.Timestamp, head.GroupID
	return json.Unmarshal(b, &w.Message)
}

// notification is one inbound message (MO): from, to, message_id,
// message, timestamp; replying_to, forwarded, frequently_forwarded and
// referral are not needed.
type notification struct {
	From      wire.String `json:"from"`
	To        wire.String `json:"to"`
	MessageID wire.String `json:"message_id"`
	Message   inbound     `json:"message"`
	Timestamp wire.String `json:"timestamp"`
	// GroupID names the group chat a message was posted in (WhatsApp's
	// group_id, beside the message or inside it).
	GroupID wire.String `json:"group_id"`
}

// inbound is the message object of a notification, by type: text (body,
// else text as a string or the Cloud API's {"body":...}),
// button (text, payload), image, video, document, audio, voice, sticker
// (url, mime_type, caption, filename), location (lat/lng or
// latitude/longitude, name, address), contacts (contact cards).
type inbound struct {
	Type      wire.String `json:"type"`
	Body      wire.Texts  `json:"body"`
	Text      textField   `json:"text"`
	Payload   wire.String `json:"payload"`
	URL       wire.String `json:"url"`
	Caption   wire.Texts  `json:"caption"`
	Lat       coord       `json:"lat"`
	Lng       coord       `json:"lng"`
	Latitude  coord       `json:"latitude"`
	Longitude coord       `json:"longitude"`
	Name      wire.Texts  `json:"name"`
	Address   wire.Texts  `json:"address"`
	Contacts  list[card]  `json:"contacts"`
	GroupID   wire.String `json:"group_id"`
	// Edit is the user's edit of an earlier message (WhatsApp's type
	// "edit"): the new message object.
	Edit *struct {
		Message inbound `json:"message"`
	} `json:"edit"`
}

// UnmarshalJSON reads the message object; a message that is a bare string
// ("message":"STOP") is read as that text, and any other non-object as a
// message without content (still the user writing).
func (m *inbound) UnmarshalJSON(b []byte) error {
	*m = inbound{}
	b = bytes.TrimSpace(b)
	if !bytes.HasPrefix(b, []byte("{")) {
		var s string
		if json.Unmarshal(b, &s) == nil && strings.TrimSpace(s) != "" {
			m.Type, m.Body = "text", wire.Texts{s}
		}
		return nil
	}
	type plain inbound
	return json.Unmarshal(b, (*plain)(m))
}

// kind is the message's type, or, when it names none (the document lists
// the message object's fields for sending, not for inbound messages), the
// type its fields show: a text (body or text), a location, contact cards.
func (m *inbound) kind() string {
	if k := strings.ToLower(strings.TrimSpace(string(m.Type))); k != "" {
		return k
	}
	switch {
	case wire.Join(m.Body...) != "" || wire.Join(m.Text...) != "":
		return "text"
	case (m.Lat.ok && m.Lng.ok) || (m.Latitude.ok && m.Longitude.ok):
		return "location"
	case len(m.Contacts) > 0:
		return "contacts"
	}
	return ""
}

type card struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
	} `json:"name"`
}

// ParseCallback reads one Taqnyat callback into events: a status event for
// every delivery report with a message id and a state wabulk knows, an
// inbound event for every notification from a user. A body that is not a
// JSON object is an error; a well-formed body with nothing wabulk uses
// (another type, error or group notifications, unknown states) yields no
// events and no error.
func (c *Client) ParseCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	if !wire.IsObject(body) {
		return nil, errors.New("taqnyat callback: body is not a JSON object")
	}
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("taqnyat callback: %w", err)
	}
	if t := strings.TrimSpace(cb.Type); t != "" && !strings.EqualFold(t, "whatsapp") {
		return nil, nil
	}
	var evs []providers.Event
	for i := range cb.Statuses {
		if ev, ok := statusEvent(&cb.Statuses[i]); ok {
			evs = append(evs, ev)
		}
	}
	for i := range cb.Notifications {
		if ev, ok := inboundEvent(&cb.Notifications[i]); ok {
			evs = append(evs, ev)
		}
	}
	for i := range cb.Messages {
		if ev, ok := inboundEvent(&cb.Messages[i].notification); ok {
			evs = append(evs, ev)
		}
	}
	return evs, nil
}

// states maps the document's "Message States" to wabulk's, with the error
// code a failure records.
var states = map[string]struct {
	status message.Status
	code   string
}{
	"queued":        {message.Accepted, ""},
	"dispatched":    {message.Accepted, ""},
	"sent":          {message.Sent, ""},
	"delivered":     {message.Delivered, ""},
	"read":          {message.Read, ""},
	"deleted":       {message.Failed, "deleted"},
	"failed":        {message.Failed, "failed"},
	"no_opt_in":     {message.Failed, "no_opt_in"},
	"no_capability": {message.Failed, "no_capability"},
}

func statusEvent(s *deliveryStatus) (providers.Event, bool) {
	id := strings.TrimSpace(string(s.MessageID))
	if id == "" {
		return providers.Event{}, false
	}
	state := stateOf(string(s.State))
	if state == "" {
		// The document's status is "either success or failure"; a report
		// without a state that puts the state's word there instead
		// ("status":"delivered") is read by that word.
		if w := stateOf(string(s.Status)); states[w].status != "" {
			state = w
		}
	}
	st, known := states[state]
	if !known {
		if !strings.EqualFold(string(s.Status), "failure") {
			return providers.Event{}, false // a state we do not know, not a failure
		}
		st.status, st.code = message.Failed, state
		if st.code == "" {
			st.code = "failure"
		}
	}
	ev := providers.Event{
		Kind:              providers.EventStatus,
		ProviderMessageID: id,
		Status:            st.status,
		ProviderStatus:    string(s.State),
		Recipient:         msisdn(string(s.Recipient)),
		Time:              parseTime(string(s.Timestamp)),
	}
	if ev.ProviderStatus == "" {
		ev.ProviderStatus = string(s.Status)
	}
	if st.status == message.Failed {
		ev.ErrorCode = st.code
		ev.Error = wire.Join(s.Details...)
	}
	return ev, true
}

func inboundEvent(n *notification) (providers.Event, bool) {
	m := &n.Message
	kind := m.kind()
	if kind == "error" || kind == "group_event" {
		return providers.Event{}, false // about the API or a group, not a message from a user
	}
	from := msisdn(string(n.From))
	if from == "" {
		return providers.Event{}, false
	}
	ev := providers.Event{
		Kind:      providers.EventInbound,
		InboundID: strings.TrimSpace(string(n.MessageID)),
		From:      from,
		To:        msisdn(string(n.To)),
		Time:      parseTime(string(n.Timestamp)),
		Group:     string(n.GroupID),
	}
	if ev.Group == "" {
		ev.Group = string(m.GroupID)
	}
	if m.Edit != nil {
		// An edit carries the new content: read it as the message.
		m, ev.Edited = &m.Edit.Message, true
		kind = m.kind()
	}
	switch kind {
	case "text": // body, else text ("..." or the Cloud API's {"body":"..."})
		ev.Text = wire.Join(m.Body...)
		if ev.Text == "" {
			ev.Text = wire.Join(m.Text...)
		}
	case "button": // a quick-reply button: its text, else its payload
		ev.Text = wire.Join(m.Text...)
		if ev.Text == "" {
			ev.Text = string(m.Payload)
		}
	case "image", "video", "document", "audio", "sticker":
		ev.MediaKind, ev.MediaRef, ev.Text = message.Kind(kind), string(m.URL), wire.Join(m.Caption...)
	case "voice": // a voice note is audio
		ev.MediaKind, ev.MediaRef, ev.Text = message.KindAudio, string(m.URL), wire.Join(m.Caption...)
	case "location":
		ev.MediaKind = message.KindLocation
		lat, lng := m.Lat, m.Lng
		if !lat.ok || !lng.ok {
			lat, lng = m.Latitude, m.Longitude
		}
		if lat.ok && lng.ok {
			ev.MediaRef = "geo:" + lat.String() + "," + lng.String()
		}
		ev.Text = strings.Join(nonEmpty(wire.Join(m.Name...), wire.Join(m.Address...)), ", ")
	case "contacts":
		ev.MediaKind = message.KindContacts
		var names []string
		for _, card := range m.Contacts {
			names = append(names, strings.TrimSpace(card.Name.FormattedName))
		}
		ev.Text = strings.Join(nonEmpty(names...), ", ")
	}
	// Any other type (a kind WhatsApp adds later) is still a message from
	// the user: it opens the 24-hour window, so it is kept without text.
	return ev, true
}

// msisdn writes a number as E.164 where it can: the document's MSISDNs
// come without "+" or 00 ("9665..."), some with them. Anything that is not
// a plain international number (a bot name, a national number starting
// with 0) is returned as it came, trimmed.
func msisdn(s string) string {
	s = strings.TrimSpace(s)
	digits := strings.TrimPrefix(s, "+")
	if !strings.HasPrefix(s, "+") && strings.HasPrefix(s, "00") {
		digits = s[2:]
	}
	if message.IsE164("+" + digits) {
		return "+" + digits
	}
	return s
}

// timeLayouts are the ISO-8601 forms parseTime reads: RFC 3339, an offset
// without a colon (+0300), and no zone at all (UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
}

// parseTime reads the document's ISO-8601 timestamps; a time without a
// zone is UTC, and a bare number is Unix seconds (or milliseconds). An
// unreadable or missing timestamp is the zero time.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n >= 1e12 {
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	return time.Time{}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// list decodes a JSON array of T, or a single T; entries in another shape
// are dropped, and anything else decodes as empty.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	var raws []json.RawMessage
	switch {
	case bytes.HasPrefix(b, []byte("[")):
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
	case bytes.HasPrefix(b, []byte("{")):
		raws = []json.RawMessage{b}
	}
	for _, r := range raws {
		var v T
		if bytes.HasPrefix(bytes.TrimSpace(r), []byte("{")) && json.Unmarshal(r, &v) == nil {
			*l = append(*l, v)
		}
	}
	return nil
}

// textField is a message's "text": a string, an array of strings, or the
// Cloud API's object {"body":"..."}; anything else decodes as empty.
type textField []string

func (t *textField) UnmarshalJSON(b []byte) error {
	*t = nil
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		var o struct {
			Body wire.Texts `json:"body"`
		}
		if json.Unmarshal(b, &o) == nil {
			*t = textField(o.Body)
		}
		return nil
	}
	return (*wire.Texts)(t).UnmarshalJSON(b)
}

// coord is a coordinate sent as a JSON number or a numeric string; ok is
// false when it is absent or unreadable.
type coord struct {
	v  float64
	ok bool
}

func (c *coord) UnmarshalJSON(b []byte) error {
	var s wire.String
	_ = s.UnmarshalJSON(b)
	v, err := strconv.ParseFloat(string(s), 64)
	*c = coord{v: v, ok: err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)}
	return nil
}

func (c coord) String() string { return strconv.FormatFloat(c.v, 'f', -1, 64) }
