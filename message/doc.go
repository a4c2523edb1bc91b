// Package message is wabulk's domain model: what a message is, who it goes
// to, what it may carry, which states it moves through, and how it travels as
// an asynq task payload.
//
// It owns validation (E.164 recipients via github.com/nyaruka/phonenumbers,
// text and caption lengths, media kinds with the MIME types and size limits
// WhatsApp publishes, location ranges, contacts, templates) and the status
// machine every other package obeys. It must never do I/O: no Redis, no
// HTTP, no files, no clocks of its own (callers pass time in).
//
// A message in one line:
//
//	m := &message.Message{
//		ID:      "spring-sale:+255712345678",
//		Account: "tujenge-main",
//		To:      "+255712345678",
//		Content: message.Content{Template: &message.Template{
//			Name: "spring_sale", Language: "en", Body: []string{"Amina"},
//		}},
//	}
//	if err := m.Validate(); err != nil { ... }
//	task, err := message.NewSendTask(m)
package message
