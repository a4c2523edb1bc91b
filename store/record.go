package store

import (
	"context"
	"encoding/json"
	"fmt"
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
// KEYS: record, counts, members, campaign (one slot). A campaign with a
// pending message does not expire: its keys lose any expiry here.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  local v = redis.call('HMGET', KEYS[1], 'status', 'run', 'req')
  -- Claim it for this run, so a second sighting in the same input reads
  -- as a duplicate, not as already present.
  if ARGV[6] ~= '' and v[2] ~= ARGV[6] then redis.call('HSET', KEYS[1], 'run', ARGV[6]) end
  -- A record from before values were kept gets them from a re-import.
  if ARGV[7] ~= '' then redis.call('HSETNX', KEYS[1], 'vals', ARGV[7]) end
  return {0, v[1] or '', v[2] or '', v[3] or ''}
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'campaign', ARGV[2], 'account', ARGV[3], 'to', ARGV[4],
  'status', 'queued', 'attempts', 0, 'created', ARGV[5], 'updated', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'run', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'vals', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'req', ARGV[8]) end
redis.call('HINCRBY', KEYS[2], 'queued', 1)
if ARGV[2] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[4])
end
return {1, 'queued', ARGV[6], ARGV[8]}
`)

// Create creates each record that does not exist yet, in one pipelined
// round trip. Existing records are left untouched and reported.
func (s *Store) Create(ctx context.Context, recs []NewRecord) ([]CreateResult, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	now := strconv.FormatInt(ms(s.now()), 10)
	if err := createScript.Load(ctx, s.rdb).Err(); err != nil {
		return nil, fmt.Errorf("load create script: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(recs))
	for i, r := range recs {
		if err := checkRef(r.ID, r.CampaignID); err != nil {
			return nil, err
		}
		vals := ""
		if r.Values != nil {
			b, err := json.Marshal(r.Values)
			if err != nil {
				return nil, fmt.Errorf("encode values of %s: %w", r.ID, err)
			}
			vals = string(b)
		}
		sc := s.scopeOf(Ref{ID: r.ID, CampaignID: r.CampaignID})
		cmds[i] = createScript.EvalSha(ctx, pipe,
			[]string{s.msgKey(r.ID), s.countsKeyIn(sc), s.membersKeyIn(sc), s.campaignKeyIn(sc)},
			r.ID, r.CampaignID, r.Account, r.To, now, r.Run, vals, r.Request)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("create %d records: %w", len(recs), err)
	}
	out := make([]CreateResult, len(recs))
	for i, c := range cmds {
		v, err := c.Slice()
		if err != nil || len(v) != 4 {
			return nil, fmt.Errorf("create record %s: unexpected reply %v: %w", recs[i].ID, v, err)
		}
		created, _ := v[0].(int64)
		st, _ := v[1].(string)
		run, _ := v[2].(string)
		req, _ := v[3].(string)
		out[i] = CreateResult{Created: created == 1, Status: message.Status(st), Request: req,
			SameRun: created != 1 && run == recs[i].Run && recs[i].Run != ""}
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
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.msgKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("read %d records: %w", len(ids), err)
	}
	out := make([]*Record, len(ids))
	for i, c := range cmds {
		h, err := c.Result()
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", ids[i], err)
		}
		if len(h) == 0 {
			continue
		}
		out[i] = parseRecord(h)
	}
	return out, nil
}

func parseRecord(h map[string]string) *Record {
	atoi := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	var vals []string
	if v, ok := h["vals"]; ok {
		vals = []string{}
		if err := json.Unmarshal([]byte(v), &vals); err != nil {
			vals = nil
		}
	}
	return &Record{
		ID:                h["id"],
		CampaignID:        h["campaign"],
		Account:           h["account"],
		To:                h["to"],
		Status:            message.Status(h["status"]),
		Attempts:          int(atoi("attempts")),
		ErrorCode:         h["code"],
		Error:             h["error"],
		ProviderMessageID: h["pmid"],
		Fallback:          h["fallback"] == "1",
		Retryable:         h["retryable"] == "1",
		Retries:           int(atoi("retries")),
		Values:            vals,
		CreatedAt:         fromMS(atoi("created")),
		UpdatedAt:         fromMS(atoi("updated")),
	}
}
