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
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
)

// Limiter is what the send pipeline needs of a rate limiter
// (ratelimit.Local in one process, ratelimit.Shared across pods).
type Limiter interface {
	Reserve(ctx context.Context, r ratelimit.Request, maxWait time.Duration) (ratelimit.Reservation, error)
	Throttled(ctx context.Context, account string) error
}

// unlimited is the Limiter of a Sender given none.
type unlimited struct{}

func (unlimited) Reserve(context.Context, ratelimit.Request, time.Duration) (ratelimit.Reservation, error) {
	return ratelimit.Reservation{OK: true}, nil
}
func (unlimited) Throttled(context.Context, string) error { return nil }

// Sender is the send handler: one task in, one outcome recorded.
type Sender struct {
	cfg       Config
	store     *store.Store
	providers map[string]providers.Provider
	limiter   Limiter
	gate      *gate
	campaigns *campaigns
	budget    *budget
	log       *zap.Logger
}

var _ asynq.Handler = (*Sender)(nil)

// NewSender returns the send handler. providers maps account names to
// adapters; limiter may be nil (no limits at all).
func NewSender(cfg Config, st *store.Store, provs map[string]providers.Provider, limiter Limiter) *Sender {
	cfg = cfg.WithDefaults()
	if limiter == nil {
		limiter = unlimited{}
	}
	for account := range provs {
		// Every account's series exist from the start, at 0.
		breakerOpen.WithLabelValues(account).Add(0)
		accountPaused.WithLabelValues(account).Add(0)
		inflightSends.WithLabelValues(account).Add(0)
	}
	return &Sender{cfg: cfg, store: st, providers: provs, limiter: limiter, gate: newGate(cfg, st),
		campaigns: newCampaigns(cfg, st), budget: newBudget(st), log: cfg.Logger}
}

