package tujenge

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
	"github.com/wabulk/wabulk/providers/whatsapp"
)

var _ providers.CallbackParser = (*Client)(nil)

// webhook is the on-premises WhatsApp Business API notification Tujenge
// forwards to the configured webhook: statuses of sent messages, and
// inbound messages with their contacts. One body may carry both.
//
// The decoding is lenient field by field: timestamps and coordinates take
// every shape seen (see timestamp, coord), and a value of the wrong JSON
// type anywhere else is dropped (encoding/json skips it and decodes the
// rest; parseCallback ignores the *json.UnmarshalTypeError). Only a body
// that is not a JSON object, or not JSON, is refused.
type webhook struct {
	Statuses []struct {
		ID          string     `json:"id"`
		RecipientID string     `json:"recipient_id"`
		Status      string     `json:"status"`
		Timestamp   timestamp  `json:"timestamp"`
		Errors      []apiError `json:"errors"`
	} `json:"statuses"`
	Messages []inbound `json:"messages"`
	// A top-level "errors" list, a system-level notification (no message
	// concerned), is read by whatsapp.ChangeEvents.

	// Entry is the Cloud API's envelope, {"object":"whatsapp_business_account",
	// "entry":[{"changes":[{"field":"messages","value":{...}}]}]}, whose
	// values carry the same statuses and messages (with the business number
	// in metadata). Tujenge's document shows no callback body and says its
	// API is "direct-like" WhatsApp's: a gateway on the Cloud API forwards
	// Meta's webhooks as they are, and reading only the top level would
	// answer them 200 and drop every receipt and inbound message in them.
	Entry []struct {
		Changes []struct {
			Field string `json:"field"`
			// Value is read by the field it belongs to: a messages value
			// as a webhook, the others by whatsapp.ChangeEvents.
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
	// Metadata names the business number, in a Cloud API value.
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
	} `json:"metadata"`
}

type inbound struct {
	From      string    `json:"from"`
	ID        string    `json:"id"`
	Timestamp timestamp `json:"timestamp"`
	Type      string    `json:"type"`
	// GroupID names the group chat a message was posted in.
	GroupID  string                 `json:"group_id"`
	Text     *struct{ Body string } `json:"text"`
	Image    *inboundMedia          `json:"image"`
	Video    *inboundMedia          `json:"video"`
	Audio    *inboundMedia          `json:"audio"`
	Voice    *inboundMedia          `json:"voice"`
	Document *inboundMedia          `json:"document"`
	Sticker  *inboundMedia          `json:"sticker"`
	Location *struct {
		Latitude  coord  `json:"latitude"`
		Longitude coord  `json:"longitude"`
		Name      string `json:"name"`
		Address   string `json:"address"`
	} `json:"location"`
	Button *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Interactive *struct {
		ButtonReply *struct{ ID, Title string } `json:"button_reply"`
		ListReply   *struct{ ID, Title string } `json:"list_reply"`
	} `json:"interactive"`
	// Edit is the user's edit of an earlier message (the Cloud API's
	// type "edit"): the new message object, in the same shape.
	Edit *struct {
		Message *inbound `json:"message"`
	} `json:"edit"`
}

type inboundMedia struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// ParseCallback reads a Tujenge (on-premises WhatsApp Business API)
// notification. Status states map as: sent → sent, delivered → delivered,
// read → read, failed → failed with the first error's code; "deleted" (the
// user deleted the message on the phone) and unknown states carry no
// outcome and yield no event. Timestamps are Unix seconds (a string or a
// number) or RFC 3339 strings. A value in an unexpected shape is dropped,
// not the body; a body that is not a JSON object is an error. The same
// statuses and messages inside the Cloud API's envelope
// (entry[].changes[].value) are read too, To then being the value's
// metadata.display_phone_number; "system" messages (a number change) are
// not the user writing and yield nothing.
func (c *Client) ParseCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	return parseCallback(body)
}

func parseCallback(body []byte) ([]providers.Event, error) {
	if !wire.IsObject(body) {
		return nil, errors.New("tujenge callback: body is not a JSON object")
	}
	var w webhook
	if err := decodeLenient(body, &w); err != nil {
		return nil, fmt.Errorf("tujenge callback: %w", err)
	}
	out := w.events()
	// The on-premises body's system-level errors.
	out = append(out, whatsapp.ChangeEvents("", body)...)
	for _, e := range w.Entry {
		for _, ch := range e.Changes {
			// As Meta's: only a messages change (or one naming no field)
			// carries receipts and messages; user_preferences,
			// account_update and system-level errors are read by
			// whatsapp.ChangeEvents, other fields carry nothing.
			field := strings.TrimSpace(ch.Field)
			if field == "" || strings.EqualFold(field, whatsapp.FieldMessages) {
				var v webhook
				if wire.IsObject(ch.Value) {
					if err := decodeLenient(ch.Value, &v); err != nil {
						return nil, fmt.Errorf("tujenge callback: %w", err)
					}
				}
				out = append(out, v.events()...)
			}
			out = append(out, whatsapp.ChangeEvents(field, ch.Value)...)
		}
	}
	return out, nil
}

