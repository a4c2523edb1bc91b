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

// setInboundScript only moves the last-inbound time forward: a late,
// redelivered callback never shortens the window.
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
// false when never.
func (s *Store) LastInbound(ctx context.Context, account, sender, contact string) (t time.Time, ok bool, err error) {
	v, err := s.rdb.HGet(ctx, s.inboundKey(account, sender), contact).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last inbound of %s: %w", contact, err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}, false, nil
	}
	return fromMS(n), true, nil
}

// CloseWindow forgets contact's last inbound message on account/sender, so
// free-form messages to it end window_closed until the contact writes again.
// Providers' window errors (470, 131047) call for it.
func (s *Store) CloseWindow(ctx context.Context, account, sender, contact string) error {
	if err := s.rdb.HDel(ctx, s.inboundKey(account, sender), contact).Err(); err != nil {
		return fmt.Errorf("close window of %s: %w", contact, err)
	}
	return nil
}

// closeBeforeScript forgets the last inbound time only if it is before ARGV[2].
var closeBeforeScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur > 0 and cur < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
return 0
`)

// CloseWindowBefore is CloseWindow for a window error the provider reported
// at t (a failed receipt, 470 or 131047): an inbound message recorded at or
// after t opened a new window, which stays open. closed says whether it
// closed one.
func (s *Store) CloseWindowBefore(ctx context.Context, account, sender, contact string, t time.Time) (closed bool, err error) {
	n, err := closeBeforeScript.Run(ctx, s.rdb, []string{s.inboundKey(account, sender)}, contact, ms(t)).Int()
	if err != nil {
		return false, fmt.Errorf("close window of %s: %w", contact, err)
	}
	return n == 1, nil
}

// WindowOpen reports whether a free-form message from sender to contact may
// go out at now.
func (s *Store) WindowOpen(ctx context.Context, account, sender, contact string, now time.Time) (bool, error) {
	t, ok, err := s.LastInbound(ctx, account, sender, contact)
	if err != nil || !ok {
		return false, err
	}
	return now.Sub(t) < Window, nil
}
