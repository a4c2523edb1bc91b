package worker

import (
	"context"
	"strings"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
)

// reconcileAmbiguous applies a receipt whose provider message id was
// never recorded, and held for EventHoldFor, to the message to its
// recipient that was settled ambiguous (its request may have reached the
// provider, and the receipt says it did): the record moves on from
// failed (ambiguous) to the receipt's status and keeps the provider's id,
// so later receipts find it. Only at the end of the hold: by then a
// message the provider answered has its id recorded, so a receipt is not
// taken for the ambiguous one by mistake. Reports whether it applied.
func (h *Events) reconcileAmbiguous(ctx context.Context, account string, ev *providers.Event, log *zap.Logger) (bool, error) {
	to := strings.TrimSpace(ev.Recipient)
	if to == "" || ev.ProviderMessageID == "" || !ev.Status.ProviderTook() {
		return false, nil
	}
	if !strings.HasPrefix(to, "+") {
		to = "+" + to
	}
	id, err := h.store.TakeAmbiguous(ctx, account, to)
	if err != nil || id == "" {
		return false, err
	}
	rec, err := h.store.Get(ctx, id)
	if err != nil || rec.Status != message.Failed || rec.ErrorCode != store.AmbiguousCode {
		return false, nil // gone, or settled otherwise since
	}
	_, err = h.store.Transition(ctx, store.Ref{ID: rec.ID, CampaignID: rec.CampaignID, Account: account}, ev.Status,
		store.Update{ProviderMessageID: ev.ProviderMessageID})
	if err != nil && !store.IsTransitionError(err) {
		return false, err
	}
	log.Info("ambiguous message reconciled: the provider's receipt says it took it", zap.String("message", rec.ID),
		zap.String("provider_message_id", ev.ProviderMessageID), zap.String("status", string(ev.Status)))
	return err == nil, nil
}
