package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// requeueScript moves record KEYS[1] (ARGV[3]: its field in its bucket,
// "" for a key of its own) from ARGV[1] back to queued, for retry-failed,
// if it may be sent again: it expired, or it failed with the retryable
// mark, and never with the ambiguous code (the provider may have it). Its
// campaign (KEYS[3]) must not be cancelled. The error is cleared, the
// attempts are kept, its retries counter goes up, and its part's counters
// (KEYS[2]) move with it, and its part's stats (KEYS[5], when the
// campaign has them) no longer count its code (requeuedScript then tells
// the campaign). Replies {result, status, retries}; result "rebucket"
// when the campaign's shape is not ARGV[4].
var requeueScript = redis.NewScript(luaRecord() + luaStats() + `
local F = ARGV[3]
local stats = false
if F ~= '' then
  local h = redis.call('HMGET', KEYS[3], 'buckets', '` + statsField + `')
  local b = h[1]
  if b and b ~= ARGV[4] then return {'rebucket', '', 0} end
  stats = h[2] == '1'
end
local v = rload(KEYS[1], F)
if not v then return {'missing', '', 0} end
local t = runpack(v)
local cur = NAME[t[F_STATUS]] or ''
if cur ~= ARGV[1] then return {'refused', cur, 0} end
if t[F_CODE_] == '` + AmbiguousCode + `' then return {'refused', cur, 0} end
if cur == 'failed' then
  if not string.find(t[F_FLAGS], 'r', 1, true) then return {'refused', cur, 0} end
elseif cur ~= 'expired' then
  return {'refused', cur, 0}
end
if redis.call('HGET', KEYS[3], 'state') == 'cancelled' then return {'cancelled', cur, 0} end
if stats then statsub(KEYS[5], cur, t[F_CODE_], string.find(t[F_FLAGS], 'r', 1, true) ~= nil) end
t[F_STATUS] = 'q'
t[F_UPDATED] = b36(tonumber(ARGV[2]) - tonumber(t[F_CREATED], 36))
t[F_CODE_] = ''
t[F_ERROR] = ''
flagclear(t, 'r')
local n = (tonumber(t[F_RETRIES]) or 0) + 1
t[F_RETRIES] = tostring(n)
rsave(KEYS[1], F, t)
-- Pending again: the record and its campaign are kept until it ends.
if F ~= '' then redis.call('HINCRBY', KEYS[1], '#', 1) end
redis.call('PERSIST', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[4])
  redis.call('PERSIST', KEYS[5])
end
redis.call('HINCRBY', KEYS[2], cur, -1)
redis.call('HINCRBY', KEYS[2], 'queued', 1)
return {'ok', cur, n}
`)

// requeuedScript tells campaign KEYS[1] that ARGV[1] of its failures and
// ARGV[2] of its outcomes were requeued: the error budget's baseline
// forgets them (never below 0), and the campaign and its kept rejects
// (KEYS[2]), pending again, no longer expire.
var requeuedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[2])
local function dec(f, n)
  local v = tonumber(redis.call('HGET', KEYS[1], f) or '0')
  if v > 0 then redis.call('HSET', KEYS[1], f, math.max(v - n, 0)) end
end
dec('budget_base_failed', tonumber(ARGV[1]))
dec('budget_base_outcomes', tonumber(ARGV[2]))
redis.call('PERSIST', KEYS[1])
return 1
`)

// RequeueResult is what Requeue did with one record.
type RequeueResult struct {
	// Retries is, when the record was requeued, how many times it has
	// been, this time included: a retry's task ID can use it to never
	// collide with an earlier task of the message.
	Retries int
	// Err is nil when the record was requeued; otherwise a
	// *TransitionError (it is not in the state asked, or may not be sent
	// again), ErrNotFound or ErrCampaignCancelled.
	Err error
}

// Requeue moves message ref back to queued so that it can be sent again
// (retry-failed), if it is in state from and that is safe: it expired, or
// it failed with Update.Retryable (only transient errors, the worker gave
// up), and it never failed with AmbiguousCode. Nothing the provider may
// have taken, nothing that failed for good, and nothing of a cancelled
// campaign moves. The move is a compare-and-set with the campaign
// counters; the error is cleared and the attempts are kept. It returns how
// many times the record has been requeued. The caller enqueues its task.
func (s *Store) Requeue(ctx context.Context, ref Ref, from message.Status) (retries int, err error) {
	res, err := s.RequeueMany(ctx, []Ref{ref}, []message.Status{from})
	if err != nil {
		return 0, err
	}
	return res[0].Retries, res[0].Err
}

// RequeueMany is Requeue for many records in one pipelined round trip;
// from[i] is the state refs[i] must be in.
func (s *Store) RequeueMany(ctx context.Context, refs []Ref, from []message.Status) ([]RequeueResult, error) {
	if len(refs) != len(from) {
		return nil, errors.New("store: requeue needs one from-state per record")
	}
	if len(refs) == 0 {
		return nil, nil
	}
	if err := requeueScript.Load(ctx, s.rdb).Err(); err != nil {
		return nil, fmt.Errorf("load requeue script: %w", err)
	}
	now := strconv.FormatInt(ms(s.now()), 10)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(refs))
	for i, ref := range refs {
		if err := checkRef(ref.ID, ref.CampaignID); err != nil {
			return nil, err
		}
		loc, _, err := s.locate(ctx, ref.ID)
		if err != nil {
			return nil, err
		}
		sc := loc.sc
		cmds[i] = requeueScript.EvalSha(ctx, pipe, []string{loc.key, s.countsKeyIn(sc), s.campaignKeyIn(sc), s.membersKeyIn(sc), s.statsKeyIn(sc)},
			string(from[i]), now, loc.field, loc.shape)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("requeue %d records: %w", len(refs), err)
	}
	out := make([]RequeueResult, len(refs))
	type lost struct{ failed, outcomes int64 }
	requeued := map[string]*lost{}
	for i, c := range cmds {
		v, err := c.Slice()
		if err != nil || len(v) != 3 {
			return nil, fmt.Errorf("requeue %s: unexpected reply %v: %w", refs[i].ID, v, err)
		}
		res, _ := v[0].(string)
		cur, _ := v[1].(string)
		n, _ := v[2].(int64)
		switch res {
		case "ok":
			out[i].Retries = int(n)
			if c := refs[i].CampaignID; c != "" {
				l := requeued[c]
				if l == nil {
					l = &lost{}
					requeued[c] = l
				}
				l.outcomes++
				if cur == string(message.Failed) {
					l.failed++
				}
			}
		case "missing":
			out[i].Err = fmt.Errorf("message %s: %w", refs[i].ID, ErrNotFound)
		case "rebucket":
			// A campaign purged and created again since this process
			// cached it: the caller may ask again.
			s.forgetMeta(refs[i].CampaignID)
			out[i].Err = fmt.Errorf("campaign %s changed while requeueing %s; try again", refs[i].CampaignID, refs[i].ID)
		case "cancelled":
			out[i].Err = fmt.Errorf("campaign %s: %w", refs[i].CampaignID, ErrCampaignCancelled)
		default:
			out[i].Err = &TransitionError{ID: refs[i].ID, From: message.Status(cur), To: message.Queued}
		}
	}
	if len(requeued) > 0 {
		pipe := s.rdb.Pipeline()
		for c, l := range requeued {
			requeuedScript.Eval(ctx, pipe, []string{s.campaignKey(c), s.rejectsKey(c)}, l.failed, l.outcomes)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return out, fmt.Errorf("requeue %d records: tell their campaigns: %w", len(refs), err)
		}
	}
	return out, nil
}
