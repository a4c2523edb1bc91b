package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// AccountState is what every pod must know about a provider account: an
// operator's (or an account-level error's) pause, and the shared "open
// until" of its circuit breakers.
type AccountState struct {
	Paused      bool
	PauseReason string
	PausedAt    time.Time
	OpenUntil   time.Time // zero when no breaker is open
	OpenReason  string
}

func (s *Store) accountKey(account string) string { return s.prefix + "account:" + account }

// PauseAccount pauses account: its messages wait (deferred, not failed)
// until ResumeAccount. reason says why, for operators.
func (s *Store) PauseAccount(ctx context.Context, account, reason string) error {
	err := s.rdb.HSet(ctx, s.accountKey(account), "paused", "1", "pause_reason", reason, "paused_at", ms(s.now())).Err()
	if err != nil {
		return fmt.Errorf("pause account %s: %w", account, err)
	}
	return nil
}

// ResumeAccount lifts a pause and closes any shared open breaker.
func (s *Store) ResumeAccount(ctx context.Context, account string) error {
	err := s.rdb.HDel(ctx, s.accountKey(account), "paused", "pause_reason", "paused_at", "open_until", "open_reason").Err()
	if err != nil {
		return fmt.Errorf("resume account %s: %w", account, err)
	}
	return nil
}

// OpenBreaker tells every pod that account's provider is failing: sends
// wait until until. A later until extends it; an earlier one is ignored.
func (s *Store) OpenBreaker(ctx context.Context, account string, until time.Time, reason string) error {
	key := s.accountKey(account)
	cur, err := s.rdb.HGet(ctx, key, "open_until").Int64()
	if err == nil && cur >= ms(until) {
		return nil
	}
	if err := s.rdb.HSet(ctx, key, "open_until", ms(until), "open_reason", reason).Err(); err != nil {
		return fmt.Errorf("open breaker of %s: %w", account, err)
	}
	return nil
}

// Account returns account's shared state.
func (s *Store) Account(ctx context.Context, account string) (AccountState, error) {
	h, err := s.rdb.HGetAll(ctx, s.accountKey(account)).Result()
	if err != nil {
		return AccountState{}, fmt.Errorf("read account %s: %w", account, err)
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(h[k], 10, 64); return v }
	return AccountState{
		Paused:      h["paused"] == "1",
		PauseReason: h["pause_reason"],
		PausedAt:    fromMS(n("paused_at")),
		OpenUntil:   fromMS(n("open_until")),
		OpenReason:  h["open_reason"],
	}, nil
}
