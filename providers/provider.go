package providers

import (
	"context"

	"github.com/wabulk/wabulk/message"
)

// Provider sends messages through one provider account.
type Provider interface {
	// Send delivers m to the provider. On success the Receipt carries the
	// provider's message id; on failure the error is a *SendError.
	Send(ctx context.Context, m *message.Message) (Receipt, error)
}

// Receipt is what a provider says when it accepts a message.
type Receipt struct {
	// ProviderMessageID is the provider's id for the message (wamid...),
	// the key its status callbacks use.
	ProviderMessageID string
	// Status is message.Accepted unless the provider's synchronous answer is
	// already further along (e.g. message.Sent).
	Status message.Status
}
