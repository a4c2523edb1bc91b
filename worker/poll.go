package worker

import (
	"context"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// schedulePoll puts a message the provider just accepted on its account's
// status-polling due-set, first due PollFirstAfter from now, when the
// provider has no push receipts (prov is a providers.StatusPoller, e.g.
// DecisionTelecom) and named an id to ask about. receipts.Poller asks from
// then on and hands what it learns to the event processor, like a callback.
//
// The send has already succeeded and is recorded: a failure here costs
// only this message's receipts, so it is logged, never returned (returning
// it would have asynq run a task whose message must not be sent again).
func (s *Sender) schedulePoll(ctx context.Context, m *message.Message, prov providers.Provider, providerMessageID string, log *zap.Logger) {
	if _, ok := prov.(providers.StatusPoller); !ok || providerMessageID == "" {
		return
	}
	at := s.cfg.Now().Add(s.cfg.PollFirstAfter)
	if err := s.store.SchedulePoll(context.WithoutCancel(ctx), m.Account, providerMessageID, at); err != nil {
		log.Warn("could not schedule status polling: this message's receipts will not be polled",
			zap.String("provider_message_id", providerMessageID), zap.Error(err))
	}
}
