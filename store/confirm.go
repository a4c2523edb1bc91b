package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
)

// ErrUnconfirmed is returned by a claim that fewer replicas than
// Config.ConfirmReplicas acknowledged in time. The claim was undone (or
// could not be, and then a later run settles the record as ambiguous):
// nothing may be sent on it.
var ErrUnconfirmed = errors.New("the claim was not confirmed by the Redis replicas")

// runConfirmed runs script on the master that owns keys[0] and waits, on the
// same connection, until s.confirm replicas acknowledged its writes (WAIT
// counts the writes of the connection that asks). Its reply is the
// script's; the error is ErrUnconfirmed (wrapped) when the script wrote but
// the replicas did not confirm it in time.
func (s *Store) runConfirmed(ctx context.Context, script *redis.Script, keys []string, args []any) ([]string, error) {
	node, err := s.masterFor(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	run := func() ([]string, int64, error) {
		pipe := node.Pipeline()
		res := script.EvalSha(ctx, pipe, keys, args...)
		wait := pipe.Do(ctx, "WAIT", s.confirm, s.confirmTimeout.Milliseconds())
		_, _ = pipe.Exec(ctx)
		v, err := res.StringSlice()
		if err != nil {
			return nil, 0, err
		}
		n, err := wait.Int64()
		if err != nil {
			return v, 0, fmt.Errorf("wait for %d replicas: %w", s.confirm, err)
		}
		return v, n, nil
	}
	v, n, err := run()
	if err != nil && isNoScript(err) {
		if lerr := script.Load(ctx, node).Err(); lerr != nil {
			return nil, lerr
		}
		v, n, err = run()
	}
	if v == nil {
		return nil, err
	}
	if v[0] == "ok" && (err != nil || n < int64(s.confirm)) {
		if err == nil {
			err = fmt.Errorf("%d of %d replicas acknowledged within %s", n, s.confirm, s.confirmTimeout)
		}
		return v, fmt.Errorf("%w: %w", ErrUnconfirmed, err)
	}
	return v, nil
}

// undoClaim moves a claim that was not confirmed back to queued. The
// record keeps the attempt the claim counted.
func (s *Store) undoClaim(ctx context.Context, ref Ref, prev message.Status, cause error) error {
	_, err := s.Transition(context.WithoutCancel(ctx), ref, prev, Update{From: message.Sending,
		ErrorCode: "unconfirmed", Error: "the claim was not confirmed by the Redis replicas; not sent"})
	if err != nil {
		return fmt.Errorf("message %s: %w; undoing it: %w", ref.ID, cause, err)
	}
	return fmt.Errorf("message %s: %w", ref.ID, cause)
}

// masterFor returns the client of the node that owns key: the Cluster
// master of its slot, or the one client of a single node or Sentinel
// setup.
func (s *Store) masterFor(ctx context.Context, key string) (redis.Cmdable, error) {
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		node, err := c.MasterForKey(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("find the master of %s: %w", key, err)
		}
		return node, nil
	}
	return s.rdb, nil
}

func isNoScript(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") }

// IsUnconfirmed reports whether err is a claim the replicas did not
// confirm.
func IsUnconfirmed(err error) bool { return errors.Is(err, ErrUnconfirmed) }