// ProcessTask runs the guards in order; see the package doc.
func (s *Sender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	m, sup, err := s.decode(ctx, t)
	switch {
	case message.IsPayloadError(err):
		return s.rejectPayload(ctx, err)
	case err != nil:
		return err // Redis trouble reading a compact task's record: try again
	}
	ref := store.Ref{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account}
	log := s.log.With(zap.String("message", m.ID), zap.String("account", m.Account))

	// The guards below settle a message only while its record is queued
	// (store.Update.From): one a provider already took, or one an earlier
	// run was sending, is left as it is or settled as ambiguous. Reading the
	// record and claiming it are one compare-and-set, right before the send.
	now := s.cfg.Now()
	if m.Expired(now) {
		return s.settle(ctx, ref, m, message.Expired, store.Update{ErrorCode: "ttl", Error: "TTL passed before sending"}, log)
	}
	if held, err := s.holdForQuietHours(ctx, ref, m, now, log); held {
		return err
	}
	// A paused campaign's messages wait, a cancelled one's end cancelled;
	// the claim below checks again atomically.
	switch st, err := s.campaigns.state(ctx, m.CampaignID); {
	case err != nil:
		return err
	case st == store.CampaignPaused:
		return s.deferUntil(ctx, ref, m, s.cfg.CampaignPausedRecheck, deferCampaign, errors.New("campaign paused"), log)
	case st == store.CampaignCancelled:
		return s.settle(ctx, ref, m, message.Cancelled, store.Update{ErrorCode: "cancelled", Error: "the campaign was cancelled"}, log)
	}
	// Both suppression lists are read at once (with a compact task's
	// record, when decode read them); the marketing stop is judged below,
	// once the message that goes (maybe the fallback) is known.
	if sup == nil || sup.Account != m.Account || sup.Contact != m.To {
		read, err := s.store.Suppression(ctx, m.Account, m.To)
		if err != nil {
			return err
		}
		sup = &read
	}
	if sup.OptedOut {
		return s.settle(ctx, ref, m, message.OptedOut, store.Update{ErrorCode: "opted_out",
			Error: "the recipient opted out of this account's messages"}, log)
	}
	fallback := false
	if m.Content.FreeForm() {
		open, why, err := s.windowOpen(ctx, m, now)
		if err != nil {
			return err
		}
		if !open {
			fb, ok := m.WithFallback()
			if !ok {
				return s.settle(ctx, ref, m, message.WindowClosed, store.Update{ErrorCode: "window", Error: why}, log)
			}
			// Outside the window only a template may go: the campaign's
			// fallback goes instead, under every guard that follows.
			m, fallback = fb, true
			log = log.With(zap.Bool("fallback", true))
		}
	}
	if marketingStopped(m, sup.MarketingStopped) {
		return s.settle(ctx, ref, m, message.OptedOut, store.Update{ErrorCode: "marketing_stopped",
			Error: "the recipient stopped this account's marketing messages"}, log)
	}
	prov, ok := s.providers[m.Account]
	if !ok {
		log.Error("no provider account of this name is configured in this worker; message waits")
		return s.deferUntil(ctx, ref, m, s.cfg.AccountRetryDelay, deferUnknownAcct, fmt.Errorf("unknown provider account %q", m.Account), log)
	}

	// A paused account or an open breaker: the message waits.
	wait, why, err := s.gate.wait(ctx, m.Account)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.deferUntil(ctx, ref, m, wait, gateReason(why), errors.New(why), log)
	}
	// The account's in-flight cap comes before the rate slot, so a slot is
	// never taken by a send that then cannot go.
	release, ok := s.gate.acquire(ctx, m.Account, s.cfg.MaxLimiterWait)
	if !ok {
		return s.deferUntil(ctx, ref, m, s.cfg.RetryBase, deferCap, errors.New("the account's concurrency cap is full"), log)
	}
	defer release()

	r, err := s.limiter.Reserve(ctx, ratelimit.Request{Account: m.Account, Recipient: m.To, Template: !m.Content.FreeForm()}, s.cfg.MaxLimiterWait)
	if err != nil {
		return err
	}
	if !r.OK {
		return s.deferUntil(ctx, ref, m, r.Wait, deferRateLimit, fmt.Errorf("%s limit", r.Reason), log)
	}
	limiterWaitSeconds.WithLabelValues(m.Account).Observe(r.Wait.Seconds())
	if r.Wait > 0 {
		if m.Expired(now.Add(r.Wait)) {
			return s.settle(ctx, ref, m, message.Expired, store.Update{ErrorCode: "ttl", Error: "TTL passes before the rate limit allows sending"}, log)
		}
		if err := sleep(ctx, r.Wait); err != nil {
			return err
		}
		// The provider may have failed while this send waited its turn.
		if wait, why, err := s.gate.wait(ctx, m.Account); err != nil {
			return err
		} else if wait > 0 {
			return s.deferUntil(ctx, ref, m, wait, gateReason(why), errors.New(why), log)
		}
	}
	// This pod's breaker, asked right before the send it will judge.
	done, wait, ok := s.gate.allow(m.Account)
	if !ok {
		return s.deferUntil(ctx, ref, m, wait, deferBreaker, errors.New("circuit breaker open in this worker"), log)
	}
	sent := false
	defer func() {
		if !sent {
			done(errNotSent)
		}
	}()

	// The record guard and the claim: queued → sending, or nothing is sent.
	// Exactly one run of a task gets past it, even when asynq runs the task
	// twice at once (a lease it thinks lost).
	if claimed, err := s.fromQueued(ctx, ref, m, message.Sending, store.Update{IncAttempts: true}, log); !claimed {
		return err
	}
	// The request runs to completion even if asynq cancels ctx (shutdown
	// abort, lease loss): once written, only its answer says what happened.
	inflight := inflightSends.WithLabelValues(m.Account)
	inflight.Inc()
	start := time.Now()
	rcpt, err := prov.Send(context.WithoutCancel(ctx), m)
	observeRequest(m.Account, time.Since(start), err)
	inflight.Dec()
	sent = true
	done(err)
	if err == nil {
		st := rcpt.Status
		if st == "" {
			st = message.Accepted
		}
		err := s.finish(ctx, ref, st, store.Update{ProviderMessageID: rcpt.ProviderMessageID, Fallback: fallback}, log)
		if err == nil {
			s.schedulePoll(ctx, m, prov, rcpt.ProviderMessageID, log)
		}
		return err
	}
	return s.onSendError(ctx, ref, m, providers.AsSendError(err), log)
}

