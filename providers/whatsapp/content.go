package whatsapp

import "github.com/wabulk/wabulk/message"

// Content is the content of one message: exactly one field is set, named
// by the message's "type" (message.Content.Kind), which the envelope
// carries.
type Content struct {
	Text     *Text     `json:"text,omitempty"`
	Image    *Media    `json:"image,omitempty"`
	Video    *Media    `json:"video,omitempty"`
	Audio    *Media    `json:"audio,omitempty"`
	Document *Media    `json:"document,omitempty"`
	Sticker  *Media    `json:"sticker,omitempty"`
	Location *Location `json:"location,omitempty"`
	Contacts []Contact `json:"contacts,omitempty"`
	Template *Template `json:"template,omitempty"`
}

// Text is a text message. PreviewURL is set only in the Cloud API and sent
// only when true; the on-premises API has preview_url in its envelope.
type Text struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"`
}

// Media is a file sent by link (no upload to the API's media endpoint
// first).
type Media struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Location is a pin on the map.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// NewContent builds the content object of a validated c for api.
// namespace is the account's template namespace, sent on-premises when the
// template names none; the Cloud API ignores it.
func NewContent(api API, c *message.Content, namespace string) Content {
	var w Content
	switch c.Kind() {
	case message.KindText:
		w.Text = &Text{Body: c.Text.Body}
		if api == Cloud {
			w.Text.PreviewURL = c.Text.PreviewURL
		}
	case message.KindImage:
		w.Image = &Media{Link: c.Image.URL, Caption: c.Image.Caption}
	case message.KindVideo:
		w.Video = &Media{Link: c.Video.URL, Caption: c.Video.Caption}
	case message.KindAudio: // audio and stickers carry no caption
		w.Audio = &Media{Link: c.Audio.URL}
	case message.KindSticker:
		w.Sticker = &Media{Link: c.Sticker.URL}
	case message.KindDocument:
		w.Document = &Media{Link: c.Document.URL, Caption: c.Document.Caption, Filename: c.Document.Filename}
	case message.KindLocation:
		l := c.Location
		w.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	case message.KindContacts:
		w.Contacts = NewContacts(c.Contacts)
	case message.KindTemplate:
		w.Template = NewTemplate(api, c.Template, namespace)
	}
	return w
}
