package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// CampaignState is whether a campaign's messages may go out.
type CampaignState string

const (
	// CampaignActive: messages go out (the state of a new campaign).
	CampaignActive CampaignState = "active"
	// CampaignPaused: no message is claimed for sending; workers defer
	// them without burning attempts until the campaign is resumed.
	CampaignPaused CampaignState = "paused"
	// CampaignCancelled: final; no message is claimed for sending again,
	// and the queued ones end cancelled.
	CampaignCancelled CampaignState = "cancelled"
)

// ErrCampaignCancelled is returned when a cancelled campaign is asked to
// change state: cancelling is final.
var ErrCampaignCancelled = errors.New("the campaign is cancelled, which is final")

// setStateScript moves campaign KEYS[1] to state ARGV[1] with reason
// ARGV[2] at ARGV[3]. Replies {result, previous}: "ok", "same", "missing",
// or "final" when the campaign is cancelled.
var setStateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur or cur == '' then cur = 'active' end
if cur == ARGV[1] then return {'same', cur} end
if cur == 'cancelled' then return {'final', cur} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'state_reason', ARGV[2], 'state_at', ARGV[3])
return {'ok', cur}
`)

// SetCampaignState moves campaign id to state to, saying why, and returns
// the state it had. Moving to the state it has changes nothing (the first
// reason stays); a cancelled campaign returns ErrCampaignCancelled; an
// unknown one ErrNotFound. The send claim reads the state in the same
// Redis step as it claims (see Transition), so once this returns no
// message of a paused or cancelled campaign is claimed for sending.
func (s *Store) SetCampaignState(ctx context.Context, id string, to CampaignState, reason string) (prev CampaignState, err error) {
	switch to {
	case CampaignActive, CampaignPaused, CampaignCancelled:
	default:
		return "", fmt.Errorf("campaign state %q: want active, paused or cancelled", to)
	}
	v, err := setStateScript.Run(ctx, s.rdb, []string{s.campaignKey(id)}, string(to), reason, ms(s.now())).StringSlice()
	if err != nil {
		return "", fmt.Errorf("set campaign %s %s: %w", id, to, err)
	}
	prev = CampaignState(v[1])
	if v[0] != "missing" {
		// Claims read their part's copy: once this returns, every part
		// has the new state (a crash before is mended by asking again,
		// which copies it even when the campaign is already there).
		if err := s.copyState(ctx, id); err != nil {
			return prev, err
		}
	}
	switch v[0] {
	case "missing":
		return "", fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	case "final":
		return prev, fmt.Errorf("campaign %s: %w", id, ErrCampaignCancelled)
	}
	return prev, nil
}

// CampaignStatus is a campaign's state, why it is in it and since when.
type CampaignStatus struct {
	State  CampaignState
	Reason string
	Since  time.Time // zero for a campaign that was never paused or cancelled
}

// CampaignState returns campaign id's state; ErrNotFound when there is no
// such campaign.
func (s *Store) CampaignState(ctx context.Context, id string) (CampaignStatus, error) {
	v, err := s.rdb.HMGet(ctx, s.campaignKey(id), "id", "state", "state_reason", "state_at").Result()
	if err != nil {
		return CampaignStatus{}, fmt.Errorf("read campaign %s state: %w", id, err)
	}
	if v[0] == nil {
		return CampaignStatus{}, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	str := func(i int) string { s, _ := v[i].(string); return s }
	st := CampaignStatus{State: CampaignState(str(1)), Reason: str(2)}
	if st.State == "" {
		st.State = CampaignActive
	}
	if n, err := strconv.ParseInt(str(3), 10, 64); err == nil && n > 0 {
		st.Since = fromMS(n)
	}
	return st, nil
}

// CampaignHeldError is returned by a claim (a move to message.Sending) of
// a message whose campaign is paused or cancelled: nothing was changed.
type CampaignHeldError struct {
	ID       string
	Campaign string
	State    CampaignState
}

func (e *CampaignHeldError) Error() string {
	return fmt.Sprintf("message %s: campaign %s is %s", e.ID, e.Campaign, e.State)
}

// IsCampaignHeld returns the campaign state that held a claim, if err is
// a *CampaignHeldError.
func IsCampaignHeld(err error) (CampaignState, bool) {
	var he *CampaignHeldError
	if errors.As(err, &he) {
		return he.State, true
	}
	return "", false
}

// SettleQueued moves every queued message of campaign id to status to
// (e.g. message.Cancelled), with code and why, page by page in pipelined
// compare-and-set transitions: a message claimed meanwhile is left to its
// send. It returns how many it moved.
func (s *Store) SettleQueued(ctx context.Context, id string, to message.Status, code, why string) (int64, error) {
	if err := transitionScript.Load(ctx, s.rdb).Err(); err != nil {
		return 0, fmt.Errorf("load transition script: %w", err)
	}
	var moved int64
	drained := false
	err := s.EachMember(ctx, id, 1000, func(recs []*Record) error {
		pipe := s.rdb.Pipeline()
		var cmds []*redis.Cmd
		now := s.now()
		for _, r := range recs {
			if r.Status != message.Queued {
				continue
			}
			keys, args, err := s.transitionCall(ctx, Ref{ID: r.ID, CampaignID: id}, to,
				Update{ErrorCode: code, Error: why, From: message.Queued}, now)
			if err != nil {
				return err
			}
			cmds = append(cmds, transitionScript.EvalSha(ctx, pipe, keys, args...))
		}
		if len(cmds) == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("settle queued messages of %s: %w", id, err)
		}
		for _, c := range cmds {
			if v, err := c.StringSlice(); err == nil && len(v) > 0 && v[0] == "ok" {
				moved++
				drained = drained || len(v) > 2 && v[2] == "drained"
			}
		}
		return nil
	})
	if drained && err == nil {
		err = s.drainedPart(ctx, id)
	}
	return moved, err
}
