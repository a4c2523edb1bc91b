package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Window is WhatsApp's customer-service window: free-form messages may go
// out this long after the contact's last inbound message.
const Window = 24 * time.Hour

// Each contact's field in the inbound hash holds one of two things: the
// time of its last inbound message (Unix ms), or, negated, when a
// provider's window refusal closed its window (CloseWindow) with no
// inbound message since. An inbound message always replaces a closure.

// setInboundScript only moves the last-inbound time forward: a late,
// redelivered callback never shortens the window. Any inbound time beats a
// closure (a negative value): the contact wrote, which is what reopens a
// window.
var setInboundScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0
`)

// SetLastInbound records that contact wrote to sender (the business number;
// "" when the account has one) on account at t. Earlier times than the one
// recorded are ignored.
func (s *Store) SetLastInbound(ctx context.Context, account, sender, contact string, t time.Time) error {
	err := setInboundScript.Run(ctx, s.rdb, []string{s.inboundKey(account, sender)}, contact, ms(t)).Err()
	if err != nil {
		return fmt.Errorf("record inbound from %s: %w", contact, err)
	}
	return nil
}

// LastInbound returns when contact last wrote to sender on account; ok is
// false when never, or when a provider's refusal closed the window since.
func (s *Store) LastInbound(ctx context.Context, account, sender, contact string) (t time.Time, ok bool, err error) {
	v, err := s.rdb.HGet(ctx, s.inboundKey(account, sender), contact).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last inbound of %s: %w", contact, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false, nil
	}
	return fromMS(n), true, nil
}

// closedAt returns when a provider's refusal closed contact's window on
// account/sender; ok is false when none did since the contact last wrote.
func (s *Store) closedAt(ctx context.Context, account, sender, contact string) (t time.Time, ok bool, err error) {
	v, err := s.rdb.HGet(ctx, s.inboundKey(account, sender), contact).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read window of %s: %w", contact, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n >= 0 {
		return time.Time{}, false, nil
	}
	return fromMS(-n), true, nil
}

// CloseWindow records that a provider refused a free-form message to
// contact on account/sender for the window (470, 131047, ...), now (the
// Store's clock): free-form messages to it end window_closed until the
// contact writes again (SetLastInbound), whatever the account's window
// policy (WindowClosed).
func (s *Store) CloseWindow(ctx context.Context, account, sender, contact string) error {
	closed := strconv.FormatInt(-max(ms(s.now()), 1), 10)
	if err := s.rdb.HSet(ctx, s.inboundKey(account, sender), contact, closed).Err(); err != nil {
		return fmt.Errorf("close window of %s: %w", contact, err)
	}
	return nil
}

// closeBeforeScript records the window closed at ARGV[2] (ARGV[3] is its
// negation) unless the contact wrote at or after it, or a later closure is
// recorded already. It returns 1 when the window is recorded closed.
var closeBeforeScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local t = tonumber(ARGV[2])
if cur >= t then return 0 end
if cur < 0 and -cur >= t then return 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`)

// CloseWindowBefore is CloseWindow for a window error the provider reported
// at t (a failed receipt, 470 or 131047): an inbound message recorded at or
// after t opened a new window, which stays open. closed says whether the
// window is recorded closed.
func (s *Store) CloseWindowBefore(ctx context.Context, account, sender, contact string, t time.Time) (closed bool, err error) {
	at := max(ms(t), 1)
	n, err := closeBeforeScript.Run(ctx, s.rdb, []string{s.inboundKey(account, sender)}, contact, at, -at).Int()
	if err != nil {
		return false, fmt.Errorf("close window of %s: %w", contact, err)
	}
	return n == 1, nil
}

// WindowOpen reports whether a free-form message from sender to contact may
// go out at now by what wabulk saw: an inbound message within Window, and
// no provider refusal since.
func (s *Store) WindowOpen(ctx context.Context, account, sender, contact string, now time.Time) (bool, error) {
	t, ok, err := s.LastInbound(ctx, account, sender, contact)
	if err != nil || !ok {
		return false, err
	}
	return now.Sub(t) < Window, nil
}

// WindowClosed reports whether a provider's window refusal closed the
// window from sender to contact (CloseWindow, CloseWindowBefore) less than
// Window before now, with no inbound message since: what an account whose
// provider decides the window (it tells wabulk of no inbound message)
// knows of it. A closure older than Window no longer counts: the contact
// may have written since without wabulk hearing of it, and the next
// free-form message finds out, at the cost of one refusal per contact a
// day at most.
func (s *Store) WindowClosed(ctx context.Context, account, sender, contact string, now time.Time) (bool, error) {
	t, ok, err := s.closedAt(ctx, account, sender, contact)
	if err != nil || !ok {
		return false, err
	}
	return now.Sub(t) < Window, nil
}
