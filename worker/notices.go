package worker

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
)

// applyPreference records a contact's marketing stop or resume on the
// account whose endpoint received it, ordered by when the contact changed
// it (never later than the callback's arrival): a stop redelivered after
// a later resume changes nothing. The send guard then spares the contact
// marketing templates (opted_out, marketing_stopped).
func (h *Events) applyPreference(ctx context.Context, b *receipts.Batch, ev *providers.Event, log *zap.Logger) error {
	log = log.With(zap.String("from", ev.From), zap.String("preference", string(ev.Preference)))
	if !message.IsE164(ev.From) {
		countEvent(b.Account, "preference", "ignored")
		log.Warn("ignoring a preference change of a contact that is not an E.164 number")
		return nil
	}
	at := ev.Time
	if at.IsZero() || at.After(b.Received) {
		at = b.Received
	}
	var applied bool
	var err error
	switch ev.Preference {
	case providers.MarketingStop:
		applied, err = h.store.StopMarketingAt(ctx, b.Account, ev.From, "contact stopped marketing messages ("+ev.ProviderStatus+")", at)
	case providers.MarketingResume:
		applied, err = h.store.ResumeMarketingAt(ctx, b.Account, ev.From, at)
	default:
		countEvent(b.Account, "preference", "ignored")
		log.Warn("ignoring a preference wabulk does not know")
		return nil
	}
	if err != nil {
		return err
	}
	countEvent(b.Account, "preference", "applied")
	if applied {
		log.Info("contact changed its marketing preference", zap.Time("at", at))
	} else {
		log.Debug("preference older than the contact's last change; ignored", zap.Time("at", at))
	}
	return nil
}

// noticePrefix starts the pause reason of a provider's notice: the
// account-level reason (as the send path writes "blocked (...)"), then
// the notice's name, which a notice lifting it matches.
func noticePrefix(notice string) string {
	return fmt.Sprintf("%s (provider notice %s: ", providers.ReasonBlocked, notice)
}

// applyAccountNotice acts on a provider's notice about the account: a
// ban, a messaging restriction or a deleted account pauses it (its
// messages wait, as after an account-level send error, until `wabulk
// provider resume` or a notice lifting it); a lifting notice (a ban
// reinstated) resumes it only when that notice's kind caused the pause;
// anything else (a system-level error, a ban scheduled for later) is
// logged.
func (h *Events) applyAccountNotice(ctx context.Context, b *receipts.Batch, ev *providers.Event, log *zap.Logger) error {
	log = log.With(zap.String("notice", ev.ProviderStatus), zap.String("code", ev.ErrorCode), zap.String("detail", ev.Error))
	switch ev.Action {
	case providers.AccountPause:
		if err := h.store.PauseAccount(ctx, b.Account, noticePrefix(ev.ProviderStatus)+ev.Error+")"); err != nil {
			return err
		}
		countEvent(b.Account, "account", "paused")
		log.Error("account paused on the provider's notice; its messages wait until `wabulk provider resume " + b.Account + "` or a notice that lifts it")
	case providers.AccountResume:
		if ev.Lifts == "" {
			countEvent(b.Account, "account", "ignored")
			log.Warn("ignoring a lifting notice that names nothing it lifts")
			return nil
		}
		resumed, err := h.store.ResumeAccountPausedFor(ctx, b.Account, noticePrefix(ev.Lifts))
		if err != nil {
			return err
		}
		if resumed {
			countEvent(b.Account, "account", "resumed")
			log.Warn("account resumed: the provider lifted the notice that paused it", zap.String("lifts", ev.Lifts))
			return nil
		}
		countEvent(b.Account, "account", "ignored")
		log.Info("the provider lifted a notice, but the account is not paused by it; nothing changed", zap.String("lifts", ev.Lifts))
	default:
		countEvent(b.Account, "account", "logged")
		log.Warn("provider notice about the account")
	}
	return nil
}
