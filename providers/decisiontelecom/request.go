package decisiontelecom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/internal/wire"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// The document's message_type values.
const (
	typeText     = 1 // text message
	typeMedia    = 2 // message with media data (jpg, jpeg or png images)
	typeTemplate = 4 // message based on a registered template
)

// imageExtensions are the file_url extensions the document accepts
// ("jpg or jpeg (mime type is image/jpeg), png (mime type is image/png)").
var imageExtensions = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// request is the body of POST send-whatsapp: one flat object whose
// message_type says which of text, file_url and template_* matter.
type request struct {
	SourceAddr string `json:"source_addr"`
	// DestinationAddr is the recipient's digits (E.164 without "+") as a
	// JSON number, as the document's example writes it (8882222200). E.164
	// has at most 15 digits, well inside a float64's exact range.
	DestinationAddr json.Number `json:"destination_addr"`
	MessageType     int         `json:"message_type"`
	Text            string      `json:"text,omitempty"`
	FileURL         string      `json:"file_url,omitempty"`
	CallbackURL     string      `json:"callback_url,omitempty"`
	TemplateName    string      `json:"template_name,omitempty"`
	// TemplateParams is a JSON document carried as a JSON string, as the
	// document shows it: the on-premises WhatsApp template message
	// ({"to","type":"template","template":{...}}).
	TemplateParams string `json:"template_params,omitempty"`
}

// templateMessage is what template_params holds: the on-premises WhatsApp
// Business API template message the document links to
// (developers.facebook.com/docs/whatsapp/api/messages/message-templates).
type templateMessage struct {
	To       string   `json:"to"` // wa_id, a string here as in the document
	Type     string   `json:"type"`
	Template template `json:"template"`
}

// template is the on-premises template object with its keys in the
// document's order (language before name); whatsapp.NewTemplate fills it.
type template struct {
	Namespace  string               `json:"namespace,omitempty"`
	Language   whatsapp.Language    `json:"language"`
	Name       string               `json:"name"`
	Components []whatsapp.Component `json:"components,omitempty"`
}

// request builds the wire body for a validated m, or refuses content
// DecisionTelecom cannot carry.
func (c *Client) request(m *message.Message) (request, error) {
	ct := &m.Content
	waID := message.WaID(m.To)
	r := request{
		SourceAddr:      c.source,
		DestinationAddr: json.Number(waID),
		CallbackURL:     c.callback,
	}
	switch k := ct.Kind(); k {
	case message.KindText:
		r.MessageType = typeText
		r.Text = ct.Text.Body
	case message.KindImage:
		if err := imageURL(ct.Image.URL); err != nil {
			return request{}, err
		}
		r.MessageType = typeMedia
		r.FileURL = ct.Image.URL
		r.Text = ct.Image.Caption
	case message.KindTemplate:
		params, err := json.Marshal(templateMessage{To: waID, Type: "template", Template: buildTemplate(ct.Template)})
		if err != nil {
			return request{}, wire.Invalid(err)
		}
		r.MessageType = typeTemplate
		r.TemplateName = ct.Template.Name
		r.TemplateParams = string(params)
	default:
		return request{}, wire.Unsupported(fmt.Sprintf("%s messages are not supported by DecisionTelecom", k))
	}
	return r, nil
}

// imageURL refuses a file_url without the extension the document makes
// mandatory: DecisionTelecom would answer code 9 (invalid file extension).
func imageURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return wire.Invalid(err)
	}
	ext := strings.ToLower(path.Ext(u.Path))
	if !imageExtensions[ext] {
		return wire.Unsupported("image messages are not supported by DecisionTelecom unless the file_url ends in .jpg, .jpeg or .png")
	}
	return nil
}

// buildTemplate builds the template object: the message's namespace, if
// any (DecisionTelecom keeps no account namespace), and only the
// components that have parameters.
func buildTemplate(t *message.Template) template {
	w := whatsapp.NewTemplate(whatsapp.OnPremises, t, "")
	return template{Namespace: w.Namespace, Language: w.Language, Name: w.Name, Components: w.Components}
}

// pollRequest is the body of POST receive-whatsapp.
type pollRequest struct {
	// MessageID is the id as DecisionTelecom gave it: a json.Number when it
	// is a whole number in decimal digits, as the document writes it
	// ({"message_id":554}), else a string.
	MessageID any `json:"message_id"`
}
