package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// OptOut puts contact on account's suppression list: the worker ends every
// message to it opted_out without a request, and imports skip it, until
// OptIn. reason says why (a keyword the contact sent, an operator's note).
// Opting out again replaces the reason and time.
func (s *Store) OptOut(ctx context.Context, account, contact, reason string) error {
	v := strconv.FormatInt(ms(s.now()), 10) + "|" + reason
	if err := s.rdb.HSet(ctx, s.optOutKey(account), contact, v).Err(); err != nil {
		return fmt.Errorf("opt out %s on %s: %w", contact, account, err)
	}
	return nil
}

// OptIn takes contact off account's suppression list; a contact not on it
// is no error.
func (s *Store) OptIn(ctx context.Context, account, contact string) error {
	if err := s.rdb.HDel(ctx, s.optOutKey(account), contact).Err(); err != nil {
		return fmt.Errorf("opt in %s on %s: %w", contact, account, err)
	}
	return nil
}

// OptedOut reports whether contact is on account's suppression list.
func (s *Store) OptedOut(ctx context.Context, account, contact string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.optOutKey(account), contact).Result()
	if err != nil {
		return false, fmt.Errorf("read opt-out of %s on %s: %w", contact, account, err)
	}
	return ok, nil
}

// OptedOutMany reports, for each of contacts in order, whether it is on
// account's suppression list, in one round trip.
func (s *Store) OptedOutMany(ctx context.Context, account string, contacts []string) ([]bool, error) {
	out := make([]bool, len(contacts))
	if len(contacts) == 0 {
		return out, nil
	}
	key := s.optOutKey(account)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(contacts))
	for i, c := range contacts {
		cmds[i] = pipe.HExists(ctx, key, c)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read opt-outs on %s: %w", account, err)
	}
	for i, c := range cmds {
		out[i] = c.Val()
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
