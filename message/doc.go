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
// A template may declare its WhatsApp category (Template.Category:
// marketing, utility or authentication). It is never sent; the worker
// reads it to spare contacts that stopped marketing messages, and a
// template that declares none counts as marketing there
// (Template.Marketing): declare utility and authentication templates
// (reminders, one-time codes) so they reach those contacts too.
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
