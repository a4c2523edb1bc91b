package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// Record is what the store knows of one message.
type Record struct {
	ID                string
	CampaignID        string
	Account           string
	To                string
	Status            message.Status
	Attempts          int
	ErrorCode         string
	Error             string
	ProviderMessageID string
	// Fallback: the message went out as its fallback template because the
	// contact's 24-hour window was closed.
	Fallback bool
	// Retryable: the message failed after only transient failures (the
	// worker gave up after its attempts), so retry-failed may send it again.
	Retryable bool
	// Retries is how many times retry-failed moved it back to queued.
	Retries int
	// Values are the row's placeholder values the message was rendered
	// from (aligned with the campaign template's columns), so it can be
	// rendered again; nil for a record created without them.
	Values    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewRecord is a record to create.
type NewRecord struct {
	ID         string
	CampaignID string
	Account    string
	To         string
	// Run identifies the import run that creates it, so a second sighting
	// in the same run reads as a duplicate and one from an earlier run as
	// already present.
	Run string
	// Values are the placeholder values the message was rendered from,
	// kept with the record (field "vals", JSON) so it can be rendered again
	// (retry-failed). nil stores none. An existing record without values
	// gets these; one with values keeps its own.
	Values []string
	// Request, when set, is kept with the record (field "req"): e.g. the
	// hash of the API request an idempotency key was first used with, so
	// a repeat can be told from a different request under the same key
	// for as long as the record lives.
	Request string
}

// CreateResult is what Create found for one NewRecord.
type CreateResult struct {
	Created bool
	// When not created: the existing record's status and whether the same
	// run created it (a duplicate within one input).
	Status  message.Status
	SameRun bool
	// Request is the existing record's NewRecord.Request ("" if it has
	// none).
	Request string
}

// createScript creates a record only if absent, counts it in its campaign
// and appends the recipient to the campaign's member list, in one step.
// KEYS: record (bucket or own key), counts, members, campaign, stats (one
// slot).
// ARGV: field ("": a message outside campaigns), the campaign's shape,
// account, to, now (ms), run tag, values, request, member list entry. A
// campaign with a pending message does not expire: its keys lose any
// expiry here. Replies {created, status, run, request}; created -1 when
// the campaign's shape is not ARGV[2] (or a part lacks its copy).
var createScript = redis.NewScript(luaRecord() + `
local F = ARGV[1]
if F ~= '' then
  local b = redis.call('HGET', KEYS[4], 'buckets')
  if not b then
    -- A part gets its copy from its campaign (syncParts): one without it
    -- is told to ask, never guesses.
    if string.find(ARGV[2], '/', 1, true) then return {-1, '', '', ''} end
    redis.call('HSET', KEYS[4], 'buckets', ARGV[2]); b = ARGV[2]
  end
  if b ~= ARGV[2] then return {-1, b, '', ''} end
end
local v = rload(KEYS[1], F)
if v then
  local t = runpack(v)
  local run, dirty = t[F_RUN], false
  -- Claim it for this run, so a second sighting in the same input reads
  -- as a duplicate, not as already present.
  if ARGV[6] ~= '' and run ~= ARGV[6] then t[F_RUN] = ARGV[6]; dirty = true end
  -- A record from before values were kept gets them from a re-import.
  if ARGV[7] ~= '' and t[F_VALS] == '' then t[F_VALS] = ARGV[7]; dirty = true end
  if dirty then rsave(KEYS[1], F, t) end
  return {0, NAME[t[F_STATUS]] or '', run, t[F_REQ]}
end
local t = {'q', '', b36(ARGV[5]), '', ARGV[6], '', '', '', '', ARGV[7], '', ARGV[8], '', ''}
if F == '' then
  t[F_ACCOUNT] = ARGV[3]
  t[F_TO] = ARGV[4]
else
  local a = redis.call('HGET', KEYS[4], 'account')
  if not a then redis.call('HSET', KEYS[4], 'account', ARGV[3]); a = ARGV[3] end
  if a ~= ARGV[3] then t[F_ACCOUNT] = ARGV[3] end
end
rsave(KEYS[1], F, t)
redis.call('HINCRBY', KEYS[2], 'queued', 1)
if F ~= '' then
  redis.call('HINCRBY', KEYS[1], '#', 1)
  redis.call('PERSIST', KEYS[1])
  redis.call('RPUSH', KEYS[3], ARGV[9])
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[4])
  redis.call('PERSIST', KEYS[5])
end
return {1, 'queued', ARGV[6], ARGV[8]}
`)

// createManyScript is createScript for several records of one campaign
// part (one slot) in one call: each record in turn, as createScript would,
// and the part's keys persisted and its counter moved once.
// KEYS: counts, members, campaign, stats, then each record's bucket.
// ARGV: the campaign's shape, now (ms), then per record: field, account,
// to, run tag, values, request, member list entry.
// Replies {created, status, run, request} per record, flat; {-1} when the
// campaign's shape is not ARGV[1] (or the part lacks its copy).
var createManyScript = redis.NewScript(luaRecord() + `
local b = redis.call('HGET', KEYS[3], 'buckets')
if not b then
  if string.find(ARGV[1], '/', 1, true) then return {-1} end
  redis.call('HSET', KEYS[3], 'buckets', ARGV[1]); b = ARGV[1]
end
if b ~= ARGV[1] then return {-1} end
local out, created, persisted, ca = {}, 0, {}, nil
local now = b36(ARGV[2])
for i = 5, #KEYS do
  local a = 3 + (i - 5) * 7
  local key, F, run, vals, req = KEYS[i], ARGV[a], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local v = rload(key, F)
  if v then
    local t = runpack(v)
    local old, dirty = t[F_RUN], false
    if run ~= '' and old ~= run then t[F_RUN] = run; dirty = true end
    if vals ~= '' and t[F_VALS] == '' then t[F_VALS] = vals; dirty = true end
    if dirty then rsave(key, F, t) end
    out[#out + 1] = 0; out[#out + 1] = NAME[t[F_STATUS]] or ''; out[#out + 1] = old; out[#out + 1] = t[F_REQ]
  else
    local t = {'q', '', now, '', run, '', '', '', '', vals, '', req, '', ''}
    if not ca then
      ca = redis.call('HGET', KEYS[3], 'account')
      if not ca then redis.call('HSET', KEYS[3], 'account', ARGV[a + 1]); ca = ARGV[a + 1] end
    end
    if ca ~= ARGV[a + 1] then t[F_ACCOUNT] = ARGV[a + 1] end
    rsave(key, F, t)
    redis.call('HINCRBY', key, '#', 1)
    if not persisted[key] then redis.call('PERSIST', key); persisted[key] = true end
    redis.call('RPUSH', KEYS[2], ARGV[a + 6])
    created = created + 1
    out[#out + 1] = 1; out[#out + 1] = 'queued'; out[#out + 1] = run; out[#out + 1] = req
  end
end
if created > 0 then
  redis.call('HINCRBY', KEYS[1], 'queued', created)
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[4])
end
return out
`)

// createManyMax bounds the records of one createManyScript call, so that
// one call keeps Redis busy for a few milliseconds at most.
const createManyMax = 1000

// Create creates each record that does not exist yet, in one pipelined
// round trip. Existing records are left untouched and reported.
func (s *Store) Create(ctx context.Context, recs []NewRecord) ([]CreateResult, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	now := strconv.FormatInt(ms(s.now()), 10)
	out := make([]CreateResult, len(recs))
	todo := make([]int, len(recs))
	for i := range todo {
		todo[i] = i
	}
	for round := 0; len(todo) > 0; round++ {
		locs := make([]recordLoc, len(todo))
		for j, i := range todo {
			r := recs[i]
			if err := checkRef(r.ID, r.CampaignID); err != nil {
				return nil, err
			}
			loc, m, err := s.locate(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			if loc.field != "" && m.account == "" && r.Account != "" {
				// The script names the campaign's account after its first
				// record's when the campaign has none.
				m.account = r.Account
				s.setMeta(r.CampaignID, m)
			}
			locs[j] = loc
		}
		seqs, err := s.memberSeqs(ctx, recs, todo, locs)
		if err != nil {
			return nil, err
		}
		// A campaign part's records go in one script call (a slot each); a
		// record outside campaigns in one of its own.
		var calls []createCall
		group := map[scope]int{} // part → its open call in calls
		for j, i := range todo {
			r, loc := recs[i], locs[j]
			vals := ""
			if r.Values != nil {
				b, err := json.Marshal(r.Values)
				if err != nil {
					return nil, fmt.Errorf("encode values of %s: %w", r.ID, err)
				}
				vals = string(b)
			}
			to := clean(r.To)
			if loc.field == "" {
				calls = append(calls, createCall{script: createScript, js: []int{j},
					keys: []string{loc.key, s.countsKeyIn(loc.sc), s.membersKeyIn(loc.sc), s.campaignKeyIn(loc.sc), s.statsKeyIn(loc.sc)},
					args: []any{loc.field, loc.shape, r.Account, to, now, runTag(r.Run), vals, clean(r.Request), memberEntry(seqs[j], to)}})
				continue
			}
			k, ok := group[loc.sc]
			if !ok || len(calls[k].js) >= createManyMax {
				k = len(calls)
				group[loc.sc] = k
				calls = append(calls, createCall{script: createManyScript,
					keys: []string{s.countsKeyIn(loc.sc), s.membersKeyIn(loc.sc), s.campaignKeyIn(loc.sc), s.statsKeyIn(loc.sc)},
					args: []any{loc.shape, now}})
			}
			c := &calls[k]
			c.js = append(c.js, j)
			c.keys = append(c.keys, loc.key)
			c.args = append(c.args, loc.field, r.Account, to, runTag(r.Run), vals, clean(r.Request), memberEntry(seqs[j], to))
		}
		pipe := s.rdb.Pipeline()
		for k := range calls {
			calls[k].cmd = calls[k].script.EvalSha(ctx, pipe, calls[k].keys, calls[k].args...)
		}
		var persists []*redis.BoolCmd
		for c := range s.manyParts(recs, todo, locs) {
			// A campaign that had drained (its summary expiring) is
			// pending again; a part's script keeps only its own keys.
			persists = append(persists, pipe.Persist(ctx, s.campaignKey(c)))
		}
		for c := range campaignsOf(recs, todo, locs) {
			// Its kept rejects too (rejects.go), whatever its parts.
			persists = append(persists, pipe.Persist(ctx, s.rejectsKey(c)))
		}
		if _, err := pipe.Exec(ctx); err != nil && !redis.HasErrorPrefix(err, "NOSCRIPT") {
			return nil, fmt.Errorf("create %d records: %w", len(recs), err)
		}
		for _, p := range persists {
			if err := p.Err(); err != nil {
				return nil, fmt.Errorf("create %d records: %w", len(recs), err)
			}
		}
		var again []int
		stale := map[string]bool{} // campaigns whose shape was read again
		for _, call := range calls {
			cmd := call.cmd
			if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
				// Not loaded yet (or Redis lost it): the EVALSHA did
				// nothing, send the script whole.
				cmd = call.script.Eval(ctx, s.rdb, call.keys, call.args...)
			}
			v, err := cmd.Slice()
			if err == nil && len(v) == 1 {
				if created, _ := v[0].(int64); created == -1 {
					// The campaign was re-created with another bucket
					// count since this process cached it.
					c := recs[todo[call.js[0]]].CampaignID
					if round > 0 {
						return nil, fmt.Errorf("create record %s: the bucket count of campaign %s keeps changing", recs[todo[call.js[0]]].ID, c)
					}
					if !stale[c] {
						stale[c] = true
						m, err := s.readMeta(ctx, c)
						if err != nil {
							return nil, err
						}
						// A part without its copy of the shape (a crash
						// between the campaign's save and its parts') gets
						// it now.
						if err := s.syncParts(ctx, c, m, false); err != nil {
							return nil, err
						}
					}
					for _, j := range call.js {
						again = append(again, todo[j])
					}
					continue
				}
			}
			if err != nil || len(v) != 4*len(call.js) {
				return nil, fmt.Errorf("create record %s: unexpected reply %v: %w", recs[todo[call.js[0]]].ID, v, err)
			}
			for n, j := range call.js {
				i := todo[j]
				created, _ := v[4*n].(int64)
				st, _ := v[4*n+1].(string)
				run, _ := v[4*n+2].(string)
				req, _ := v[4*n+3].(string)
				tag := runTag(recs[i].Run)
				out[i] = CreateResult{Created: created == 1, Status: message.Status(st), Request: req,
					SameRun: created != 1 && run == tag && tag != ""}
			}
		}
		slices.Sort(again)
		todo = again
	}
	return out, nil
}

// createCall is one script call of Create: the records todo[js].
type createCall struct {
	script *redis.Script
	js     []int
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// manyParts returns the campaigns of several parts among recs[todo].
func (s *Store) manyParts(recs []NewRecord, todo []int, locs []recordLoc) map[string]bool {
	out := map[string]bool{}
	for j, i := range todo {
		if locs[j].field != "" && locs[j].sc != campaignScope(recs[i].CampaignID) {
			out[recs[i].CampaignID] = true
		}
	}
	return out
}

// campaignsOf returns the campaigns of recs[todo].
func campaignsOf(recs []NewRecord, todo []int, locs []recordLoc) map[string]bool {
	out := map[string]bool{}
	for j, i := range todo {
		if locs[j].field != "" {
			out[recs[i].CampaignID] = true
		}
	}
	return out
}

// memberSeqs numbers recs[todo] in import order within each campaign of
// several parts (0 for the others), from one counter per campaign, so
// that its parts' member lists can be merged back in that order.
func (s *Store) memberSeqs(ctx context.Context, recs []NewRecord, todo []int, locs []recordLoc) ([]int64, error) {
	out := make([]int64, len(todo))
	many := s.manyParts(recs, todo, locs)
	if len(many) == 0 {
		return out, nil
	}
	n := map[string]int64{}
	for _, i := range todo {
		if many[recs[i].CampaignID] {
			n[recs[i].CampaignID]++
		}
	}
	pipe := s.rdb.Pipeline()
	ends := map[string]*redis.IntCmd{}
	for c, k := range n {
		ends[c] = pipe.HIncrBy(ctx, s.campaignKey(c), "seq", k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("number %d records: %w", len(todo), err)
	}
	next := map[string]int64{}
	for c, cmd := range ends {
		next[c] = cmd.Val() - n[c] + 1
	}
	for j, i := range todo {
		if c := recs[i].CampaignID; many[c] {
			out[j] = next[c]
			next[c]++
		}
	}
	return out, nil
}

// Get returns the record of message id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	recs, err := s.GetMany(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if recs[0] == nil {
		return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	return recs[0], nil
}

// GetMany returns the records of ids in one pipelined round trip; a missing
// record is nil.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]*Record, error) {
	out := make([]*Record, len(ids))
	missed, err := s.getMany(ctx, ids, out)
	if err != nil || len(missed) == 0 {
		return out, err
	}
	// A campaign's bucket count read from the cache may be stale (the
	// campaign was purged and created again): read it again, and look
	// once more where it changed.
	changed := map[string]bool{}
	var again []int
	for _, i := range missed {
		c, _, _ := splitID(ids[i])
		if _, seen := changed[c]; !seen {
			old, _ := s.meta(ctx, c)
			m, err := s.readMeta(ctx, c)
			if err != nil {
				return nil, err
			}
			changed[c] = m.buckets != old.buckets
		}
		if changed[c] {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return out, nil
	}
	sub := make([]string, len(again))
	for j, i := range again {
		sub[j] = ids[i]
	}
	res := make([]*Record, len(sub))
	if _, err := s.getMany(ctx, sub, res); err != nil {
		return nil, err
	}
	for j, i := range again {
		out[i] = res[j]
	}
	return out, nil
}

// GetForSend reads record id and whether its recipient is suppressed on
// its account (Suppression): the reads the send pipeline's guards begin
// with. A campaign's message names its recipient and its campaign names
// the account, so both go in one round trip; a message outside campaigns
// (its account is in its record), or one whose campaign this process
// knew under another shape, takes two.
func (s *Store) GetForSend(ctx context.Context, id string) (*Record, Suppressed, error) {
	loc, m, err := s.locate(ctx, id)
	if err != nil {
		return nil, Suppressed{}, err
	}
	if _, to, ok := splitID(id); ok && m.account != "" && loc.field != "" {
		pipe := s.rdb.Pipeline()
		rc := pipe.HGet(ctx, loc.key, loc.field)
		out, stop := s.queueSuppression(ctx, pipe, m.account, to)
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, Suppressed{}, fmt.Errorf("read record %s and its suppression: %w", id, err)
		}
		if v, err := rc.Result(); err == nil {
			rec := unpackRecord(id, v, m.account)
			if rec.Account == m.account && rec.To == to {
				return rec, Suppressed{Account: m.account, Contact: to, OptedOut: out.Val(), MarketingStopped: stop.Val()}, nil
			}
			return s.suppressionOf(ctx, rec) // a record with an account of its own
		}
	}
	rec, err := s.Get(ctx, id)
	if err != nil {
		return nil, Suppressed{}, err
	}
	return s.suppressionOf(ctx, rec)
}

func (s *Store) suppressionOf(ctx context.Context, rec *Record) (*Record, Suppressed, error) {
	sup, err := s.Suppression(ctx, rec.Account, rec.To)
	if err != nil {
		return nil, Suppressed{}, err
	}
	return rec, sup, nil
}

// getMany reads ids' records into out and returns the indexes of the
// campaign records it did not find.
func (s *Store) getMany(ctx context.Context, ids []string, out []*Record) ([]int, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	accounts := make([]string, len(ids))
	for i, id := range ids {
		loc, m, err := s.locate(ctx, id)
		if err != nil {
			return nil, err
		}
		accounts[i] = m.account
		if loc.field == "" {
			cmds[i] = pipe.Get(ctx, loc.key)
		} else {
			cmds[i] = pipe.HGet(ctx, loc.key, loc.field)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("read %d records: %w", len(ids), err)
	}
	var missed []int
	for i, c := range cmds {
		v, err := c.Result()
		if err == redis.Nil {
			if _, _, ok := splitID(ids[i]); ok {
				missed = append(missed, i)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", ids[i], err)
		}
		out[i] = unpackRecord(ids[i], v, accounts[i])
	}
	return missed, nil
}
