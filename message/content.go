package message

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Kind names what a message carries.
type Kind string

// The kinds of content WhatsApp carries.
const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindVideo    Kind = "video"
	KindAudio    Kind = "audio"
	KindDocument Kind = "document"
	KindSticker  Kind = "sticker"
	KindLocation Kind = "location"
	KindContacts Kind = "contacts"
	KindTemplate Kind = "template"
)

// Limits WhatsApp publishes (and the Taqnyat document repeats).
const (
	MaxTextLen         = 4096 // characters in a text body
	MaxCaptionLen      = 1024 // characters in a media caption
	MaxTemplateNameLen = 512
	MaxTemplateParam   = 1024 // characters in one template parameter
)

// MediaLimit is what WhatsApp accepts for one media kind.
type MediaLimit struct {
	MIME     []string // accepted content types
	MaxBytes int64    // post-processing size limit
}

// MediaLimits per kind, from the Taqnyat "Supported ContentTypes" table.
var MediaLimits = map[Kind]MediaLimit{
	KindImage:   {MIME: []string{"image/jpeg", "image/png"}, MaxBytes: 5 << 20},
	KindAudio:   {MIME: []string{"audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg", "audio/opus"}, MaxBytes: 16 << 20},
	KindVideo:   {MIME: []string{"video/mp4", "video/3gpp"}, MaxBytes: 16 << 20},
	KindSticker: {MIME: []string{"image/webp"}, MaxBytes: 100 << 10},
	KindDocument: {MIME: []string{
		"text/plain", "text/csv", "application/pdf", "application/msword", "application/x-tar", "application/rtf",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.ms-excel", "application/vnd.oasis.opendocument.text",
		// "Any content type listed for other message types" may go as a document too.
		"image/jpeg", "image/png", "image/webp", "audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg",
		"audio/opus", "video/mp4", "video/3gpp",
	}, MaxBytes: 100 << 20},
}

// Content is what a message carries: exactly one of its fields is set.
type Content struct {
	Text     *Text     `json:"text,omitempty" yaml:"text,omitempty"`
	Image    *Media    `json:"image,omitempty" yaml:"image,omitempty"`
	Video    *Media    `json:"video,omitempty" yaml:"video,omitempty"`
	Audio    *Media    `json:"audio,omitempty" yaml:"audio,omitempty"`
	Document *Media    `json:"document,omitempty" yaml:"document,omitempty"`
	Sticker  *Media    `json:"sticker,omitempty" yaml:"sticker,omitempty"`
	Location *Location `json:"location,omitempty" yaml:"location,omitempty"`
	Contacts []Contact `json:"contacts,omitempty" yaml:"contacts,omitempty"`
	Template *Template `json:"template,omitempty" yaml:"template,omitempty"`
}

// Text is a free-form text message.
type Text struct {
	Body       string `json:"body" yaml:"body"`
	PreviewURL bool   `json:"preview_url,omitempty" yaml:"preview_url,omitempty"`
}

// Media is an image, video, audio, document or sticker sent by link.
// MIME and Size are optional declarations: when given they are checked
// against MediaLimits before anything is sent.
type Media struct {
	URL      string `json:"url" yaml:"url"`
	Caption  string `json:"caption,omitempty" yaml:"caption,omitempty"`
	Filename string `json:"filename,omitempty" yaml:"filename,omitempty"`
	MIME     string `json:"mime,omitempty" yaml:"mime,omitempty"`
	Size     int64  `json:"size,omitempty" yaml:"size,omitempty"`
}

// Location is a pin on the map.
type Location struct {
	Latitude  float64 `json:"latitude" yaml:"latitude"`
	Longitude float64 `json:"longitude" yaml:"longitude"`
	Name      string  `json:"name,omitempty" yaml:"name,omitempty"`
	Address   string  `json:"address,omitempty" yaml:"address,omitempty"`
}

// Contact is a contact card.
type Contact struct {
	Name   ContactName    `json:"name" yaml:"name"`
	Phones []ContactPhone `json:"phones,omitempty" yaml:"phones,omitempty"`
	Emails []ContactEmail `json:"emails,omitempty" yaml:"emails,omitempty"`
	Org    *ContactOrg    `json:"org,omitempty" yaml:"org,omitempty"`
	URLs   []ContactURL   `json:"urls,omitempty" yaml:"urls,omitempty"`
}

// ContactName is a contact's name; FormattedName is required.
type ContactName struct {
	FormattedName string `json:"formatted_name" yaml:"formatted_name"`
	FirstName     string `json:"first_name,omitempty" yaml:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty" yaml:"last_name,omitempty"`
}

