package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
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

// pauseScript pauses an account unless it already is: the first reason
// (an operator's, or the first failure's) stays.
var pauseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'paused') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'paused', '1', 'pause_reason', ARGV[1], 'paused_at', ARGV[2])
return 1
`)

// PauseAccount pauses account: its messages wait (deferred, not failed)
// until ResumeAccount. reason says why, for operators; pausing an account
// already paused keeps the first reason.
func (s *Store) PauseAccount(ctx context.Context, account, reason string) error {
	if err := pauseScript.Run(ctx, s.rdb, []string{s.accountKey(account)}, reason, ms(s.now())).Err(); err != nil {
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

// resumeIfScript lifts a pause whose reason starts with ARGV[1]; the
// breaker state is left as it is.
var resumeIfScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'paused') ~= '1' then return 0 end
local reason = redis.call('HGET', KEYS[1], 'pause_reason') or ''
if string.sub(reason, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'paused', 'pause_reason', 'paused_at')
return 1
`)

// ResumeAccountPausedFor lifts account's pause only when its reason starts
// with reasonPrefix: a provider's notice lifting the ban that paused the
// account resumes it, while a pause with another cause (an operator's, a
// failed send's, paused first) stays. resumed says whether it did.
func (s *Store) ResumeAccountPausedFor(ctx context.Context, account, reasonPrefix string) (resumed bool, err error) {
	if reasonPrefix == "" {
		return false, fmt.Errorf("resume account %s: no reason to match", account)
	}
	n, err := resumeIfScript.Run(ctx, s.rdb, []string{s.accountKey(account)}, reasonPrefix).Int()
	if err != nil {
		return false, fmt.Errorf("resume account %s: %w", account, err)
	}
	return n == 1, nil
}

// openScript extends an account's open-until, never shortens it.
var openScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if cur >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'open_until', ARGV[1], 'open_reason', ARGV[2])
return 1
`)

// OpenBreaker tells every pod that account's provider is failing: sends
// wait until until. A later until extends it; an earlier one is ignored,
// atomically, so pods racing never shorten it.
func (s *Store) OpenBreaker(ctx context.Context, account string, until time.Time, reason string) error {
	if err := openScript.Run(ctx, s.rdb, []string{s.accountKey(account)}, ms(until), reason).Err(); err != nil {
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
