package whatsapp

import (
	"cmp"
	"strconv"

	"github.com/wabulk/wabulk/message"
)

// Template is a template message: the template by name and language, and
// the parameters that fill it.
type Template struct {
	Namespace  string      `json:"namespace,omitempty"` // on-premises only
	Name       string      `json:"name"`
	Language   Language    `json:"language"`
	Components []Component `json:"components,omitempty"`
}

// Language picks the template's translation. Policy is set on-premises
// only.
type Language struct {
	Policy string `json:"policy,omitempty"`
	Code   string `json:"code"`
}

// Component fills one part of a template: its header, its body or one
// button.
type Component struct {
	Type       string      `json:"type"` // header, body, button
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"` // buttons only, a string in the API
	Parameters []Parameter `json:"parameters"`
}

// Parameter is one value of a component: text, a quick-reply payload, or a
// header's media.
type Parameter struct {
	Type     string `json:"type"` // text, payload, image, video, document
	Text     string `json:"text,omitempty"`
	Payload  string `json:"payload,omitempty"`
	Image    *Media `json:"image,omitempty"`
	Video    *Media `json:"video,omitempty"`
	Document *Media `json:"document,omitempty"`
}

// NewTemplate builds the template object of t for api. On-premises, the
// template's own namespace wins over namespace (the account's); the Cloud
// API sends neither. Components without parameters are left out.
func NewTemplate(api API, t *message.Template, namespace string) *Template {
	w := &Template{Name: t.Name, Language: Language{Code: t.Language}}
	if api == OnPremises {
		w.Namespace = cmp.Or(t.Namespace, namespace)
		w.Language.Policy = languagePolicy
	}
	if h := t.Header; h != nil {
		var p Parameter
		switch {
		case h.Image != nil:
			p = Parameter{Type: "image", Image: &Media{Link: h.Image.URL}}
		case h.Video != nil:
			p = Parameter{Type: "video", Video: &Media{Link: h.Video.URL}}
		case h.Document != nil:
			p = Parameter{Type: "document", Document: &Media{Link: h.Document.URL, Filename: h.Document.Filename}}
		default:
			p = Parameter{Type: "text", Text: h.Text}
		}
		w.Components = append(w.Components, Component{Type: "header", Parameters: []Parameter{p}})
	}
	if len(t.Body) > 0 {
		body := Component{Type: "body", Parameters: make([]Parameter, 0, len(t.Body))}
		for _, s := range t.Body {
			body.Parameters = append(body.Parameters, Parameter{Type: "text", Text: s})
		}
		w.Components = append(w.Components, body)
	}
	for _, b := range t.Buttons {
		p := Parameter{Type: "text", Text: b.Param}
		if b.SubType == "quick_reply" {
			p = Parameter{Type: "payload", Payload: b.Param}
		}
		w.Components = append(w.Components, Component{
			Type: "button", SubType: b.SubType, Index: strconv.Itoa(b.Index), Parameters: []Parameter{p},
		})
	}
	return w
}