// onSendError turns a classified failure into an outcome or a retry.
func (s *Sender) onSendError(ctx context.Context, ref store.Ref, m *message.Message, se *providers.SendError, log *zap.Logger) error {
	log = log.With(zap.String("class", se.Class.String()), zap.String("code", se.Code), zap.Int("http", se.HTTPStatus))
	if se.Ambiguous && !s.cfg.ResendAmbiguous {
		return s.ambiguous(ctx, ref, m, se.Error(), log)
	}
	switch se.Class {
	case providers.Permanent:
		if se.Reason == providers.ReasonWindowClosed {
			err := s.store.CloseWindow(ctx, m.Account, m.From, m.To)
			if err != nil {
				log.Warn("could not mark the window closed", zap.Error(err))
			}
			if m.Fallback != nil && err == nil {
				// The next run finds the window closed and sends the
				// fallback template; the refusal burns no attempt.
				log.Debug("provider says the window is closed; sending the fallback template instead")
				return s.requeue(ctx, ref, m, 0, false, se, log)
			}
			return s.finish(ctx, ref, message.WindowClosed, store.Update{ErrorCode: se.Code, Error: se.Error()}, log)
		}
		if se.Reason == providers.ReasonUnsupported {
			code := se.Code
			if code == "" {
				code = "unsupported"
			}
			return s.finish(ctx, ref, message.Invalid, store.Update{ErrorCode: code, Error: se.Error()}, log)
		}
		return s.finish(ctx, ref, message.Failed, store.Update{ErrorCode: se.Code, Error: se.Error()}, log)
	case providers.Account:
		s.gate.pause(ctx, m.Account, se)
		delay := max(s.cfg.AccountRetryDelay, se.RetryAfter)
		return s.requeue(ctx, ref, m, delay, false, se, log)
	default: // Transient
		n, _ := asynq.GetRetryCount(ctx)
		attempt := n + 1
		if se.Reason == providers.ReasonThrottled {
			// The provider's rate limit is a deferral: it says nothing about
			// this message, so it burns no attempt, never fails it, and every
			// pod slows down — unless it was the pair limit (one recipient,
			// Meta 131056), which says nothing about the account's rate.
			if se.Code != "131056" {
				if err := s.limiter.Throttled(ctx, m.Account); err != nil {
					log.Warn("could not lower the account's rate", zap.Error(err))
				}
			}
			return s.requeue(ctx, ref, m, max(backoff(attempt, s.cfg.RetryBase, s.cfg.RetryMax), se.RetryAfter), false, se, log)
		}
		if attempt >= s.cfg.MaxAttempts {
			return s.finish(ctx, ref, message.Failed, store.Update{ErrorCode: se.Code, Retryable: true,
				Error: fmt.Sprintf("gave up after %d transient failures: %v", attempt, se)}, log)
		}
		delay := max(backoff(attempt, s.cfg.RetryBase, s.cfg.RetryMax), se.RetryAfter)
		return s.requeue(ctx, ref, m, delay, true, se, log)
	}
}

