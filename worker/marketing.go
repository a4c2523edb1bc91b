package worker

import (
	"github.com/wabulk/wabulk/message"
)

// marketingStopped reports whether m is a marketing template
// (message.Template.Marketing: declared marketing, or no category) to a
// contact that stopped the account's marketing messages (stopped, read
// with the opt-out: store.Suppression). Such a message ends opted_out with
// code marketing_stopped; free-form messages and utility and
// authentication templates are not concerned.
func marketingStopped(m *message.Message, stopped bool) bool {
	return stopped && m.Content.Kind() == message.KindTemplate && m.Content.Template.Marketing()
}
