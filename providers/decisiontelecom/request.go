package decisiontelecom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/message"
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

type template struct {
	Namespace  string      `json:"namespace,omitempty"`
	Language   language    `json:"language"`
	Name       string      `json:"name"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Policy string `json:"policy"`
	Code   string `json:"code"`
}

type component struct {
	Type       string      `json:"type"` // header, body, button
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"` // buttons only, a string in the API
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type     string `json:"type"` // text, payload, image, video, document
	Text     string `json:"text,omitempty"`
	Payload  string `json:"payload,omitempty"`
	Image    *link  `json:"image,omitempty"`
	Video    *link  `json:"video,omitempty"`
	Document *link  `json:"document,omitempty"`
}

type link struct {
	Link     string `json:"link"`
	Filename string `json:"filename,omitempty"`
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
			return request{}, invalid(err)
		}
		r.MessageType = typeTemplate
		r.TemplateName = ct.Template.Name
		r.TemplateParams = string(params)
	default:
		return request{}, unsupported(fmt.Sprintf("%s messages are not supported by DecisionTelecom", k))
	}
	return r, nil
}

// imageURL refuses a file_url without the extension the document makes
// mandatory: DecisionTelecom would answer code 9 (invalid file extension).
func imageURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return invalid(err)
	}
	ext := strings.ToLower(path.Ext(u.Path))
	if !imageExtensions[ext] {
		return unsupported("image messages are not supported by DecisionTelecom unless the file_url ends in .jpg, .jpeg or .png")
	}
	return nil
}

// buildTemplate builds the template object: components without parameters
// are left out.
func buildTemplate(t *message.Template) template {
	w := template{
		Namespace: t.Namespace,
		Language:  language{Policy: "deterministic", Code: t.Language},
		Name:      t.Name,
	}
	if h := t.Header; h != nil {
		var p parameter
		switch {
		case h.Image != nil:
			p = parameter{Type: "image", Image: &link{Link: h.Image.URL}}
		case h.Video != nil:
			p = parameter{Type: "video", Video: &link{Link: h.Video.URL}}
		case h.Document != nil:
			p = parameter{Type: "document", Document: &link{Link: h.Document.URL, Filename: h.Document.Filename}}
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

// pollRequest is the body of POST receive-whatsapp.
type pollRequest struct {
	MessageID json.Number `json:"message_id"`
}
