package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A message settled ambiguous (its request may have reached the provider;
// it is not sent again) has no provider message id, so a receipt the
// provider sends for it names an id wabulk never recorded. The ambiguous
// notes let such a receipt find its message by recipient: one hash per
// account, recipient → message ID, kept ambiguousKeep.
//
//	<prefix>ambig:{ACCOUNT}   hash   recipient (E.164) → the ID of its latest ambiguous message

// ambiguousKeep is how long an ambiguous message waits for a receipt to
// reconcile it: providers send receipts within hours, not days.
const ambiguousKeep = 48 * time.Hour

func (s *Store) ambiguousKey(account string) string { return s.prefix + "ambig:{" + account + "}" }

// NoteAmbiguous remembers that message id to recipient on account was
// settled ambiguous.
func (s *Store) NoteAmbiguous(ctx context.Context, account, recipient, id string) error {
	key := s.ambiguousKey(account)
	pipe := s.rdb.Pipeline()
	pipe.HSet(ctx, key, recipient, id)
	pipe.PExpire(ctx, key, ambiguousKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("note ambiguous message %s: %w", id, err)
	}
	return nil
}

// TakeAmbiguous returns the ambiguous message to recipient on account, if
// one is noted, and forgets it (a receipt reconciles it once): "" when
// none is.
func (s *Store) TakeAmbiguous(ctx context.Context, account, recipient string) (string, error) {
	key := s.ambiguousKey(account)
	id, err := s.rdb.HGet(ctx, key, recipient).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up ambiguous messages to %s: %w", recipient, err)
	}
	if err := s.rdb.HDel(ctx, key, recipient).Err(); err != nil {
		return "", fmt.Errorf("forget ambiguous message %s: %w", id, err)
	}
	return id, nil
}
