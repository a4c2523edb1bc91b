package meta

import (
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

// request is the body of POST /{PhoneNumberID}/messages in the Cloud API
// format: the envelope and one content object, named by Type. Media go by
// link (no upload to /media first); preview_url sits inside "text"; a
// template's Namespace (an on-premises notion) is not sent, since the Cloud
// API finds templates by name and language in the business account.
type request struct {
	MessagingProduct string `json:"messaging_product"` // always "whatsapp"
	RecipientType    string `json:"recipient_type"`    // always "individual"
	To               string `json:"to"`                // E.164 digits, no "+"
	Type             string `json:"type"`

	whatsapp.Content
}

// buildRequest builds the wire body for a validated m.
func buildRequest(m *message.Message) request {
	return request{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		To:               message.WaID(m.To),
		Type:             string(m.Content.Kind()),
		Content:          whatsapp.NewContent(whatsapp.Cloud, &m.Content, ""),
	}
}
