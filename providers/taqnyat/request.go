package taqnyat

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// request is the body of POST /messages/: the recipients and one message
// object. wabulk sends one message to one recipient, so To has one element
// (the document allows 1 to 20).
type request struct {
	To      []string    `json:"to"` // MSISDNs: international format without "+" or 00
	Message wireMessage `json:"message"`
}

// wireMessage is the document's message object. Type names the kind; only
// the fields of that kind are set.
type wireMessage struct {
	Type string `json:"type"`

	// text
	Text       string `json:"text,omitempty"`
	PreviewURL *bool  `json:"preview_url,omitempty"` // always sent with a text

	// image, video, audio, document, sticker: by public URL
	URL      string `json:"url,omitempty"`
	Caption  string `json:"caption,omitempty"`  // image, video, document
	Filename string `json:"filename,omitempty"` // document

	// location; pointers so that 0 (the equator, Greenwich) is sent
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
	Name    string   `json:"name,omitempty"`
	Address string   `json:"address,omitempty"`

	// contacts
	Contacts []whatsapp.Contact `json:"contacts,omitempty"`

	// template
	TemplateName string         `json:"template_name,omitempty"`
	Language     string         `json:"language,omitempty"`
	HeaderParams []string       `json:"header_params,omitempty"`
	BodyParams   []string       `json:"body_params,omitempty"`
	Media        *templateMedia `json:"media,omitempty"`
	Buttons      []button       `json:"buttons,omitempty"`

	// TTL is the time the message may wait to be received, an ISO-8601
	// duration ("P1DT2H"); omitted when the message has no expiry.
	TTL string `json:"ttl,omitempty"`
}

// templateMedia fills a template's header: a document, image or video by
// URL, or {"type":"text"} when the header is text (its parameter then goes
// in header_params).
type templateMedia struct {
	Type     string `json:"type"`
	URL      string `json:"url,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// button is one entry of a template's positional button list.
type button struct {
	Type      string `json:"type"`                // quick_reply or url
	Payload   string `json:"payload,omitempty"`   // quick_reply
	Parameter string `json:"parameter,omitempty"` // url: the variable part of a dynamic URL
}

// request builds the wire body for a validated m, or refuses what Taqnyat
// cannot carry.
func (c *Client) request(m *message.Message) (request, error) {
	ct := &m.Content
	w := wireMessage{Type: string(ct.Kind())}
	switch ct.Kind() {
	case message.KindText:
		w.Text = ct.Text.Body
		w.PreviewURL = &ct.Text.PreviewURL
	case message.KindImage:
		w.URL, w.Caption = ct.Image.URL, ct.Image.Caption
	case message.KindVideo:
		w.URL, w.Caption = ct.Video.URL, ct.Video.Caption
	case message.KindAudio: // audio and stickers carry no caption
		w.URL = ct.Audio.URL
	case message.KindSticker:
		w.URL = ct.Sticker.URL
	case message.KindDocument:
		w.URL, w.Caption, w.Filename = ct.Document.URL, ct.Document.Caption, ct.Document.Filename
	case message.KindLocation:
		l := ct.Location
		lat, lng := l.Latitude, l.Longitude
		w.Lat, w.Lng, w.Name, w.Address = &lat, &lng, l.Name, l.Address
	case message.KindContacts:
		w.Contacts = whatsapp.NewContacts(ct.Contacts)
	case message.KindTemplate:
		if err := template(&w, ct.Template); err != nil {
			return request{}, err
		}
	default:
		return request{}, wire.Unsupported(fmt.Sprintf("%s messages are not supported by Taqnyat", ct.Kind()))
	}
	if !m.ExpiresAt.IsZero() {
		left := m.ExpiresAt.Sub(c.now()).Truncate(time.Second)
		if left < time.Second {
			return request{}, &providers.SendError{Class: providers.Permanent, Code: "ttl",
				Message: "the message's TTL passed before it was sent"}
		}
		w.TTL = isoDuration(left)
	}
	return request{To: []string{message.WaID(m.To)}, Message: w}, nil
}

// template fills w from t. Taqnyat's buttons are a positional list, so the
// message must fill every button from index 0 up to its last one.
func template(w *wireMessage, t *message.Template) error {
	w.TemplateName = t.Name
	w.Language = t.Language
	if h := t.Header; h != nil {
		switch {
		case h.Image != nil:
			w.Media = &templateMedia{Type: "image", URL: h.Image.URL}
		case h.Video != nil:
			w.Media = &templateMedia{Type: "video", URL: h.Video.URL}
		case h.Document != nil:
			w.Media = &templateMedia{Type: "document", URL: h.Document.URL, Filename: h.Document.Filename}
		default:
			w.Media = &templateMedia{Type: "text"}
			w.HeaderParams = []string{h.Text}
		}
		for _, m := range []*message.Media{h.Image, h.Video, h.Document} {
			if m != nil && m.Caption != "" {
				return wire.Unsupported("a caption on a template header is not supported by Taqnyat")
			}
		}
	}
	w.BodyParams = append([]string(nil), t.Body...)
	if len(t.Buttons) > 0 {
		w.Buttons = make([]button, len(t.Buttons))
		seen := make([]bool, len(t.Buttons))
		for _, b := range t.Buttons {
			if b.Index < 0 || b.Index >= len(t.Buttons) || seen[b.Index] {
				return wire.Unsupported(fmt.Sprintf("template buttons with indexes other than 0..%d, each once, are not supported by Taqnyat "+
					"(its button list is positional: give every button of the template)", len(t.Buttons)-1))
			}
			seen[b.Index] = true
			if b.SubType == "quick_reply" {
				w.Buttons[b.Index] = button{Type: "quick_reply", Payload: b.Param}
			} else {
				w.Buttons[b.Index] = button{Type: "url", Parameter: b.Param}
			}
		}
	}
	return nil
}

// isoDuration writes d (whole seconds, at least one) as an ISO-8601
// duration with day, hour, minute and second parts: 36h → "P1DT12H",
// 90s → "PT1M30S", 7 days → "P7D".
func isoDuration(d time.Duration) string {
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, s := s/60, s%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if hours > 0 || mins > 0 || s > 0 {
		b.WriteByte('T')
		for _, p := range []struct {
			n    int64
			unit string
		}{{hours, "H"}, {mins, "M"}, {s, "S"}} {
			if p.n > 0 {
				fmt.Fprintf(&b, "%d%s", p.n, p.unit)
			}
		}
	}
	return b.String()
}
