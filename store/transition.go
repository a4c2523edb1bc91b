package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

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
// result is "ok", "same" (already there), "refused" or "missing".
var transitionScript = redis.NewScript(luaAllowed() + `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing', ''} end
if ARGV[8] ~= '' and cur ~= ARGV[8] then return {'refused', cur} end
-- A claim (the move to sending) reads its campaign's state in the same
-- step: once a pause or cancel has returned, nothing more is claimed.
if ARGV[1] == 'sending' then
  local st = redis.call('HGET', KEYS[4], 'state')
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
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'pmid', ARGV[6])
  redis.call('SET', KEYS[3], redis.call('HGET', KEYS[1], 'id'), 'PX', ARGV[7])
end
redis.call('HINCRBY', KEYS[2], cur, -1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if ARGV[9] == '1' and redis.call('HSETNX', KEYS[1], 'fallback', '1') == 1 then
  redis.call('HINCRBY', KEYS[2], '` + fallbackField + `', 1)
end
if ARGV[10] == '1' then redis.call('HSET', KEYS[1], 'retryable', '1') end
-- An outcome from a pending state counts in the campaign's current
-- 10-second bucket (CampaignRate), which keeps the time of its first;
-- receipts moving it on do not.
if KEYS[5] and (cur == 'queued' or cur == 'sending') and ARGV[1] ~= 'queued' and ARGV[1] ~= 'sending' then
  if redis.call('HINCRBY', KEYS[5], 'n', 1) == 1 then
    redis.call('HSET', KEYS[5], 'at', ARGV[2])
    redis.call('PEXPIRE', KEYS[5], ARGV[11])
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
// series (CampaignRate).
func (s *Store) Transition(ctx context.Context, ref Ref, to message.Status, u Update) (message.Status, error) {
	inc, fb := "0", "0"
	if u.IncAttempts {
		inc = "1"
	}
	if u.Fallback {
		fb = "1"
	}
	retryable := "0"
	if u.Retryable {
		retryable = "1"
	}
	now := s.now()
	pidKey := s.prefix + "pmid:-"
	if u.ProviderMessageID != "" {
		if ref.Account == "" {
			return "", errors.New("store: a provider message id needs the account")
		}
		pidKey = s.pidKey(ref.Account, u.ProviderMessageID)
	}
	campaignKey := s.prefix + "nocampaign"
	if ref.CampaignID != "" {
		campaignKey = s.campaignKey(ref.CampaignID)
	}
	v, err := transitionScript.Run(ctx, s.rdb,
		[]string{s.msgKey(ref.ID), s.countsKey(ref.CampaignID), pidKey, campaignKey, s.rateKey(ref.CampaignID, now)},
		string(to), strconv.FormatInt(ms(now), 10), inc, u.ErrorCode, u.Error,
		u.ProviderMessageID, strconv.FormatInt(s.pidTTL.Milliseconds(), 10), string(u.From), fb,
		retryable, strconv.FormatInt(rateKeep.Milliseconds(), 10)).StringSlice()
	if err != nil {
		return "", fmt.Errorf("move message %s to %s: %w", ref.ID, to, err)
	}
	prev := message.Status(v[1])
	switch v[0] {
	case "ok", "same":
		return prev, nil
	case "missing":
		return "", fmt.Errorf("message %s: %w", ref.ID, ErrNotFound)
	case "held":
		return message.Queued, &CampaignHeldError{ID: ref.ID, Campaign: ref.CampaignID, State: CampaignState(v[1])}
	default:
		return prev, &TransitionError{ID: ref.ID, From: prev, To: to}
	}
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
