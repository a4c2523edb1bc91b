package modica

import "github.com/wabulk/wabulk/message"

// request is the body of POST /rest/gateway/messages for one destination,
// as Modica's Mobile Gateway REST API (OpenAPI "Modica REST API v1.0.0")
// defines it. The fields this adapter never sets (class, mask, sms_class,
// scheduled) are left out; see doc.go.
type request struct {
	// Destination is the recipient in international format: E.164 with
	// the "+" ("+64211234567").
	Destination string `json:"destination"`
	// Content is the text, sent verbatim.
	Content string `json:"content"`
	// Source picks the sending number when the application has several:
	// Message.From, when set. Modica forbids sending class with it.
	Source string `json:"source,omitempty"`
	// Reference is the client's own reference: Message.ID.
	Reference string `json:"reference,omitempty"`
}

// newRequest builds the wire body for a validated text message m.
func newRequest(m *message.Message) request {
	return request{
		Destination: m.To,
		Content:     m.Content.Text.Body,
		Source:      m.From,
		Reference:   m.ID,
	}
}