// fromQueued moves a queued record to status to and reports whether it
// did. When the record is not queued, it returns what the task should
// return: nil when the message already has an outcome (never sent again),
// the ambiguous settlement when an earlier run was mid-attempt, SkipRetry
// when there is no record at all.
func (s *Sender) fromQueued(ctx context.Context, ref store.Ref, m *message.Message, to message.Status, u store.Update, log *zap.Logger) (bool, error) {
	u.From = message.Queued
	prev, err := s.store.Transition(ctx, ref, to, u)
	switch {
	case err == nil:
		log.Debug("moved", zap.String("status", string(to)), zap.String("code", u.ErrorCode))
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, fmt.Errorf("message %s has no record; nothing to update: %w", m.ID, asynq.SkipRetry)
	case isHeld(err) == store.CampaignPaused:
		return false, s.deferUntil(ctx, ref, m, s.cfg.CampaignPausedRecheck, deferCampaign, errors.New("campaign paused"), log)
	case isHeld(err) == store.CampaignCancelled:
		_, err := s.fromQueued(ctx, ref, m, message.Cancelled, store.Update{ErrorCode: "cancelled", Error: "the campaign was cancelled"}, log)
		return false, err
	case store.IsUnconfirmed(err):
		// No replica holds the claim: a failover now could roll it back
		// and a second run send again. Nothing is sent; the message waits.
		log.Warn("claim not confirmed by the Redis replicas; message waits", zap.Error(err))
		return false, s.deferUntil(ctx, ref, m, s.cfg.RetryBase, deferUnconfirmed, err, log)
	case !store.IsTransitionError(err):
		return false, err
	case prev == message.Sending:
		// An earlier run began an attempt and never recorded its result,
		// or another run of this task is sending it right now.
		return false, s.ambiguous(ctx, ref, m, "an earlier attempt was interrupted (worker stopped mid-request)", log)
	default:
		log.Debug("already has an outcome; not sent again", zap.String("status", string(prev)))
		return false, nil
	}
}

// settle gives a queued message an outcome without sending it.
func (s *Sender) settle(ctx context.Context, ref store.Ref, m *message.Message, to message.Status, u store.Update, log *zap.Logger) error {
	moved, err := s.fromQueued(ctx, ref, m, to, u, log)
	if moved {
		countOutcome(m.Account, to, u)
	}
	return err
}

// requeue puts the record back to queued and asks asynq to run the task
// again after delay, unless that is past the TTL.
func (s *Sender) requeue(ctx context.Context, ref store.Ref, m *message.Message, delay time.Duration, failure bool, se *providers.SendError, log *zap.Logger) error {
	if m.Expired(s.cfg.Now().Add(delay)) {
		return s.finish(ctx, ref, message.Expired, store.Update{ErrorCode: se.Code,
			Error: "TTL passes before the next try: " + se.Error()}, log)
	}
	if err := s.record(ctx, ref, message.Queued, store.Update{ErrorCode: se.Code, Error: se.Error()}); err != nil {
		return err
	}
	log.Debug("will try again", zap.Duration("in", delay), zap.Bool("counts_as_attempt", failure))
	if failure {
		retriesTotal.WithLabelValues(m.Account, retryReason(se)).Inc()
		return retryIn(delay, se)
	}
	reason := deferThrottled
	switch {
	case se.Class == providers.Account:
		reason = deferAccount
	case se.Reason == providers.ReasonWindowClosed:
		reason = deferFallback
	}
	deferralsTotal.WithLabelValues(m.Account, reason).Inc()
	return deferFor(delay, se)
}

// deferUntil defers a queued message without touching its record, unless
// the TTL passes first; reason is its wabulk_deferrals_total label.
func (s *Sender) deferUntil(ctx context.Context, ref store.Ref, m *message.Message, delay time.Duration, reason string, why error, log *zap.Logger) error {
	if m.Expired(s.cfg.Now().Add(delay)) {
		return s.settle(ctx, ref, m, message.Expired, store.Update{ErrorCode: "ttl", Error: "TTL passes while deferred: " + why.Error()}, log)
	}
	deferralsTotal.WithLabelValues(m.Account, reason).Inc()
	return deferFor(delay, why)
}

// gateReason is the deferral reason of a gate's why.
func gateReason(why string) string {
	if strings.HasPrefix(why, "account paused") {
		return deferAccount
	}
	return deferBreaker
}

