package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// Campaign is a campaign's stored description. Spec is the producer's
// encoding of what was imported; the store keeps it opaque.
type Campaign struct {
	ID        string
	Account   string
	Spec      []byte
	CreatedAt time.Time
}

// ImportStats are the counts one import run adds to its campaign.
type ImportStats struct {
	Accepted       int64 `json:"accepted"`
	Duplicate      int64 `json:"duplicate"`
	Rejected       int64 `json:"rejected"`
	AlreadyPresent int64 `json:"already_present"`
	OptedOut       int64 `json:"opted_out"`
}

// saveCampaignScript creates a campaign record and lists it, only if absent,
// in one step: a crash can never leave a campaign without its spec.
var saveCampaignScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'account', ARGV[2], 'spec', ARGV[3], 'created', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`)

// SaveCampaign stores c if no campaign with its ID exists and reports
// whether it did; an existing campaign is returned as it is.
func (s *Store) SaveCampaign(ctx context.Context, c Campaign) (existing *Campaign, created bool, err error) {
	n, err := saveCampaignScript.Run(ctx, s.rdb, []string{s.campaignKey(c.ID), s.campaignsKey()},
		c.ID, c.Account, c.Spec, ms(s.now())).Int()
	if err != nil {
		return nil, false, fmt.Errorf("save campaign %s: %w", c.ID, err)
	}
	if n == 0 {
		cur, err := s.Campaign(ctx, c.ID)
		return cur, false, err
	}
	return nil, true, nil
}

// Campaign returns the campaign id, or ErrNotFound.
func (s *Store) Campaign(ctx context.Context, id string) (*Campaign, error) {
	h, err := s.rdb.HGetAll(ctx, s.campaignKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read campaign %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	return &Campaign{ID: id, Account: h["account"], Spec: []byte(h["spec"]), CreatedAt: fromMS(created)}, nil
}

// Campaigns lists campaign ids, oldest first.
func (s *Store) Campaigns(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.campaignsKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return ids, nil
}

// AddImportStats adds one import run's counts to campaign id.
func (s *Store) AddImportStats(ctx context.Context, id string, st ImportStats) error {
	key := s.campaignKey(id)
	pipe := s.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, "import_accepted", st.Accepted)
	pipe.HIncrBy(ctx, key, "import_duplicate", st.Duplicate)
	pipe.HIncrBy(ctx, key, "import_rejected", st.Rejected)
	pipe.HIncrBy(ctx, key, "import_already_present", st.AlreadyPresent)
	pipe.HIncrBy(ctx, key, "import_opted_out", st.OptedOut)
	pipe.HIncrBy(ctx, key, "import_runs", 1)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record import stats of %s: %w", id, err)
	}
	return nil
}

// CampaignImportStats returns the import counts summed over all runs.
func (s *Store) CampaignImportStats(ctx context.Context, id string) (ImportStats, int64, error) {
	v, err := s.rdb.HMGet(ctx, s.campaignKey(id), "import_accepted", "import_duplicate", "import_rejected", "import_already_present", "import_runs", "import_opted_out").Result()
	if err != nil {
		return ImportStats{}, 0, fmt.Errorf("read import stats of %s: %w", id, err)
	}
	n := func(i int) int64 {
		s, _ := v[i].(string)
		x, _ := strconv.ParseInt(s, 10, 64)
		return x
	}
	return ImportStats{Accepted: n(0), Duplicate: n(1), Rejected: n(2), AlreadyPresent: n(3), OptedOut: n(5)}, n(4), nil
}

// Counts is the number of a campaign's messages in each state.
type Counts map[message.Status]int64

// Total is the number of messages counted.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Outcomes is the number of messages that have an outcome.
func (c Counts) Outcomes() int64 {
	var n int64
	for s, v := range c {
		if s.Outcome() {
			n += v
		}
	}
	return n
}

// CampaignCounts returns the per-state counts of campaign id ("" for
// messages outside campaigns).
func (s *Store) CampaignCounts(ctx context.Context, id string) (Counts, error) {
	h, err := s.rdb.HGetAll(ctx, s.countsKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read counts of %s: %w", id, err)
	}
	out := Counts{}
	for k, v := range h {
		if k == fallbackField {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		if n != 0 {
			out[message.Status(k)] = n
		}
	}
	return out, nil
}

// EachMember calls fn with the records of campaign id in import order, in
// pages of batch (default 500), and stops at fn's first error.
func (s *Store) EachMember(ctx context.Context, id string, batch int, fn func([]*Record) error) error {
	if batch <= 0 {
		batch = 500
	}
	key := s.membersKey(id)
	for start := int64(0); ; start += int64(batch) {
		tos, err := s.rdb.LRange(ctx, key, start, start+int64(batch)-1).Result()
		if err != nil {
			return fmt.Errorf("list members of %s: %w", id, err)
		}
		if len(tos) == 0 {
			return nil
		}
		ids := make([]string, len(tos))
		for i, to := range tos {
			ids[i] = message.CampaignMessageID(id, to)
		}
		recs, err := s.GetMany(ctx, ids)
		if err != nil {
			return err
		}
		kept := recs[:0]
		for _, r := range recs {
			if r != nil {
				kept = append(kept, r)
			}
		}
		if err := fn(kept); err != nil {
			return err
		}
		if len(tos) < batch {
			return nil
		}
	}
}

// fallbackField is the campaign counts hash field counting messages sent as
// their fallback template; it is not a state, so Counts leaves it out.
const fallbackField = "+fallback"

// CampaignFallbacks is how many of campaign id's messages went out as the
// campaign's fallback template because the contact's window was closed.
func (s *Store) CampaignFallbacks(ctx context.Context, id string) (int64, error) {
	n, err := s.rdb.HGet(ctx, s.countsKey(id), fallbackField).Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read fallback count of %s: %w", id, err)
	}
	return n, nil
}
