package worker

import (
	"context"

	"github.com/wabulk/wabulk/message"
)

// marketingStopped reports whether m is a marketing template
// (message.Template.Marketing: declared marketing, or no category) to a
// contact that stopped the account's marketing messages. Such a message
// ends opted_out with code marketing_stopped; free-form messages and
// utility and authentication templates are not concerned.
func (s *Sender) marketingStopped(ctx context.Context, m *message.Message) (bool, error) {
	if m.Content.Kind() != message.KindTemplate || !m.Content.Template.Marketing() {
		return false, nil
	}
	return s.store.MarketingStopped(ctx, m.Account, m.To)
}
