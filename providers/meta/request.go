package meta

import (
	"strconv"

	"github.com/wabulk/wabulk/message"
)

// request is the body of POST /{PhoneNumberID}/messages in the Cloud API
// format. Exactly one content field is set, named by Type.
type request struct {
	MessagingProduct string `json:"messaging_product"` // always "whatsapp"
	RecipientType    string `json:"recipient_type"`    // always "individual"
	To               string `json:"to"`                // E.164 digits, no "+"
	Type             string `json:"type"`

	Text     *text     `json:"text,omitempty"`
	Image    *media    `json:"image,omitempty"`
	Video    *media    `json:"video,omitempty"`
	Audio    *media    `json:"audio,omitempty"`
	Document *media    `json:"document,omitempty"`
	Sticker  *media    `json:"sticker,omitempty"`
	Location *location `json:"location,omitempty"`
	Contacts []contact `json:"contacts,omitempty"`
	Template *template `json:"template,omitempty"`
}

// text carries preview_url inside the text object, as the Cloud API has it
// (the on-premises API had it top-level); sent only when true.
type text struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"`
}

// media is a file sent by link (no upload to /media first).
type media struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

type contact struct {
	Name   contactName    `json:"name"`
	Phones []contactPhone `json:"phones,omitempty"`
	Emails []contactEmail `json:"emails,omitempty"`
	Org    *contactOrg    `json:"org,omitempty"`
	URLs   []contactURL   `json:"urls,omitempty"`
}

type contactName struct {
	FormattedName string `json:"formatted_name"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
}

type contactPhone struct {
	Phone string `json:"phone"`
	Type  string `json:"type,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
}

type contactEmail struct {
	Email string `json:"email"`
	Type  string `json:"type,omitempty"`
}

type contactOrg struct {
	Company    string `json:"company,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

type contactURL struct {
	URL  string `json:"url"`
	Type string `json:"type,omitempty"`
}

type template struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code string `json:"code"`
}

type component struct {
	Type       string      `json:"type"` // header, body, button
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"` // buttons only, a string in Meta's examples
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type     string `json:"type"` // text, payload, image, video, document
	Text     string `json:"text,omitempty"`
	Payload  string `json:"payload,omitempty"`
	Image    *media `json:"image,omitempty"`
	Video    *media `json:"video,omitempty"`
	Document *media `json:"document,omitempty"`
}

// buildRequest builds the wire body for a validated m.
func buildRequest(m *message.Message) request {
	ct := &m.Content
	r := request{MessagingProduct: "whatsapp", RecipientType: "individual", To: message.WaID(m.To), Type: string(ct.Kind())}
	switch ct.Kind() {
	case message.KindText:
		r.Text = &text{Body: ct.Text.Body, PreviewURL: ct.Text.PreviewURL}
	case message.KindImage:
		r.Image = &media{Link: ct.Image.URL, Caption: ct.Image.Caption}
	case message.KindVideo:
		r.Video = &media{Link: ct.Video.URL, Caption: ct.Video.Caption}
	case message.KindAudio: // audio and stickers carry no caption
		r.Audio = &media{Link: ct.Audio.URL}
	case message.KindSticker:
		r.Sticker = &media{Link: ct.Sticker.URL}
	case message.KindDocument:
		r.Document = &media{Link: ct.Document.URL, Caption: ct.Document.Caption, Filename: ct.Document.Filename}
	case message.KindLocation:
		l := ct.Location
		r.Location = &location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	case message.KindContacts:
		r.Contacts = contacts(ct.Contacts)
	case message.KindTemplate:
		r.Template = buildTemplate(ct.Template)
	}
	return r
}

func contacts(in []message.Contact) []contact {
	out := make([]contact, 0, len(in))
	for _, c := range in {
		w := contact{Name: contactName{
			FormattedName: c.Name.FormattedName,
			FirstName:     c.Name.FirstName,
			LastName:      c.Name.LastName,
		}}
		// The Cloud API wants at least one name part besides formatted_name.
		if w.Name.FirstName == "" && w.Name.LastName == "" {
			w.Name.FirstName = c.Name.FormattedName
		}
		for _, p := range c.Phones {
			w.Phones = append(w.Phones, contactPhone{Phone: p.Phone, Type: p.Type, WaID: p.WaID})
		}
		for _, e := range c.Emails {
			w.Emails = append(w.Emails, contactEmail{Email: e.Email, Type: e.Type})
		}
		if o := c.Org; o != nil {
			w.Org = &contactOrg{Company: o.Company, Department: o.Department, Title: o.Title}
		}
		for _, u := range c.URLs {
			w.URLs = append(w.URLs, contactURL{URL: u.URL, Type: u.Type})
		}
		out = append(out, w)
	}
	return out
}

// buildTemplate builds a template body. The Cloud API finds templates by
// name and language in the business account, so a Namespace (an
// on-premises notion) is not sent; components without parameters are left
// out.
func buildTemplate(t *message.Template) *template {
	w := &template{Name: t.Name, Language: language{Code: t.Language}}
	if h := t.Header; h != nil {
		var p parameter
		switch {
		case h.Image != nil:
			p = parameter{Type: "image", Image: &media{Link: h.Image.URL}}
		case h.Video != nil:
			p = parameter{Type: "video", Video: &media{Link: h.Video.URL}}
		case h.Document != nil:
			p = parameter{Type: "document", Document: &media{Link: h.Document.URL, Filename: h.Document.Filename}}
		default:
			p = parameter{Type: "text", Text: h.Text}
		}
		w.Components = append(w.Components, component{Type: "header", Parameters: []parameter{p}})
	}
	if len(t.Body) > 0 {
		body := component{Type: "body", Parameters: make([]parameter, 0, len(t.Body))}
		for _, s := range t.Body {
			body.Parameters = append(body.Parameters, parameter{Type: "text", Text: s})
		}
		w.Components = append(w.Components, body)
	}
	for _, b := range t.Buttons {
		p := parameter{Type: "text", Text: b.Param}
		if b.SubType == "quick_reply" {
			p = parameter{Type: "payload", Payload: b.Param}
		}
		w.Components = append(w.Components, component{
			Type: "button", SubType: b.SubType, Index: strconv.Itoa(b.Index), Parameters: []parameter{p},
		})
	}
	return w
}
