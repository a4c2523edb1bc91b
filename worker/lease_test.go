package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/store/storetest"
)

// TestRetryDecisionForLeaseExpired: a task asynq's recoverer hands back
// because its worker died runs again at once and burns no attempt; the
// handler's own decisions and other errors keep theirs.
func TestRetryDecisionForLeaseExpired(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask("wabulk:send", nil)
	cases := []struct {
		name        string
		err         error
		wantDelay   time.Duration // -1: asynq's default (random, positive)
		wantFailure bool
	}{
		{"lease expired", asynq.ErrLeaseExpired, 0, false},
		{"lease expired, wrapped", fmt.Errorf("recoverer: %w", asynq.ErrLeaseExpired), 0, false},
		{"deferral", deferFor(3*time.Second, errors.New("rate limit")), 3 * time.Second, false},
		{"transient retry", retryIn(7*time.Second, errors.New("503")), 7 * time.Second, true},
		{"other error", errors.New("redis: connection refused"), -1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotDelay := RetryDelay(0, c.err, task)
			if c.wantDelay < 0 {
				if gotDelay <= 0 {
					t.Errorf("RetryDelay = %v, want asynq's default backoff (> 0)", gotDelay)
				}
			} else if gotDelay != c.wantDelay {
				t.Errorf("RetryDelay = %v, want %v", gotDelay, c.wantDelay)
			}
			if got := IsFailure(c.err); got != c.wantFailure {
				t.Errorf("IsFailure = %v, want %v", got, c.wantFailure)
			}
		})
	}
}

// TestLeaseRecovererRequeuesOnlyExpiredLeases lays out in Redis what a
// worker killed mid-task leaves (tasks active, leases no longer renewed)
// beside a live worker's task, and checks that recovery puts back exactly
// the tasks whose lease expired LeaseGrace ago, as pending, with no
// attempt counted.
func TestLeaseRecovererRequeuesOnlyExpiredLeases(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	queue := r.Prefix + "normal"
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	t.Cleanup(func() { _ = insp.DeleteQueue(queue, true) })
	client := asynq.NewClientFromRedisClient(r.Client)
	ctx := context.Background()
	now := time.Unix(1_900_000_000, 0)

	// id → the lease's expiry relative to now.
	leases := map[string]time.Duration{
		"dead-long-ago":   -time.Minute,
		"dead-just-grace": -5 * time.Second,
		"dead-too-recent": -4 * time.Second, // within the grace: left alone
		"alive":           25 * time.Second,
	}
	prefix := "asynq:{" + queue + "}:"
	for id, d := range leases {
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("wabulk:send", nil), asynq.Queue(queue), asynq.TaskID(id), asynq.MaxRetry(3)); err != nil {
			t.Fatal(err)
		}
		// What asynq's dequeue does: pending → active, with a lease.
		if err := r.Client.LMove(ctx, prefix+"pending", prefix+"active", "RIGHT", "LEFT").Err(); err != nil {
			t.Fatal(err)
		}
		r.Client.HSet(ctx, prefix+"t:"+id, "state", "active")
		r.Client.ZAdd(ctx, prefix+"lease", redis.Z{Score: float64(now.Add(d).Unix()), Member: id})
	}

	lr := &leaseRecoverer{rdb: r.Client, queues: []string{queue}, grace: 5 * time.Second,
		now: func() time.Time { return now }, log: zap.NewNop()}
	if n := lr.recover(ctx); n != 2 {
		t.Errorf("recover moved %d tasks, want 2", n)
	}
	want := map[string]asynq.TaskState{
		"dead-long-ago": asynq.TaskStatePending, "dead-just-grace": asynq.TaskStatePending,
		"dead-too-recent": asynq.TaskStateActive, "alive": asynq.TaskStateActive,
	}
	got := map[string]asynq.TaskState{}
	for id := range leases {
		info, err := insp.GetTaskInfo(queue, id)
		if err != nil {
			t.Fatal(err)
		}
		got[id] = info.State
		if info.Retried != 0 {
			t.Errorf("%s: retried %d, want 0 (no attempt counted)", id, info.Retried)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task states (-want +got):\n%s", diff)
	}
	if n, err := r.Client.ZCard(ctx, prefix+"lease").Result(); err != nil || n != 2 {
		t.Errorf("lease set holds %d (%v), want the 2 still active", n, err)
	}
	// Recovering again moves nothing more: a task is put back once.
	if n := lr.recover(ctx); n != 0 {
		t.Errorf("second recover moved %d tasks, want 0", n)
	}
}