// decodeLenient decodes b into v, dropping values of the wrong JSON type
// (encoding/json skips such a field and decodes everything else, so only
// that value is lost); any other error is returned.
func decodeLenient(b []byte, v any) error {
	err := json.NewDecoder(bytes.NewReader(b)).Decode(v)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return err
	}
	return nil
}

// events reads the statuses and messages of one notification (the
// on-premises body, or one Cloud API value).
func (w *webhook) events() []providers.Event {
	business := displayNumber(w.Metadata.DisplayPhoneNumber)
	var out []providers.Event
	for _, s := range w.Statuses {
		st, ok := statusOf(s.Status)
		if !ok || s.ID == "" {
			continue
		}
		ev := providers.Event{Kind: providers.EventStatus, ProviderMessageID: s.ID, Status: st, ProviderStatus: s.Status,
			Recipient: e164(s.RecipientID), Time: time.Time(s.Timestamp)}
		if st == message.Failed && len(s.Errors) > 0 {
			ev.ErrorCode = string(s.Errors[0].Code)
			ev.Error = strings.TrimSpace(strings.Join(append(s.Errors[0].Title, s.Errors[0].Details...), " "))
		}
		out = append(out, ev)
	}
	for _, m := range w.Messages {
		if m.From == "" || strings.EqualFold(m.Type, "system") {
			// "system": WhatsApp's notice that the user changed number (or
			// identity), not something the user wrote; it opens no window.
			continue
		}
		ev := providers.Event{Kind: providers.EventInbound, InboundID: m.ID, From: e164(m.From), To: business, Time: time.Time(m.Timestamp),
			Group: strings.TrimSpace(m.GroupID)}
		if m.Edit != nil && m.Edit.Message != nil {
			ev.Edited = true
			m.Edit.Message.content(&ev)
		} else {
			m.content(&ev)
		}
		out = append(out, ev)
	}
	return out
}

// content fills ev's Text and media from the message's content.
func (m *inbound) content(ev *providers.Event) {
	media := func(k message.Kind, md *inboundMedia) {
		ev.MediaKind, ev.Text = k, md.Caption
		ev.MediaRef = md.ID
		if ev.MediaRef == "" {
			ev.MediaRef = md.Link
		}
	}
	switch {
	case m.Text != nil:
		ev.Text = m.Text.Body
	case m.Image != nil:
		media(message.KindImage, m.Image)
	case m.Video != nil:
		media(message.KindVideo, m.Video)
	case m.Audio != nil:
		media(message.KindAudio, m.Audio)
	case m.Voice != nil:
		media(message.KindAudio, m.Voice)
	case m.Document != nil:
		media(message.KindDocument, m.Document)
	case m.Sticker != nil:
		media(message.KindSticker, m.Sticker)
	case m.Location != nil:
		l := m.Location
		ev.MediaKind = message.KindLocation
		ev.Text = strings.TrimSpace(l.Name + " " + l.Address)
		if l.Latitude.ok && l.Longitude.ok {
			ev.MediaRef = "geo:" + l.Latitude.String() + "," + l.Longitude.String()
		}
	case m.Button != nil:
		ev.Text = m.Button.Text
	case m.Interactive != nil && m.Interactive.ButtonReply != nil:
		ev.Text = m.Interactive.ButtonReply.Title
	case m.Interactive != nil && m.Interactive.ListReply != nil:
		ev.Text = m.Interactive.ListReply.Title
	}
}

func statusOf(s string) (message.Status, bool) {
	switch strings.ToLower(s) {
	case "sent":
		return message.Sent, true
	case "delivered":
		return message.Delivered, true
	case "read":
		return message.Read, true
	case "failed":
		return message.Failed, true
	}
	return "", false
}

func e164(waID string) string {
	if waID == "" || strings.HasPrefix(waID, "+") {
		return waID
	}
	return "+" + waID
}

// displayNumber is a Cloud API display number ("15550783881", "+1
// 555-078-3881") in E.164; "" when it holds no digits.
func displayNumber(s string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if digits == "" {
		return ""
	}
	return "+" + digits
}

// timestamp is a notification's time: Unix seconds as a JSON number or a
// string ("1518694700", 1518694700, 1518694700.5), or an RFC 3339 string.
// Anything else, and a time at or before the epoch, reads as the zero time
// and never fails the body.
type timestamp time.Time

func (t *timestamp) UnmarshalJSON(b []byte) error {
	*t = timestamp(parseTime(b))
	return nil
}

func parseTime(b []byte) time.Time {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b) // a JSON number, or something parseTime cannot read
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return time.Time{}
		}
		return time.Unix(n, 0).UTC()
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if !(f > 0 && f < maxUnixSeconds) { // NaN and ±Inf fail this too
			return time.Time{}
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// maxUnixSeconds bounds fractional Unix times (year 33658): beyond it a
// float no longer converts to an int64 of seconds safely.
const maxUnixSeconds = 1e12

// coord is a coordinate sent as a JSON number or a numeric string; ok is
// false when it is absent or unreadable, and it never fails the body.
type coord struct {
	v  float64
	ok bool
}

func (c *coord) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = string(b)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	*c = coord{v: v, ok: err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)}
	return nil
}

func (c coord) String() string { return strconv.FormatFloat(c.v, 'f', -1, 64) }