// ContactPhone is one phone number of a contact. WaID (E.164 without "+")
// lets the recipient message the contact straight away.
type ContactPhone struct {
	Phone string `json:"phone" yaml:"phone"`
	Type  string `json:"type,omitempty" yaml:"type,omitempty"`
	WaID  string `json:"wa_id,omitempty" yaml:"wa_id,omitempty"`
}

// ContactEmail is one e-mail address of a contact.
type ContactEmail struct {
	Email string `json:"email" yaml:"email"`
	Type  string `json:"type,omitempty" yaml:"type,omitempty"`
}

// ContactOrg is a contact's organisation.
type ContactOrg struct {
	Company    string `json:"company,omitempty" yaml:"company,omitempty"`
	Department string `json:"department,omitempty" yaml:"department,omitempty"`
	Title      string `json:"title,omitempty" yaml:"title,omitempty"`
}

// ContactURL is one web address of a contact.
type ContactURL struct {
	URL  string `json:"url" yaml:"url"`
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
}

// Template is a pre-approved message template: the only kind that may open
// a conversation outside the 24-hour customer-service window.
type Template struct {
	Name      string           `json:"name" yaml:"name"`
	Language  string           `json:"language" yaml:"language"`
	Namespace string           `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Header    *TemplateHeader  `json:"header,omitempty" yaml:"header,omitempty"`
	Body      []string         `json:"body,omitempty" yaml:"body,omitempty"`
	Buttons   []TemplateButton `json:"buttons,omitempty" yaml:"buttons,omitempty"`
	// Category is the template's WhatsApp category, as it was approved:
	// marketing, utility or authentication (any letter case). It is never
	// sent (the provider knows its templates); it decides whether a
	// contact that stopped marketing messages gets the template. A
	// template without one counts as marketing there: see Marketing.
	Category string `json:"category,omitempty" yaml:"category,omitempty"`
}

// The template categories WhatsApp approves templates in.
const (
	CategoryMarketing      = "marketing"
	CategoryUtility        = "utility"
	CategoryAuthentication = "authentication"
)

// Marketing reports whether t counts as a marketing template: its
// Category is marketing, or not given. A contact that stopped marketing
// messages gets no marketing template; one whose category is unknown is
// spared too, since it may be one (WhatsApp refuses a marketing template
// to such a contact anyway), while a template declared utility or
// authentication still goes.
func (t *Template) Marketing() bool {
	c := strings.ToLower(strings.TrimSpace(t.Category))
	return c == "" || c == CategoryMarketing
}

// TemplateHeader fills a template's header: a text parameter or one media.
type TemplateHeader struct {
	Text     string `json:"text,omitempty" yaml:"text,omitempty"`
	Image    *Media `json:"image,omitempty" yaml:"image,omitempty"`
	Video    *Media `json:"video,omitempty" yaml:"video,omitempty"`
	Document *Media `json:"document,omitempty" yaml:"document,omitempty"`
}

// TemplateButton fills a dynamic button: a URL suffix or a quick-reply payload.
type TemplateButton struct {
	SubType string `json:"sub_type" yaml:"sub_type"` // "url" or "quick_reply"
	Index   int    `json:"index" yaml:"index"`
	Param   string `json:"param" yaml:"param"`
}

// Kind reports which kind c carries, or "" when none or several are set.
func (c *Content) Kind() Kind {
	var kinds []Kind
	add := func(set bool, k Kind) {
		if set {
			kinds = append(kinds, k)
		}
	}
	add(c.Text != nil, KindText)
	add(c.Image != nil, KindImage)
	add(c.Video != nil, KindVideo)
	add(c.Audio != nil, KindAudio)
	add(c.Document != nil, KindDocument)
	add(c.Sticker != nil, KindSticker)
	add(c.Location != nil, KindLocation)
	add(len(c.Contacts) > 0, KindContacts)
	add(c.Template != nil, KindTemplate)
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// FreeForm reports whether c is a session (non-template) message, which may
// go out only inside the 24-hour customer-service window.
func (c *Content) FreeForm() bool { return c.Kind() != KindTemplate }

// MediaOf returns the media of an image, video, audio, document or sticker
// message, or nil.
func (c *Content) MediaOf() *Media {
	switch c.Kind() {
	case KindImage:
		return c.Image
	case KindVideo:
		return c.Video
	case KindAudio:
		return c.Audio
	case KindDocument:
		return c.Document
	case KindSticker:
		return c.Sticker
	}
	return nil
}

// Validate checks c against WhatsApp's published limits.
func (c *Content) Validate() error {
	k := c.Kind()
	if k == "" {
		return errors.New("content must set exactly one of text, image, video, audio, document, sticker, location, contacts, template")
	}
	switch k {
	case KindText:
		if strings.TrimSpace(c.Text.Body) == "" {
			return errors.New("text: body is empty")
		}
		if n := utf8.RuneCountInString(c.Text.Body); n > MaxTextLen {
			return fmt.Errorf("text: body is %d characters, the limit is %d", n, MaxTextLen)
		}
	case KindImage, KindVideo, KindAudio, KindDocument, KindSticker:
		if err := c.MediaOf().validate(k); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	case KindLocation:
		return c.Location.validate()
	case KindContacts:
		for i, ct := range c.Contacts {
			if strings.TrimSpace(ct.Name.FormattedName) == "" {
				return fmt.Errorf("contacts[%d]: name.formatted_name is required", i)
			}
		}
	case KindTemplate:
		return c.Template.validate()
	}
	return nil
}

func (m *Media) validate(k Kind) error {
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q must be an absolute http or https link", m.URL)
	}
	if k == KindAudio || k == KindSticker {
		if m.Caption != "" {
			return fmt.Errorf("%s messages carry no caption", k)
		}
	}
	if n := utf8.RuneCountInString(m.Caption); n > MaxCaptionLen {
		return fmt.Errorf("caption is %d characters, the limit is %d", n, MaxCaptionLen)
	}
	lim := MediaLimits[k]
	if m.MIME != "" {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(m.MIME, ";", 2)[0]))
		ok := false
		for _, a := range lim.MIME {
			if a == mt {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("content type %q is not accepted for %s (accepted: %s)", m.MIME, k, strings.Join(lim.MIME, ", "))
		}
	}
	if m.Size < 0 || (lim.MaxBytes > 0 && m.Size > lim.MaxBytes) {
		return fmt.Errorf("size %d bytes is over the %s limit of %d bytes", m.Size, k, lim.MaxBytes)
	}
	return nil
}

func (l *Location) validate() error {
	if math.IsNaN(l.Latitude) || math.IsNaN(l.Longitude) || math.IsInf(l.Latitude, 0) || math.IsInf(l.Longitude, 0) {
		return errors.New("location: latitude and longitude must be numbers")
	}
	if l.Latitude < -90 || l.Latitude > 90 {
		return fmt.Errorf("location: latitude %v is outside -90..90", l.Latitude)
	}
	if l.Longitude < -180 || l.Longitude > 180 {
		return fmt.Errorf("location: longitude %v is outside -180..180", l.Longitude)
	}
	return nil
}

func (t *Template) validate() error {
	if strings.TrimSpace(t.Name) == "" {
		return errors.New("template: name is required")
	}
	if len(t.Name) > MaxTemplateNameLen {
		return fmt.Errorf("template: name is %d characters, the limit is %d", len(t.Name), MaxTemplateNameLen)
	}
	if strings.TrimSpace(t.Language) == "" {
		return errors.New("template: language is required (e.g. en, en_US)")
	}
	switch strings.ToLower(strings.TrimSpace(t.Category)) {
	case "", CategoryMarketing, CategoryUtility, CategoryAuthentication:
	default:
		return fmt.Errorf("template: category %q is none of marketing, utility, authentication", t.Category)
	}
	for i, p := range t.Body {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("template: body parameter %d is empty", i+1)
		}
		if n := utf8.RuneCountInString(p); n > MaxTemplateParam {
			return fmt.Errorf("template: body parameter %d is %d characters, the limit is %d", i+1, n, MaxTemplateParam)
		}
	}
	if h := t.Header; h != nil {
		set := 0
		for _, m := range []*Media{h.Image, h.Video, h.Document} {
			if m != nil {
				set++
			}
		}
		if h.Text != "" {
			set++
		}
		if set != 1 {
			return errors.New("template: header must set exactly one of text, image, video, document")
		}
		for k, m := range map[Kind]*Media{KindImage: h.Image, KindVideo: h.Video, KindDocument: h.Document} {
			if m != nil {
				if err := m.validate(k); err != nil {
					return fmt.Errorf("template: header %s: %w", k, err)
				}
			}
		}
	}
	for i, b := range t.Buttons {
		if b.SubType != "url" && b.SubType != "quick_reply" {
			return fmt.Errorf("template: button %d: sub_type must be url or quick_reply, not %q", i, b.SubType)
		}
		if b.Param == "" {
			return fmt.Errorf("template: button %d: param is empty", i)
		}
	}
	return nil
}
