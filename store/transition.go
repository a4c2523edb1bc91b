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
// result is "ok", "same" (already there), "refused", "held", "missing" or
// "rebucket" (previous: the campaign's shape, not ARGV[14]); a third
// element "drained" when this was the last pending message of its part.
// KEYS: record (bucket or own key), and its part's counts, campaign (or
// part) hash, rate bucket, members, stats (stats.go) — one slot. ARGV[13]
// is the record's field in its bucket ("": a key of its own), ARGV[7] the
// record retention and ARGV[12] the campaign's, in ms ("0": for ever),
// ARGV[15] the series bucket of ARGV[2] (SeriesStep). The stats move only
// in a campaign whose (part) hash has them on (statsField): entering a
// coded state counts the record's (status, code, retryable), leaving one
// uncounts what it had (an ambiguous failure the provider took after
// all), and an outcome counts in the series.
var transitionScript = redis.NewScript(luaAllowed() + luaRecord() + luaStats() + `
local F = ARGV[13]
local stats = false
if F ~= '' then
  local h = redis.call('HMGET', KEYS[3], 'buckets', '` + statsField + `')
  local b = h[1]
  if b and b ~= ARGV[14] then return {'rebucket', b} end
  stats = h[2] == '1'
end
local v = rload(KEYS[1], F)
if not v then return {'missing', ''} end
local t = runpack(v)
local cur = NAME[t[F_STATUS]] or ''
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
  if not (cur == 'failed' and took and t[F_CODE_] == 'ambiguous') then
    return {'refused', cur}
  end
end
local oldcode, oldr = t[F_CODE_], string.find(t[F_FLAGS], 'r', 1, true) ~= nil
t[F_STATUS] = CODE[ARGV[1]]
t[F_UPDATED] = b36(tonumber(ARGV[2]) - tonumber(t[F_CREATED], 36))
t[F_CODE_] = ARGV[4]
t[F_ERROR] = ARGV[5]
if ARGV[3] == '1' then t[F_ATTEMPTS] = tostring((tonumber(t[F_ATTEMPTS]) or 0) + 1) end
if ARGV[6] ~= '' then t[F_PMID] = ARGV[6] end
local fellback = false
if ARGV[9] == '1' and not string.find(t[F_FLAGS], 'f', 1, true) then
  flagset(t, 'f')
  fellback = true
end
if ARGV[10] == '1' then flagset(t, 'r') end
rsave(KEYS[1], F, t)
redis.call('HINCRBY', KEYS[2], cur, -1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if fellback then redis.call('HINCRBY', KEYS[2], '` + fallbackField + `', 1) end
if stats then
  if CODED[cur] then statsub(KEYS[6], cur, oldcode, oldr) end
  if CODED[ARGV[1]] then statadd(KEYS[6], ARGV[1], ARGV[4], string.find(t[F_FLAGS], 'r', 1, true) ~= nil, ARGV[5], ARGV[2]) end
end
local pending = ARGV[1] == 'queued' or ARGV[1] == 'sending'
local waspending = cur == 'queued' or cur == 'sending'
-- A record with an outcome is kept for the retention after its last
-- change; a pending one for ever. A bucket lives as long as its longest.
if F ~= '' and waspending ~= pending then
  redis.call('HINCRBY', KEYS[1], '#', pending and 1 or -1)
end
if not pending and ARGV[7] ~= '0' then
  if F == '' or tonumber(redis.call('HGET', KEYS[1], '#') or '0') <= 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[7])
  end
elseif pending and F ~= '' then
  redis.call('PERSIST', KEYS[1])
end
if waspending and not pending then
  -- An outcome from a pending state counts in the campaign's current
  -- 10-second bucket (CampaignRate), which keeps the time of its first;
  -- receipts moving it on do not.
  if redis.call('HINCRBY', KEYS[4], 'n', 1) == 1 then
    redis.call('HSET', KEYS[4], 'at', ARGV[2])
    redis.call('PEXPIRE', KEYS[4], ARGV[11])
  end
  -- And in the campaign's series (CampaignSeries), kept as long as its
  -- counts.
  if stats then
    redis.call('HINCRBY', KEYS[6], 'o|' .. ARGV[15], 1)
    local took = ARGV[1] == 'accepted' or ARGV[1] == 'sent' or ARGV[1] == 'delivered' or ARGV[1] == 'read'
    if not took then redis.call('HINCRBY', KEYS[6], 'f|' .. ARGV[15], 1) end
  end
  -- The campaign's last pending message: its member list lives as long
  -- as its records, its summary longer.
  if ARGV[12] ~= '0' then
    local left = tonumber(redis.call('HGET', KEYS[2], 'queued') or '0') + tonumber(redis.call('HGET', KEYS[2], 'sending') or '0')
    if left <= 0 then
      redis.call('PEXPIRE', KEYS[5], ARGV[7])
      redis.call('PEXPIRE', KEYS[3], ARGV[12])
      redis.call('PEXPIRE', KEYS[2], ARGV[12])
      redis.call('PEXPIRE', KEYS[6], ARGV[12])
      -- The caller tells a campaign of several parts (drainedPart).
      return {'ok', cur, 'drained'}
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
// series (CampaignRate) and, with a failure's code, in its stats
// (CampaignSeries, CampaignCodes). A record with an outcome expires after the
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
	indexed := true // the provider message id's index entry is written
	if u.ProviderMessageID != "" {
		if ref.Account == "" {
			return "", errors.New("store: a provider message id needs the account")
		}
		// The index lives in its own slot (receipts name only the
		// provider's id), so it is written first: an entry whose record
		// move failed points at a message the provider does have. On one
		// node (or Sentinel's master) it goes in the same round trip as
		// the move, ahead of it on the same connection (runIndexed); a
		// Cluster keeps it apart.
		if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
			if err := s.indexProviderID(ctx, ref.Account, u.ProviderMessageID, ref.ID, now); err != nil {
				return "", err
			}
		} else {
			indexed = false
		}
	}
	var v []string
	var err error
	for round := 0; ; round++ {
		keys, args, lerr := s.transitionCall(ctx, ref, to, u, now)
		if lerr != nil {
			return "", lerr
		}
		switch {
		case to == message.Sending && s.confirm > 0:
			v, err = s.runConfirmed(ctx, transitionScript, keys, args)
		case !indexed:
			v, err = s.runIndexed(ctx, ref, u.ProviderMessageID, now, keys, args)
			indexed = err == nil
		default:
			v, err = transitionScript.Run(ctx, s.rdb, keys, args...).StringSlice()
		}
		if err != nil && !errors.Is(err, ErrUnconfirmed) {
			return "", fmt.Errorf("move message %s to %s: %w", ref.ID, to, err)
		}
		if v[0] != "rebucket" || round > 0 {
			break
		}
		// The campaign was created again with another bucket count since
		// this process cached it.
		if _, err := s.readMeta(ctx, ref.CampaignID); err != nil {
			return "", err
		}
	}
	prev := message.Status(v[1])
	if len(v) > 2 && v[2] == "drained" {
		if derr := s.drainedPart(ctx, ref.CampaignID); derr != nil && err == nil {
			return prev, derr
		}
	}
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
func (s *Store) transitionCall(ctx context.Context, ref Ref, to message.Status, u Update, now time.Time) ([]string, []any, error) {
	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	loc, _, err := s.locate(ctx, ref.ID)
	if err != nil {
		return nil, nil, err
	}
	sc := loc.sc
	campaignKeep := "0"
	if ref.CampaignID != "" {
		campaignKeep = strconv.FormatInt(s.campaignKeep.Milliseconds(), 10)
	}
	keys := []string{loc.key, s.countsKeyIn(sc), s.campaignKeyIn(sc), s.rateKey(sc, now), s.membersKeyIn(sc), s.statsKeyIn(sc)}
	args := []any{string(to), strconv.FormatInt(ms(now), 10), flag(u.IncAttempts), clean(u.ErrorCode), clean(u.Error),
		clean(u.ProviderMessageID), strconv.FormatInt(s.retention.Milliseconds(), 10), string(u.From), flag(u.Fallback),
		flag(u.Retryable), strconv.FormatInt(rateKeep.Milliseconds(), 10), campaignKeep, loc.field, loc.shape,
		strconv.FormatInt(now.UnixMilli()/SeriesStep.Milliseconds(), 10)}
	return keys, args, nil
}

// drainedPart is told that a part of campaign c has no pending message
// left: when c has several parts and none has any, its summary starts
// expiring (a part's script sees only its own part), and with it, in any
// campaign, its kept rejects (rejects.go). Of two parts draining at once,
// the later one's reading sees both.
func (s *Store) drainedPart(ctx context.Context, c string) error {
	if c == "" || s.campaignKeep <= 0 {
		return nil
	}
	m, err := s.meta(ctx, c)
	if err != nil {
		return err
	}
	if m.parts <= 1 {
		// The script started the summary's expiry.
		if err := s.rdb.PExpire(ctx, s.rejectsKey(c), s.campaignKeep).Err(); err != nil {
			return fmt.Errorf("expire rejects of drained campaign %s: %w", c, err)
		}
		return nil
	}
	counts, err := s.CampaignCounts(ctx, c)
	if err != nil {
		return err
	}
	if counts[message.Queued]+counts[message.Sending] > 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	pipe.PExpire(ctx, s.campaignKey(c), s.campaignKeep)
	pipe.PExpire(ctx, s.rejectsKey(c), s.campaignKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("expire drained campaign %s: %w", c, err)
	}
	return nil
}

// AmbiguousCode is the error code of a failure recorded because the
// provider may or may not have received the message.
const AmbiguousCode = "ambiguous"

// IsTransitionError reports whether err is a refused transition.
func IsTransitionError(err error) bool {
	var te *TransitionError
	return errors.As(err, &te)
}

// indexProviderID points provider message id pmid of account at message
// id, in the index bucket of now's day, which expires Retention after
// the day ends.
func (s *Store) indexProviderID(ctx context.Context, account, pmid, id string, now time.Time) error {
	pipe := s.rdb.Pipeline()
	s.queueIndex(ctx, pipe, account, pmid, id, now)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("index provider message %s of %s: %w", pmid, id, err)
	}
	return nil
}

// queueIndex adds indexProviderID's commands to pipe and returns them.
func (s *Store) queueIndex(ctx context.Context, pipe redis.Pipeliner, account, pmid, id string, now time.Time) []redis.Cmder {
	d := s.pidDay(now)
	key := s.pidKey(account, d, pmid)
	cmds := []redis.Cmder{pipe.HSet(ctx, key, pmid, id)}
	if s.retention > 0 {
		// Relative to the store's clock, like every other expiry.
		cmds = append(cmds, pipe.PExpire(ctx, key, time.UnixMilli((d+1)*day.Milliseconds()).Sub(now)+s.retention))
	}
	return cmds
}

// runIndexed writes ref's provider message id index entry (queueIndex)
// and runs the transition script after it, in one round trip on one
// connection of a single node: Redis runs a connection's commands in the
// order they came, so the move never lands without the entry before it.
// An entry that failed while the move went through is an error all the
// same: the caller writes both again (the move then finds the record
// already there).
func (s *Store) runIndexed(ctx context.Context, ref Ref, pmid string, now time.Time, keys []string, args []any) ([]string, error) {
	run := func() ([]string, error) {
		pipe := s.rdb.Pipeline()
		index := s.queueIndex(ctx, pipe, ref.Account, pmid, ref.ID, now)
		res := transitionScript.EvalSha(ctx, pipe, keys, args...)
		_, _ = pipe.Exec(ctx)
		for _, c := range index {
			if err := c.Err(); err != nil {
				return nil, fmt.Errorf("index provider message %s of %s: %w", pmid, ref.ID, err)
			}
		}
		return res.StringSlice()
	}
	v, err := run()
	if isNoScript(err) {
		if lerr := transitionScript.Load(ctx, s.rdb).Err(); lerr != nil {
			return nil, lerr
		}
		v, err = run()
	}
	return v, err
}

// pidDays are the index days a provider message id indexed since from may
// be under, newest first: from today back to the oldest day still kept.
func (s *Store) pidDays(now time.Time) []int64 {
	if s.retention == 0 {
		return []int64{0}
	}
	today := s.pidDay(now)
	oldest := s.pidDay(now.Add(-s.retention))
	out := make([]int64, 0, today-oldest+1)
	for d := today; d >= oldest; d-- {
		out = append(out, d)
	}
	return out
}

// MessageByProviderID returns the message id a provider's id points at.
// Receipts mostly come within minutes, so today's and yesterday's index
// are asked first, the older days only when those do not know it.
func (s *Store) MessageByProviderID(ctx context.Context, account, pmid string) (string, error) {
	days := s.pidDays(s.now())
	recent := days[:min(2, len(days))]
	for _, batch := range [][]int64{recent, days[len(recent):]} {
		if len(batch) == 0 {
			continue
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(batch))
		for i, d := range batch {
			cmds[i] = pipe.HGet(ctx, s.pidKey(account, d, pmid), pmid)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return "", fmt.Errorf("look up provider message %s: %w", pmid, err)
		}
		for _, c := range cmds {
			if id, err := c.Result(); err == nil {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("provider message %s on %s: %w", pmid, account, ErrNotFound)
}
