package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// Events is the event handler: one callback's events (a receipts.Batch,
// task type receipts.TypeEvents) applied to the store.
//
// Applying a batch is idempotent: the store only moves a record forward
// (a duplicate is "same", a late receipt is refused) and only moves a
// last-inbound time later. So a batch is always retried whole; events it
// applied before are applied again harmlessly.
type Events struct {
	cfg   Config
	store *store.Store
	log   *zap.Logger
	// siblings are the other accounts of each account's kind.
	siblings map[string][]string
}

var _ asynq.Handler = (*Events)(nil)

// NewEvents returns the event handler.
func NewEvents(cfg Config, st *store.Store) *Events {
	cfg = cfg.WithDefaults()
	return &Events{cfg: cfg, store: st, log: cfg.Logger, siblings: siblingAccounts(cfg.AccountKinds)}
}

// ProcessTask applies every event of the batch in order. A receipt whose
// provider message id is not recorded yet holds the batch: it is deferred
// (not a failure) by EventHoldDelay and tried again, until EventHoldFor
// after the callback was received; then such receipts are dropped with a
// warning. A payload that cannot be read is archived with the reason.
func (h *Events) ProcessTask(ctx context.Context, t *asynq.Task) error {
	b, err := receipts.DecodeTask(t.Payload())
	if err != nil {
		h.log.Warn("archiving unusable events task", zap.Error(err))
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if now := h.cfg.Now(); b.Received.After(now.Add(maxReceivedAhead)) {
		// Held receipts wait EventHoldFor from this time: one from the far
		// future would be deferred for ever.
		h.log.Warn("archiving an events task received in the future", zap.Time("received", b.Received))
		return fmt.Errorf("bad events payload: received at %s, more than %s after now (%s): %w",
			b.Received.Format(time.RFC3339), maxReceivedAhead, now.UTC().Format(time.RFC3339), asynq.SkipRetry)
	}
	log := h.log.With(zap.String("account", b.Account))
	var held []*providers.Event
	for i := range b.Events {
		ev := &b.Events[i]
		switch ev.Kind {
		case providers.EventStatus:
			applied, err := h.applyStatus(ctx, b.Account, b.Received, ev, log)
			if err != nil {
				countEvent(b.Account, "status", "error")
				return err
			}
			if !applied {
				held = append(held, ev)
				continue
			}
			countEvent(b.Account, "status", "applied")
		case providers.EventInbound:
			if ev.Group != "" {
				// Posted in a group chat: not written to the business.
				countEvent(b.Account, "inbound", "group")
				log.Debug("group message: opens no window and is no keyword",
					zap.String("from", ev.From), zap.String("group", ev.Group), zap.String("inbound_id", ev.InboundID))
				continue
			}
			if err := h.applyInbound(ctx, b, ev, log); err != nil {
				countEvent(b.Account, "inbound", "error")
				return err
			}
			countEvent(b.Account, "inbound", "applied")
		case providers.EventPreference:
			if err := h.applyPreference(ctx, b, ev, log); err != nil {
				countEvent(b.Account, "preference", "error")
				return err
			}
		case providers.EventAccount:
			if err := h.applyAccountNotice(ctx, b, ev, log); err != nil {
				countEvent(b.Account, "account", "error")
				return err
			}
		default:
			countEvent(b.Account, "other", "ignored")
			log.Warn("ignoring an event of unknown kind", zap.String("kind", string(ev.Kind)))
		}
	}
	if len(held) == 0 {
		return nil
	}
	left := b.Received.Add(h.cfg.EventHoldFor).Sub(h.cfg.Now())
	if left <= 0 {
		for _, ev := range held {
			if ok, err := h.reconcileAmbiguous(ctx, b.Account, ev, log); err != nil {
				return err
			} else if ok {
				countEvent(b.Account, "status", "reconciled")
				continue
			}
			countEvent(b.Account, "status", "dropped")
			log.Warn("dropping a receipt for a provider message id never recorded",
				zap.String("provider_message_id", ev.ProviderMessageID), zap.String("status", string(ev.Status)),
				zap.Duration("held_for", h.cfg.EventHoldFor))
		}
		return nil
	}
	for range held {
		countEvent(b.Account, "status", "held")
	}
	return deferFor(min(h.cfg.EventHoldDelay, left),
		fmt.Errorf("holding %d receipts until their provider message ids are recorded (first %s)", len(held), held[0].ProviderMessageID))
}

// maxReceivedAhead is how far a batch's receive time may lie ahead of this
// worker's clock (the receiving serve's clock may run ahead a little).
const maxReceivedAhead = 10 * time.Minute

// applyStatus moves the record a receipt names to the receipt's status and
// reports whether it is done with the event; false means the provider
// message id is not recorded yet and the event is held.
func (h *Events) applyStatus(ctx context.Context, account string, received time.Time, ev *providers.Event, log *zap.Logger) (done bool, err error) {
	log = log.With(zap.String("provider_message_id", ev.ProviderMessageID), zap.String("status", string(ev.Status)))
	if ev.ProviderMessageID == "" || !receiptStatus(ev.Status) {
		log.Warn("ignoring a receipt without a provider message id or with a status a receipt cannot set",
			zap.String("provider_status", ev.ProviderStatus))
		return true, nil
	}
	id, account, err := h.messageByProviderID(ctx, account, ev.ProviderMessageID, log)
	if errors.Is(err, store.ErrNotFound) {
		log.Debug("receipt for a provider message id not recorded yet; holding it")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rec, err := h.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		log.Warn("receipt for a message whose record is gone; dropped", zap.String("message", id))
		return true, nil
	}
	if err != nil {
		return false, err
	}
	var u store.Update
	if ev.Status == message.Failed {
		u = store.Update{ErrorCode: ev.ErrorCode, Error: ev.Error}
		if u.Error == "" && ev.ProviderStatus != "" {
			u.Error = "provider reported " + ev.ProviderStatus
		}
	}
	if ev.Status == message.Failed && windowCodes[ev.ErrorCode] {
		// The provider refused it for the window: the next free-form
		// message to the contact ends window_closed without a request,
		// unless the contact wrote after this was reported.
		at := ev.Time
		if at.IsZero() || at.After(received) {
			at = received
		}
		if closed, err := h.store.CloseWindowBefore(ctx, account, "", rec.To, at); err != nil {
			return false, err
		} else if closed {
			log.Debug("window closed by the provider's receipt", zap.String("contact", rec.To))
		}
	}
	to := ev.Status
	if ev.Status == message.Failed && windowCodes[ev.ErrorCode] {
		to = message.WindowClosed // the window, not the message, failed
	}
	prev, err := h.store.Transition(ctx, store.Ref{ID: rec.ID, CampaignID: rec.CampaignID}, to, u)
	log = log.With(zap.String("message", rec.ID), zap.String("was", string(prev)))
	switch {
	case err == nil:
		log.Debug("receipt applied")
	case store.IsTransitionError(err):
		log.Debug("late receipt; the record keeps its status", zap.Error(err))
	case errors.Is(err, store.ErrNotFound):
		log.Warn("receipt for a message whose record is gone; dropped")
	default:
		return false, err
	}
	return true, nil
}

// applyInbound opens the contact's 24-hour window: for the account's
// default sender, and for the business number it wrote to when the
// provider names one (the send guard keys the window by message.From).
func (h *Events) applyInbound(ctx context.Context, b *receipts.Batch, ev *providers.Event, log *zap.Logger) error {
	if !message.IsE164(ev.From) {
		log.Warn("ignoring an inbound message from a sender that is not an E.164 number",
			zap.String("from", ev.From), zap.String("inbound_id", ev.InboundID))
		return nil
	}
	// The provider's time, never later than the callback's arrival: a
	// provider clock running ahead must not keep the window open longer.
	t := ev.Time
	if t.IsZero() || t.After(b.Received) {
		t = b.Received
	}
	if err := h.store.SetLastInbound(ctx, b.Account, "", ev.From, t); err != nil {
		return err
	}
	if message.IsE164(ev.To) {
		if err := h.store.SetLastInbound(ctx, b.Account, ev.To, ev.From, t); err != nil {
			return err
		}
	}
	log.Debug("inbound message; window open", zap.String("from", ev.From), zap.String("to", ev.To), zap.Time("at", t))
	return h.applyKeyword(ctx, b.Account, ev, t, log)
}

// applyKeyword opts the contact out of (or back into) the account's
// messages when its whole text is an opt-out (opt-in) keyword. The change
// is ordered by when the contact wrote (at): a STOP redelivered, or
// applied again with a held batch, after a later START changes nothing.
func (h *Events) applyKeyword(ctx context.Context, account string, ev *providers.Event, at time.Time, log *zap.Logger) error {
	text := strings.TrimSpace(ev.Text)
	if text == "" {
		return nil
	}
	var applied bool
	var err error
	switch {
	case isKeyword(text, h.cfg.OptOutKeywords):
		applied, err = h.store.OptOutAt(ctx, account, ev.From, "keyword "+text, at)
	case isKeyword(text, h.cfg.OptInKeywords):
		applied, err = h.store.OptInAt(ctx, account, ev.From, at)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if applied {
		log.Info("contact changed its opt-out", zap.String("from", ev.From), zap.String("keyword", text), zap.Time("at", at))
	} else {
		log.Debug("keyword older than the contact's last opt-out change; ignored", zap.String("from", ev.From), zap.String("keyword", text))
	}
	return nil
}

// windowCodes are the WhatsApp error codes of a message sent outside the
// 24-hour window (on-premises 470, Cloud API 131047), which resellers pass
// on in failed receipts.
var windowCodes = map[string]bool{"470": true, "131047": true}

// isKeyword reports whether text (trimmed) is one of keywords, ignoring case.
func isKeyword(text string, keywords []string) bool {
	for _, k := range keywords {
		if strings.EqualFold(text, strings.TrimSpace(k)) {
			return true
		}
	}
	return false
}

// receiptStatus reports whether a receipt may move a record to s.
func receiptStatus(s message.Status) bool {
	return s.ProviderTook() || s == message.Failed
}
