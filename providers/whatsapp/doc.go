// Package whatsapp holds the message objects of the WhatsApp Business API
// that the on-premises API and the Cloud API share, built from
// message.Content; adapters add their envelope.
//
// It owns the content objects (text, media by link, location, contacts,
// template with its header, body and button parameters) and the few places
// where the two APIs differ, named by API: where preview_url sits, the
// template language's policy, and the template namespace. It never sends
// anything, validates content (message.Content.Validate does) or decides
// what a provider supports: an adapter refuses what it cannot carry before
// it builds.
//
// An adapter embeds Content in its own envelope, so the objects stand at
// the top level of the body beside the envelope's fields:
//
//	type request struct {
//		MessagingProduct string `json:"messaging_product"`
//		RecipientType    string `json:"recipient_type"`
//		To               string `json:"to"`
//		Type             string `json:"type"`
//		whatsapp.Content
//	}
//
//	r := request{MessagingProduct: "whatsapp", RecipientType: "individual",
//		To: message.WaID(m.To), Type: string(m.Content.Kind()),
//		Content: whatsapp.NewContent(whatsapp.Cloud, &m.Content, "")}
//
// Providers whose own message object reuses one WhatsApp object take just
// that builder (NewTemplate, NewContacts).
//
// It also reads the webhook changes both APIs' relays pass on besides
// statuses and messages (webhook.go): ChangeEvents turns a Cloud API
// user_preferences change into marketing stop and resume events, an
// account_update change into an account event (AccountUpdateEvent: a ban
// or messaging restriction asks for a pause, a reinstatement for lifting
// it), and a notification's system-level errors into account notices.
// Statuses and messages stay each adapter's, whose readings differ.
package whatsapp
