package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// notification is the body Meta POSTs to the webhook:
//
//	{"object":"whatsapp_business_account","entry":[{"id":"<WABA id>","changes":[
//	  {"field":"messages","value":{"messaging_product":"whatsapp",
//	    "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
//	    "contacts":[...],"messages":[...],"statuses":[...],"errors":[...]}}]}]}
//
// Only what wabulk uses is modelled; every other field is ignored.
//
// The on-premises WhatsApp Business API (Meta's, sunset for the Cloud API)
// posts the same statuses and messages at the top level instead:
// {"contacts":[...],"messages":[...],"statuses":[...]}. Those are read too
// (with no business number): a relay or an account still on that API
// would otherwise have every receipt and inbound message answered 200 and
// silently dropped.
type notification struct {
	Object string `json:"object"`
	// Statuses and Messages at the top level: the on-premises shape.
	Statuses []status  `json:"statuses"`
	Messages []inbound `json:"messages"`
	Entry    []struct {
		Changes []struct {
			Field string `json:"field"`
			// Value is read by the field it belongs to: a messages value
			// here (messagesValue), the others by whatsapp.ChangeEvents.
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// messagesValue is the value of a "messages" change.
type messagesValue struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
	} `json:"metadata"`
	Messages []inbound `json:"messages"`
	Statuses []status  `json:"statuses"`
}

// status is one delivery report of a message the business sent.
type status struct {
	ID            string      `json:"id"`
	Status        string      `json:"status"`
	Timestamp     flexNumber  `json:"timestamp"`
	RecipientID   string      `json:"recipient_id"`
	RecipientType string      `json:"recipient_type"` // "group" for group chats
	Errors        []hookError `json:"errors"`
}

// hookError is an error in a webhook: {"code":131047,"title":"...",
// "message":"...","error_data":{"details":"..."},"href":"..."}.
type hookError struct {
	Code    code   `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Data    struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// inbound is one message a WhatsApp user sent to the business.
type inbound struct {
	From      string     `json:"from"`
	ID        string     `json:"id"`
	Timestamp flexNumber `json:"timestamp"`
	Type      string     `json:"type"`
	// GroupID names the group chat a message was posted in.
	GroupID string `json:"group_id"`
	Text    *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *inboundMedia `json:"image"`
	Video    *inboundMedia `json:"video"`
	Audio    *inboundMedia `json:"audio"` // voice notes too, with "voice": true
	Voice    *inboundMedia `json:"voice"` // the on-premises API's voice note
	Document *inboundMedia `json:"document"`
	Sticker  *inboundMedia `json:"sticker"`
	Location *struct {
		Latitude  flexNumber `json:"latitude"`
		Longitude flexNumber `json:"longitude"`
		Name      string     `json:"name"`
		Address   string     `json:"address"`
	} `json:"location"`
	Contacts []struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
		} `json:"name"`
	} `json:"contacts"`
	Button *struct {
		Text string `json:"text"` // the button's label; "payload" is the template's
	} `json:"button"`
	Interactive *struct {
		ButtonReply *struct {
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			Title string `json:"title"`
		} `json:"list_reply"`
		NFMReply *struct { // a WhatsApp Flow's answer
			Body string `json:"body"`
		} `json:"nfm_reply"`
	} `json:"interactive"`
	Reaction *struct {
		Emoji string `json:"emoji"` // absent when the user removed the reaction
	} `json:"reaction"`
	// Edit is the user's edit of an earlier message: the new message
	// object, in the same shape.
	Edit *struct {
		Message *inbound `json:"message"`
	} `json:"edit"`
}

// inboundMedia is media a user sent: Meta gives a media id (to fetch with
// GET /{media-id}), never a link.
type inboundMedia struct {
	ID      string `json:"id"`
	Caption string `json:"caption"`
}

// ParseCallback reads a webhook notification Meta POSTed. When the Client
// has an AppSecret, the body must carry a valid X-Hub-Signature-256 first
// (see VerifySignature); otherwise the caller is trusted to have checked.
//
// Statuses map sent → sent, delivered → delivered, read and played (a voice
// message was played) → read, failed → failed with the first error's code;
// other states (deleted, warning, ...) yield no event. Messages of every
// type but "system" are inbound events (Group set for a group chat's, an
// edit carrying its new content). A change without a field is read as a
// messages change; user_preferences, account_update and system-level
// errors are read by whatsapp.ChangeEvents; changes that name another
// field (template status updates, ...) and objects other than
// whatsapp_business_account yield no events. Statuses and messages at the
// top level (the on-premises API's shape) are read too. A body that is not
// a JSON object, or whose statuses and messages have the wrong types, is
// an error.
func (c *Client) ParseCallback(h http.Header, body []byte) ([]providers.Event, error) {
	if c.appSecret != "" {
		if err := VerifySignature(c.appSecret, body, h.Get(SignatureHeader)); err != nil {
			return nil, err // already says "meta webhook: ..."
		}
	}
	return parseNotification(body)
}

func parseNotification(body []byte) ([]providers.Event, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("meta callback: body is not a JSON object")
	}
	var n notification
	if err := json.Unmarshal(trimmed, &n); err != nil {
		return nil, fmt.Errorf("meta callback: %w", err)
	}
	if n.Object != "" && n.Object != "whatsapp_business_account" {
		return nil, nil // another product's webhook (page, instagram ...): nothing for wabulk
	}
	var out []providers.Event
	for _, s := range n.Statuses {
		if ev, ok := s.event(); ok {
			out = append(out, ev)
		}
	}
	for _, m := range n.Messages {
		if ev, ok := m.event(""); ok {
			out = append(out, ev)
		}
	}
	// The on-premises body's system-level errors.
	out = append(out, whatsapp.ChangeEvents("", trimmed)...)
	for _, e := range n.Entry {
		for _, ch := range e.Changes {
			// A change without a field (or with an empty one) is read as a
			// messages change.
			field := strings.TrimSpace(ch.Field)
			if field == "" || strings.EqualFold(field, whatsapp.FieldMessages) {
				var v messagesValue
				if len(ch.Value) > 0 {
					if err := json.Unmarshal(ch.Value, &v); err != nil {
						return nil, fmt.Errorf("meta callback: %w", err)
					}
				}
				for _, s := range v.Statuses {
					if ev, ok := s.event(); ok {
						out = append(out, ev)
					}
				}
				business := e164(v.Metadata.DisplayPhoneNumber)
				for _, m := range v.Messages {
					if ev, ok := m.event(business); ok {
						out = append(out, ev)
					}
				}
			}
			// Marketing stops and resumes, account updates, system-level
			// errors.
			out = append(out, whatsapp.ChangeEvents(field, ch.Value)...)
		}
	}
	return out, nil
}

func (s *status) event() (providers.Event, bool) {
	st, ok := statusOf(s.Status)
	if !ok || strings.TrimSpace(s.ID) == "" {
		return providers.Event{}, false
	}
	ev := providers.Event{
		Kind:              providers.EventStatus,
		ProviderMessageID: strings.TrimSpace(s.ID),
		Status:            st,
		ProviderStatus:    s.Status,
		Time:              unixTime(s.Timestamp),
	}
	if s.RecipientType == "" || s.RecipientType == "individual" {
		ev.Recipient = e164(s.RecipientID)
	}
	if st == message.Failed && len(s.Errors) > 0 {
		e := s.Errors[0]
		ev.ErrorCode = string(e.Code)
		ev.Error = joinDistinct(e.Title, e.Message, e.Data.Details)
	}
	return ev, true
}

func statusOf(s string) (message.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sent":
		return message.Sent, true
	case "delivered":
		return message.Delivered, true
	case "read", "played":
		return message.Read, true
	case "failed":
		return message.Failed, true
	}
	return "", false
}

func (m *inbound) event(business string) (providers.Event, bool) {
	from := e164(m.From)
	if from == "" || m.Type == "system" {
		// "system": WhatsApp's notice that the user changed number, not
		// something the user wrote.
		return providers.Event{}, false
	}
	ev := providers.Event{Kind: providers.EventInbound, InboundID: m.ID, From: from, To: business, Time: unixTime(m.Timestamp),
		Group: strings.TrimSpace(m.GroupID)}
	if m.Edit != nil && m.Edit.Message != nil {
		// The edit's content is the new message's.
		ev.Edited = true
		m.Edit.Message.content(&ev)
		return ev, true
	}
	m.content(&ev)
	return ev, true
}

// content fills ev's Text and media from the message's content.
func (m *inbound) content(ev *providers.Event) {
	withMedia := func(k message.Kind, md *inboundMedia) {
		ev.MediaKind, ev.MediaRef, ev.Text = k, md.ID, md.Caption
	}
	switch {
	case m.Text != nil:
		ev.Text = m.Text.Body
	case m.Image != nil:
		withMedia(message.KindImage, m.Image)
	case m.Video != nil:
		withMedia(message.KindVideo, m.Video)
	case m.Audio != nil:
		withMedia(message.KindAudio, m.Audio)
	case m.Voice != nil:
		withMedia(message.KindAudio, m.Voice)
	case m.Document != nil:
		withMedia(message.KindDocument, m.Document)
	case m.Sticker != nil:
		withMedia(message.KindSticker, m.Sticker)
	case m.Location != nil:
		l := m.Location
		ev.MediaKind = message.KindLocation
		ev.Text = joinDistinct(l.Name, l.Address)
		if l.Latitude != "" && l.Longitude != "" {
			ev.MediaRef = "geo:" + string(l.Latitude) + "," + string(l.Longitude)
		}
	case len(m.Contacts) > 0:
		ev.MediaKind = message.KindContacts
		names := make([]string, 0, len(m.Contacts))
		for _, c := range m.Contacts {
			if s := strings.TrimSpace(c.Name.FormattedName); s != "" {
				names = append(names, s)
			}
		}
		ev.Text = strings.Join(names, ", ")
	case m.Button != nil:
		ev.Text = m.Button.Text
	case m.Interactive != nil:
		switch i := m.Interactive; {
		case i.ButtonReply != nil:
			ev.Text = i.ButtonReply.Title
		case i.ListReply != nil:
			ev.Text = i.ListReply.Title
		case i.NFMReply != nil:
			ev.Text = i.NFMReply.Body
		}
	case m.Reaction != nil:
		ev.Text = m.Reaction.Emoji // empty when the user removed the reaction
	}
}

// e164 turns a WhatsApp id or a display number ("15550783881",
// "+1 555-078-3881") into E.164; "" when it is not a phone number (empty,
// letters, too short or long, e.g. a group id or a business-scoped user id).
func e164(s string) string {
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 1, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return ""
		}
	}
	if !message.IsE164(b.String()) {
		return ""
	}
	return b.String()
}

// flexNumber is a number Meta sends as a JSON string ("1603086313") or a
// JSON number; null reads as "". Other JSON is an error: the body is not
// in the documented shape.
type flexNumber string

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexNumber(strings.TrimSpace(s))
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a number or a string, got %s", b)
		}
		*f = flexNumber(n.String())
	}
	return nil
}

// unixTime reads Unix seconds; zero when n is not a positive integer.
func unixTime(n flexNumber) time.Time {
	s, err := strconv.ParseInt(strings.TrimSpace(string(n)), 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// joinDistinct joins the non-empty, distinct words with ": ".
func joinDistinct(words ...string) string {
	var out []string
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || containsFold(out, w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, ": ")
}
