package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// OptOut puts contact on account's suppression list: the worker ends every
// message to it opted_out without a request, and imports skip it, until
// OptIn. reason says why (a keyword the contact sent, an operator's note).
// Opting out again replaces the reason and time.
func (s *Store) OptOut(ctx context.Context, account, contact, reason string) error {
	_, err := s.OptOutAt(ctx, account, contact, reason, s.now())
	return err
}

// OptIn takes contact off account's suppression list; a contact not on it
// is no error.
func (s *Store) OptIn(ctx context.Context, account, contact string) error {
	_, err := s.OptInAt(ctx, account, contact, s.now())
	return err
}

// OptOutAt is OptOut for a request made at at (e.g. when the contact sent
// STOP): it applies only if no later opt-out or opt-in of contact was
// recorded, so a redelivered or late keyword never undoes a newer one.
// applied says whether it changed anything.
func (s *Store) OptOutAt(ctx context.Context, account, contact, reason string, at time.Time) (applied bool, err error) {
	applied, err = s.optChange(ctx, account, contact, "out", strconv.FormatInt(ms(at), 10)+"|"+reason, at)
	if err != nil {
		return false, fmt.Errorf("opt out %s on %s: %w", contact, account, err)
	}
	return applied, nil
}

// OptInAt is OptIn for a request made at at, ordered like OptOutAt.
func (s *Store) OptInAt(ctx context.Context, account, contact string, at time.Time) (applied bool, err error) {
	applied, err = s.optChange(ctx, account, contact, "in", "", at)
	if err != nil {
		return false, fmt.Errorf("opt in %s on %s: %w", contact, account, err)
	}
	return applied, nil
}

// optChangeScript applies an opt-out (ARGV[2] "out", value ARGV[3]) or an
// opt-in at time ARGV[4] unless a later change of the contact is recorded.
var optChangeScript = redis.NewScript(`
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[4]) < last then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
if ARGV[2] == 'out' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) else redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`)

func (s *Store) optChange(ctx context.Context, account, contact, op, value string, at time.Time) (bool, error) {
	n, err := optChangeScript.Run(ctx, s.rdb, []string{s.optOutKey(account), s.optChangedKey(account)},
		contact, op, value, ms(at)).Int()
	return n == 1, err
}

// OptedOut reports whether contact is on account's suppression list.
func (s *Store) OptedOut(ctx context.Context, account, contact string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.optOutKey(account), contact).Result()
	if err != nil {
		return false, fmt.Errorf("read opt-out of %s on %s: %w", contact, account, err)
	}
	return ok, nil
}

// Suppressed is what the send pipeline's guards read of a contact on an
// account: whether it is on the suppression list (OptedOut) and whether it
// stopped the account's marketing messages (MarketingStopped).
type Suppressed struct {
	Account, Contact string
	OptedOut         bool
	MarketingStopped bool
}

// Suppression reads both lists for contact on account in one round trip.
func (s *Store) Suppression(ctx context.Context, account, contact string) (Suppressed, error) {
	pipe := s.rdb.Pipeline()
	out, stop := s.queueSuppression(ctx, pipe, account, contact)
	if _, err := pipe.Exec(ctx); err != nil {
		return Suppressed{}, fmt.Errorf("read opt-out and marketing stop of %s on %s: %w", contact, account, err)
	}
	return Suppressed{Account: account, Contact: contact, OptedOut: out.Val(), MarketingStopped: stop.Val()}, nil
}

func (s *Store) queueSuppression(ctx context.Context, pipe redis.Pipeliner, account, contact string) (out, stop *redis.BoolCmd) {
	return pipe.HExists(ctx, s.optOutKey(account), contact), pipe.HExists(ctx, s.marketingStopKey(account), contact)
}

// OptedOutMany reports, for each of contacts in order, whether it is on
// account's suppression list, in one round trip.
func (s *Store) OptedOutMany(ctx context.Context, account string, contacts []string) ([]bool, error) {
	out := make([]bool, len(contacts))
	if len(contacts) == 0 {
		return out, nil
	}
	// One HMGET: a contact on the list has a value (its reason and time),
	// one off it none.
	vals, err := s.rdb.HMGet(ctx, s.optOutKey(account), contacts...).Result()
	if err != nil {
		return nil, fmt.Errorf("read opt-outs on %s: %w", account, err)
	}
	if len(vals) != len(contacts) {
		return nil, fmt.Errorf("read opt-outs on %s: %d answers for %d contacts", account, len(vals), len(contacts))
	}
	for i, v := range vals {
		out[i] = v != nil
	}
	return out, nil
}

// OptOuts returns account's opted-out contacts, sorted.
func (s *Store) OptOuts(ctx context.Context, account string) ([]string, error) {
	cs, err := s.rdb.HKeys(ctx, s.optOutKey(account)).Result()
	if err != nil {
		return nil, fmt.Errorf("list opt-outs on %s: %w", account, err)
	}
	slices.Sort(cs)
	return cs, nil
}

// OptOutEntry is one contact on an account's suppression list.
type OptOutEntry struct {
	Contact string    `json:"contact"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// SearchOptOuts returns up to limit of account's opted-out contacts whose
// number contains query (every one when query is empty), sorted, and how
// many the list holds in all. It walks the list with HSCAN (bounded
// memory, however long the list), so a search of a long list takes a
// moment but never holds it all.
func (s *Store) SearchOptOuts(ctx context.Context, account, query string, limit int) ([]OptOutEntry, int64, error) {
	if limit <= 0 {
		limit = 100
	}
	key := s.optOutKey(account)
	total, err := s.rdb.HLen(ctx, key).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("count opt-outs on %s: %w", account, err)
	}
	match := "*"
	if query != "" {
		match = "*" + globEscape(query) + "*"
	}
	var out []OptOutEntry
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, match, 500).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("search opt-outs on %s: %w", account, err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			e := OptOutEntry{Contact: kv[i]}
			at, reason, _ := strings.Cut(kv[i+1], "|")
			e.Reason = reason
			if n, err := strconv.ParseInt(at, 10, 64); err == nil && n > 0 {
				e.At = time.UnixMilli(n)
			}
			out = append(out, e)
		}
		cursor = next
		if cursor == 0 || len(out) >= 4*limit {
			break
		}
	}
	slices.SortFunc(out, func(a, b OptOutEntry) int { return strings.Compare(a.Contact, b.Contact) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, total, nil
}

// globEscape quotes the characters Redis's MATCH reads as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
