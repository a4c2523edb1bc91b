package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// Status polling, for providers without push receipts: each account has a
// due-set of the provider message ids whose status is still to be asked
// for (receipts.Poller asks). Keys, per account, in one cluster hash slot:
//
//	<prefix>poll:{<account>}:due    zset: provider message id → when it is next due (ms)
//	<prefix>poll:{<account>}:since  hash: provider message id → "<first scheduled, ms>|<last status polled>"
//	<prefix>poll:{<account>}:rate   string: GCRA theoretical arrival time of the account's polls (ms)
//
// An id stays until DonePoll: the poller removes it once its status is
// final or it is too old to poll. The rate key expires when it no longer
// constrains anything.

func (s *Store) pollKey(account, what string) string {
	return s.prefix + "poll:{" + account + "}:" + what
}

// PollItem is one provider message id claimed for a status poll.
type PollItem struct {
	ProviderMessageID string
	// Since is when the id was first scheduled (SchedulePoll, by the
	// store's clock): the poller's schedule and its give-up age run from it.
	Since time.Time
	// Last is the status the last poll found and passed on
	// (ReschedulePoll); "" before any.
	Last message.Status
}

// SchedulePoll makes providerMessageID of account due for a status poll at
// at. Scheduling an id again moves its due time and keeps when it was first
// scheduled.
func (s *Store) SchedulePoll(ctx context.Context, account, providerMessageID string, at time.Time) error {
	since := strconv.FormatInt(ms(s.now()), 10) + "|"
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, s.pollKey(account, "due"), redis.Z{Score: float64(ms(at)), Member: providerMessageID})
		p.HSetNX(ctx, s.pollKey(account, "since"), providerMessageID, since)
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule a status poll of %s on %s: %w", providerMessageID, account, err)
	}
	return nil
}

// claimScript takes the due ids the account's rate allows right now and
// leases them: their due time moves to now + lease, so no other claimer
// takes them, and a claimer that dies leaves them due again after the
// lease.
//
// The rate is GCRA on a theoretical arrival time (TAT) shared by every
// claimer: the k-th poll from now conforms while TAT + k·T − now ≤ B·T,
// T = 1/rate, B = max(1, ⌊rate⌋) (a second's worth of polls may go at
// once). Only ids actually claimed advance the TAT.
//
// KEYS: due, since, rate. ARGV: now (ms), max, rate (/s, ≤ 0: unlimited),
// lease (ms). Returns id, since-value pairs.
var claimScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local tat, interval
if rate > 0 then
  interval = 1000 / rate
  local burst = math.max(1, math.floor(rate))
  tat = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), now)
  n = math.min(n, math.floor(burst - (tat - now) / interval + 1e-9))
end
if n <= 0 then return {} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, string.format('%d', n))
if #ids == 0 then return {} end
local leased = string.format('%.0f', now + lease)
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], leased, id)
  local v = redis.call('HGET', KEYS[2], id)
  if not v then
    v = ARGV[1] .. '|'
    redis.call('HSET', KEYS[2], id, v)
  end
  out[#out + 1] = id
  out[#out + 1] = v
end
if rate > 0 then
  tat = tat + #ids * interval
  redis.call('SET', KEYS[3], string.format('%.3f', tat), 'PX', string.format('%d', math.ceil(tat - now) + 1))
end
return out
`)

// ClaimPolls takes up to max of account's ids due at now, in due order, and
// leases them for lease: until then no other claimer (another pod) gets
// them; the caller settles each with ReschedulePoll or DonePoll, and one it
// never settles (a crash) is due again when the lease ends. rate bounds the
// account's polls per second across every claimer (≤ 0: unlimited), with a
// second's worth at once: ClaimPolls returns only as many as the rate
// allows at now, and fewer than max says so or that fewer were due. One
// Redis round trip, atomic.
//
// now is the caller's clock, for due times and the rate alike: claimers
// on several hosts need synchronised clocks (a clock Δ ahead polls up to
// Δ early and may take Δ·rate polls more, once).
func (s *Store) ClaimPolls(ctx context.Context, account string, now time.Time, max int, rate float64, lease time.Duration) ([]PollItem, error) {
	if max <= 0 {
		return nil, nil
	}
	keys := []string{s.pollKey(account, "due"), s.pollKey(account, "since"), s.pollKey(account, "rate")}
	res, err := claimScript.Run(ctx, s.rdb, keys, ms(now), max, strconv.FormatFloat(rate, 'f', -1, 64), lease.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim status polls on %s: %w", account, err)
	}
	out := make([]PollItem, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		it := PollItem{ProviderMessageID: res[i]}
		since, last, _ := strings.Cut(res[i+1], "|")
		if n, err := strconv.ParseInt(since, 10, 64); err == nil {
			it.Since = fromMS(n)
		}
		it.Last = message.Status(last)
		out = append(out, it)
	}
	return out, nil
}

// rescheduleScript moves an id still scheduled to a new due time and, when
// given, records the last status polled. KEYS: due, since. ARGV: id, at
// (ms), last status ("" keeps it), now (ms).
var rescheduleScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[3] ~= '' then
  local since = string.match(redis.call('HGET', KEYS[2], ARGV[1]) or '', '^[^|]*')
  if since == '' then since = ARGV[4] end
  redis.call('HSET', KEYS[2], ARGV[1], since .. '|' .. ARGV[3])
end
return 1
`)

// ReschedulePoll makes a claimed id due again at at, and remembers last as
// the status the poll found ("" keeps what was remembered). An id no
// longer scheduled (DonePoll) stays gone.
func (s *Store) ReschedulePoll(ctx context.Context, account, providerMessageID string, at time.Time, last message.Status) error {
	err := rescheduleScript.Run(ctx, s.rdb, []string{s.pollKey(account, "due"), s.pollKey(account, "since")},
		providerMessageID, ms(at), string(last), ms(s.now())).Err()
	if err != nil {
		return fmt.Errorf("reschedule the status poll of %s on %s: %w", providerMessageID, account, err)
	}
	return nil
}

// DonePoll stops polling providerMessageID: its status is final, or it is
// too old to ask about. An id not scheduled is no error.
func (s *Store) DonePoll(ctx context.Context, account, providerMessageID string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.pollKey(account, "due"), providerMessageID)
		p.HDel(ctx, s.pollKey(account, "since"), providerMessageID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("stop polling %s on %s: %w", providerMessageID, account, err)
	}
	return nil
}

// PendingPolls is how many of account's ids are scheduled for polling, due
// or not.
func (s *Store) PendingPolls(ctx context.Context, account string) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.pollKey(account, "due")).Result()
	if err != nil {
		return 0, fmt.Errorf("count status polls on %s: %w", account, err)
	}
	return n, nil
}
