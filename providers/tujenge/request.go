package tujenge

import (
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// request is the body of POST /v1/messages in the on-premises WhatsApp
// Business API v1 format: the envelope and one content object, named by
// Type. Media go by link ("send-file-as-link", which Tujenge recommends
// over uploading first).
type request struct {
	RecipientType string `json:"recipient_type"`
	To            string `json:"to"` // wa_id: E.164 without "+"
	Type          string `json:"type"`
	// PreviewURL is top-level in the on-premises API (the Cloud API moved it
	// into "text"); sent only when true.
	PreviewURL bool `json:"preview_url,omitempty"`

	whatsapp.Content
}

// request builds the wire body for a validated m. A template's namespace
// wins over the account's.
func (c *Client) request(m *message.Message) request {
	ct := &m.Content
	r := request{
		RecipientType: "individual",
		To:            message.WaID(m.To),
		Type:          string(ct.Kind()),
		Content:       whatsapp.NewContent(whatsapp.OnPremises, ct, c.namespace),
	}
	if ct.Kind() == message.KindText {
		r.PreviewURL = ct.Text.PreviewURL
	}
	return r
}