// ambiguous settles a message whose last attempt may have reached the
// provider: never sent twice unless the operator allows it.
func (s *Sender) ambiguous(ctx context.Context, ref store.Ref, m *message.Message, why string, log *zap.Logger) error {
	if s.cfg.ResendAmbiguous {
		if err := s.record(ctx, ref, message.Queued, store.Update{ErrorCode: store.AmbiguousCode, Error: why}); err != nil {
			return err
		}
		return retryIn(s.cfg.RetryBase, errors.New(why))
	}
	log.Warn("provider may have received this message; not resending", zap.String("why", why))
	err := s.finish(ctx, ref, message.Failed, store.Update{ErrorCode: store.AmbiguousCode,
		Error: why + "; not resent to avoid a duplicate"}, log)
	if err == nil {
		// A receipt for it names a provider id never recorded: the note
		// lets it find this message by recipient (Events).
		if nerr := s.store.NoteAmbiguous(ctx, m.Account, m.To, ref.ID); nerr != nil {
			log.Warn("could not note the ambiguous message for its receipt", zap.Error(nerr))
		}
	}
	return err
}

// finish records an outcome. A refused transition means another run got
// there first; that is not an error.
func (s *Sender) finish(ctx context.Context, ref store.Ref, to message.Status, u store.Update, log *zap.Logger) error {
	err := s.record(ctx, ref, to, u)
	if store.IsTransitionError(err) {
		if to.ProviderTook() {
			// The provider took it, but the record was settled meanwhile
			// (e.g. another run marked it ambiguous): say so where operators look.
			log.Warn("provider accepted a message whose record was already settled", zap.Error(err),
				zap.String("provider_message_id", u.ProviderMessageID))
			return nil
		}
		log.Debug("outcome already recorded", zap.Error(err))
		return nil
	}
	if err == nil {
		log.Debug("outcome", zap.String("status", string(to)), zap.String("code", u.ErrorCode))
		countOutcome(ref.Account, to, u)
		s.budget.check(ctx, ref.CampaignID, to, log)
	}
	return err
}

// record writes a transition, riding out a Redis failover of up to
// recordPatience: after a send, losing the outcome would turn a definite
// answer into an ambiguous failure on the next run. (Behind Sentinel with
// min-replicas-to-write, a new master refuses writes until its replica is
// back: 12 s on the failover benchmark.)
func (s *Sender) record(ctx context.Context, ref store.Ref, to message.Status, u store.Update) error {
	var err error
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(recordPatience)
	for {
		_, err = s.store.Transition(context.WithoutCancel(ctx), ref, to, u)
		if err == nil || store.IsTransitionError(err) || errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			return err
		}
		s.log.Warn("recording an outcome failed; trying again", zap.String("message", ref.ID), zap.Error(err))
		time.Sleep(wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// recordPatience is how long record keeps trying to write an outcome.
const recordPatience = 45 * time.Second

// rejectPayload archives a task whose payload can never be sent, marking
// its record invalid when the payload named one.
func (s *Sender) rejectPayload(ctx context.Context, err error) error {
	var pe *message.PayloadError
	if errors.As(err, &pe) && pe.ID != "" {
		rec, gerr := s.store.Get(ctx, pe.ID)
		if gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
			return gerr // Redis trouble: try again rather than leave the record queued forever
		}
		if gerr == nil {
			ref := store.Ref{ID: rec.ID, CampaignID: rec.CampaignID, Account: rec.Account}
			if terr := s.record(ctx, ref, message.Invalid, store.Update{ErrorCode: "payload", Error: pe.Err.Error()}); terr != nil && !store.IsTransitionError(terr) {
				return terr
			}
		}
	}
	s.log.Warn("archiving unusable task", zap.Error(err))
	return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isHeld returns the campaign state that held a claim, or "".
func isHeld(err error) store.CampaignState {
	st, _ := store.IsCampaignHeld(err)
	return st
}
