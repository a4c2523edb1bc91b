package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// Ref names a message and the campaign whose counters it moves.
type Ref struct {
	ID         string
	CampaignID string
	Account    string // needed only when setting a provider message id
}

// Update is what a transition writes besides the new status.
type Update struct {
	IncAttempts       bool
	ErrorCode         string // written as given: empty clears the last error
	Error             string
	ProviderMessageID string // when set, also indexed for receipts
	// From, when set, is a precondition: the move happens only if the
	// record is in this state (compare-and-set); otherwise a *TransitionError.
	From message.Status
	// Fallback marks the record as sent with its fallback template (the
	// 24-hour window was closed) and counts it once in its campaign.
	Fallback bool
	// Retryable marks a failure that only transient errors caused (the
	// worker gave up after its attempts): retry-failed may send it again
	// (Requeue). Receipts never set it: a provider's failure is final.
	Retryable bool
}

// TransitionError is returned when a move is not allowed from the record's
// current state (e.g. a late "sent" after "read", or a second send attempt).
type TransitionError struct {
	ID       string
	From, To message.Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("message %s: %s → %s is not allowed", e.ID, e.From, e.To)
}

// transitionScript moves a record to ARGV[1] if the transition table allows
// it, and moves the campaign counters with it. Replies {result, previous}:
// result is "ok", "same" (already there), "refused", "held" or "missing".
// KEYS: record, counts, campaign, rate bucket, members — one slot.
// ARGV[7] is the record retention and ARGV[12] the campaign's, in ms ("0":
// for ever).
var transitionScript = redis.NewScript(luaAllowed() + `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing', ''} end
if ARGV[8] ~= '' and cur ~= ARGV[8] then return {'refused', cur} end
-- A claim (the move to sending) reads its campaign's state in the same
-- step: once a pause or cancel has returned, nothing more is claimed.
if ARGV[1] == 'sending' then
  local st = redis.call('HGET', KEYS[3], 'state')
  if st == 'paused' or st == 'cancelled' then return {'held', st} end
end
if cur == ARGV[1] then return {'same', cur} end
local ok = ALLOWED[cur]
if not ok or not ok[ARGV[1]] then
  -- An ambiguous failure (the provider may have it) yields to the
  -- provider's definite word that it does.
  local took = ARGV[1] == 'accepted' or ARGV[1] == 'sent' or ARGV[1] == 'delivered' or ARGV[1] == 'read'
  if not (cur == 'failed' and took and redis.call('HGET', KEYS[1], 'code') == 'ambiguous') then
    return {'refused', cur}
  end
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated', ARGV[2], 'code', ARGV[4], 'error', ARGV[5])
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'pmid', ARGV[6]) end
redis.call('HINCRBY', KEYS[2], cur, -1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if ARGV[9] == '1' and redis.call('HSETNX', KEYS[1], 'fallback', '1') == 1 then
  redis.call('HINCRBY', KEYS[2], '` + fallbackField + `', 1)
end
if ARGV[10] == '1' then redis.call('HSET', KEYS[1], 'retryable', '1') end
local pending = ARGV[1] == 'queued' or ARGV[1] == 'sending'
-- A record with an outcome is kept for the retention after its last
-- change; a pending one for ever.
if not pending and ARGV[7] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
if (cur == 'queued' or cur == 'sending') and not pending then
  -- An outcome from a pending state counts in the campaign's current
  -- 10-second bucket (CampaignRate), which keeps the time of its first;
  -- receipts moving it on do not.
  if redis.call('HINCRBY', KEYS[4], 'n', 1) == 1 then
    redis.call('HSET', KEYS[4], 'at', ARGV[2])
    redis.call('PEXPIRE', KEYS[4], ARGV[11])
  end
  -- The campaign's last pending message: its member list lives as long
  -- as its records, its summary longer.
  if ARGV[12] ~= '0' then
    local left = tonumber(redis.call('HGET', KEYS[2], 'queued') or '0') + tonumber(redis.call('HGET', KEYS[2], 'sending') or '0')
    if left <= 0 then
      redis.call('PEXPIRE', KEYS[5], ARGV[7])
      redis.call('PEXPIRE', KEYS[3], ARGV[12])
      redis.call('PEXPIRE', KEYS[2], ARGV[12])
    end
  end
end
return {'ok', cur}
`)

// luaAllowed renders message's transition table as a Lua table, so the
// script and the Go code can never disagree.
func luaAllowed() string {
	var b strings.Builder
	b.WriteString("local ALLOWED = {")
	tr := message.Transitions()
	froms := make([]string, 0, len(tr))
	for f := range tr {
		froms = append(froms, string(f))
	}
	sort.Strings(froms)
	for _, f := range froms {
		fmt.Fprintf(&b, "[%q]={", f)
		for _, t := range tr[message.Status(f)] {
			fmt.Fprintf(&b, "[%q]=true,", string(t))
		}
		b.WriteString("},")
	}
	b.WriteString("}\n")
	return b.String()
}

