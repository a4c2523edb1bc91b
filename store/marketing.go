package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// StopMarketingAt records that contact stopped account's marketing
// messages at at (WhatsApp's user_preferences "stop"): the worker ends a
// marketing template to it opted_out (code marketing_stopped) without a
// request, while utility and authentication templates and free-form
// replies still go. It is kept apart from the suppression list (OptOut),
// which stops every message, and ordered like OptOutAt: a stop older than
// the contact's last recorded change of this preference changes nothing.
// applied says whether it changed anything.
func (s *Store) StopMarketingAt(ctx context.Context, account, contact, reason string, at time.Time) (applied bool, err error) {
	applied, err = s.marketingChange(ctx, account, contact, "out", strconv.FormatInt(ms(at), 10)+"|"+reason, at)
	if err != nil {
		return false, fmt.Errorf("stop marketing to %s on %s: %w", contact, account, err)
	}
	return applied, nil
}

// ResumeMarketingAt lifts contact's marketing stop on account (WhatsApp's
// user_preferences "resume"), ordered like StopMarketingAt.
func (s *Store) ResumeMarketingAt(ctx context.Context, account, contact string, at time.Time) (applied bool, err error) {
	applied, err = s.marketingChange(ctx, account, contact, "in", "", at)
	if err != nil {
		return false, fmt.Errorf("resume marketing to %s on %s: %w", contact, account, err)
	}
	return applied, nil
}

func (s *Store) marketingChange(ctx context.Context, account, contact, op, value string, at time.Time) (bool, error) {
	n, err := optChangeScript.Run(ctx, s.rdb, []string{s.marketingStopKey(account), s.marketingChangedKey(account)},
		contact, op, value, ms(at)).Int()
	return n == 1, err
}

// MarketingStopped reports whether contact stopped account's marketing
// messages.
func (s *Store) MarketingStopped(ctx context.Context, account, contact string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.marketingStopKey(account), contact).Result()
	if err != nil {
		return false, fmt.Errorf("read marketing stop of %s on %s: %w", contact, account, err)
	}
	return ok, nil
}

// MarketingStops returns the contacts that stopped account's marketing
// messages, sorted.
func (s *Store) MarketingStops(ctx context.Context, account string) ([]string, error) {
	cs, err := s.rdb.HKeys(ctx, s.marketingStopKey(account)).Result()
	if err != nil {
		return nil, fmt.Errorf("list marketing stops on %s: %w", account, err)
	}
	slices.Sort(cs)
	return cs, nil
}