// Transition moves message ref to status to, atomically with its campaign
// counters, and returns the status it had. Besides message's table, one move
// is allowed: a record that failed with code AmbiguousCode moves to
// accepted or beyond when the provider's answer turns up after all. Moving to the status it already
// has is a no-op that returns that status and no error. A move the table
// forbids returns a *TransitionError; a missing record, ErrNotFound. A move
// from a pending state to an outcome also counts in its campaign's rate
// series (CampaignRate). A record with an outcome expires after the
// store's Retention; the campaign's last outcome starts the expiry of its
// member list and summary.
//
// A claim (to sending) with Config.ConfirmReplicas set is confirmed on
// that many replicas before Transition returns; one that is not is moved
// back to queued and the error is ErrUnconfirmed: nothing may be sent on
// it.
func (s *Store) Transition(ctx context.Context, ref Ref, to message.Status, u Update) (message.Status, error) {
	if err := checkRef(ref.ID, ref.CampaignID); err != nil {
		return "", err
	}
	now := s.now()
	if u.ProviderMessageID != "" {
		if ref.Account == "" {
			return "", errors.New("store: a provider message id needs the account")
		}
		// The index lives in its own slot (receipts name only the
		// provider's id), so it is written first: an entry whose record
		// move failed points at a message the provider does have.
		if err := s.rdb.Set(ctx, s.pidKey(ref.Account, u.ProviderMessageID), ref.ID, s.retention).Err(); err != nil {
			return "", fmt.Errorf("index provider message %s of %s: %w", u.ProviderMessageID, ref.ID, err)
		}
	}
	keys, args := s.transitionCall(ref, to, u, now)
	var v []string
	var err error
	confirm := to == message.Sending && s.confirm > 0
	if confirm {
		v, err = s.runConfirmed(ctx, transitionScript, keys, args)
	} else {
		v, err = transitionScript.Run(ctx, s.rdb, keys, args...).StringSlice()
	}
	if err != nil && !errors.Is(err, ErrUnconfirmed) {
		return "", fmt.Errorf("move message %s to %s: %w", ref.ID, to, err)
	}
	prev := message.Status(v[1])
	switch v[0] {
	case "ok", "same":
		if errors.Is(err, ErrUnconfirmed) {
			return prev, s.undoClaim(ctx, ref, prev, err)
		}
		return prev, nil
	case "missing":
		return "", fmt.Errorf("message %s: %w", ref.ID, ErrNotFound)
	case "held":
		return message.Queued, &CampaignHeldError{ID: ref.ID, Campaign: ref.CampaignID, State: CampaignState(v[1])}
	default:
		return prev, &TransitionError{ID: ref.ID, From: prev, To: to}
	}
}

// transitionCall returns the keys and arguments of transitionScript for
// moving ref to status to.
func (s *Store) transitionCall(ref Ref, to message.Status, u Update, now time.Time) ([]string, []any) {
	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	sc := s.scopeOf(ref)
	campaignKeep := "0"
	if ref.CampaignID != "" {
		campaignKeep = strconv.FormatInt(s.campaignKeep.Milliseconds(), 10)
	}
	keys := []string{s.msgKey(ref.ID), s.countsKeyIn(sc), s.campaignKeyIn(sc), s.rateKey(sc, now), s.membersKeyIn(sc)}
	args := []any{string(to), strconv.FormatInt(ms(now), 10), flag(u.IncAttempts), u.ErrorCode, u.Error,
		u.ProviderMessageID, strconv.FormatInt(s.retention.Milliseconds(), 10), string(u.From), flag(u.Fallback),
		flag(u.Retryable), strconv.FormatInt(rateKeep.Milliseconds(), 10), campaignKeep}
	return keys, args
}

// AmbiguousCode is the error code of a failure recorded because the
// provider may or may not have received the message.
const AmbiguousCode = "ambiguous"

// IsTransitionError reports whether err is a refused transition.
func IsTransitionError(err error) bool {
	var te *TransitionError
	return errors.As(err, &te)
}

// MessageByProviderID returns the message id a provider's id points at.
func (s *Store) MessageByProviderID(ctx context.Context, account, pmid string) (string, error) {
	id, err := s.rdb.Get(ctx, s.pidKey(account, pmid)).Result()
	if err == redis.Nil {
		return "", fmt.Errorf("provider message %s on %s: %w", pmid, account, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("look up provider message %s: %w", pmid, err)
	}
	return id, nil
}
