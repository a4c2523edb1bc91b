package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Lease recovery: the tasks a worker held when it died go back to their
// queue about 30–40 s after it died, with no attempt burned.
//
// asynq (v0.26.0) gives each task it hands a worker a 30 s lease, which
// the worker's heartbeat extends every 5 s while it lives. Its own
// recoverer hands the tasks of a dead worker back only once their lease
// expired 30 s ago (a clock-skew allowance), looks once a minute, and
// then retries them with RetryDelayFunc: 87–113 s after the crash, and
// more in the fleet's kill -9 trial. None of the three is configurable. So
// every worker also looks every LeaseCheckInterval for tasks of its queues
// whose lease expired LeaseGrace ago, and puts each back at the head of
// its queue exactly as asynq's own graceful shutdown does (the requeue
// below is asynq's: out of the active list and the lease set, into
// pending): attempts are not counted, and the task runs again as soon as a
// worker is free.
//
// A lease that expired belongs to no one: asynq's processor gives up a
// task the moment its lease expires and never writes for it again, and the
// heartbeat never extends an expired lease. If a task still ran then (a
// worker cut off from Redis for 30 s, or clocks apart by more than
// LeaseGrace), the message record keeps it from being sent twice: only one
// run's claim moves it queued → sending, and a run that finds it sending
// settles it as ambiguous (Sender.fromQueued).
//
// asynq's recoverer stays on, for tasks that no worker of these queues is
// left to recover; RetryDelay and IsFailure run what it hands back at once
// and count no attempt (ErrLeaseExpired).

// requeueLeaseExpired moves every task of one queue whose lease score
// (Unix seconds) is at most ARGV[1] from the active list back to the head
// of the pending list, as asynq's requeueCmd does for one task, and returns
// their ids. KEYS: lease set, active list, pending list; ARGV[2] is the
// queue's task key prefix, ARGV[3] the most tasks to move in one call. A
// lease without its task in the active list is left to asynq's recoverer.
// All keys share the queue's hash tag: one Cluster slot.
var requeueLeaseExpired = redis.NewScript(`
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[3]))
local moved = {}
for _, id in ipairs(ids) do
	if redis.call("LREM", KEYS[2], 0, id) > 0 then
		redis.call("ZREM", KEYS[1], id)
		redis.call("RPUSH", KEYS[3], id)
		redis.call("HSET", ARGV[2] .. id, "state", "pending")
		table.insert(moved, id)
	end
end
return moved`)

// leaseBatch is the most tasks one requeue call moves.
const leaseBatch = 1000

// leaseRecoverer puts back the tasks of queues whose lease expired.
type leaseRecoverer struct {
	rdb    redis.UniversalClient
	queues []string
	grace  time.Duration
	now    func() time.Time
	log    *zap.Logger
}

// run recovers every interval until ctx is done.
func (r *leaseRecoverer) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.recover(ctx)
		}
	}
}

// recover puts back the tasks whose lease expired grace ago or earlier,
// queue by queue, and returns how many it moved.
func (r *leaseRecoverer) recover(ctx context.Context) int {
	cutoff := r.now().Add(-r.grace).Unix()
	total := 0
	for _, q := range r.queues {
		prefix := "asynq:{" + q + "}:"
		ids, err := requeueLeaseExpired.Run(ctx, r.rdb, []string{prefix + "lease", prefix + "active", prefix + "pending"},
			cutoff, prefix+"t:", leaseBatch).StringSlice()
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("could not look for tasks of a dead worker", zap.String("queue", q), zap.Error(err))
			}
			continue
		}
		if len(ids) > 0 {
			leaseRecovered.WithLabelValues(q).Add(float64(len(ids)))
			r.log.Warn("put back tasks whose worker stopped renewing their lease (a worker died)",
				zap.String("queue", q), zap.Int("tasks", len(ids)))
		}
		total += len(ids)
	}
	return total
}

// leaseExpired reports whether err is asynq's verdict on a task whose
// worker stopped renewing its lease: the worker died, not the task.
func leaseExpired(err error) bool { return errors.Is(err, asynq.ErrLeaseExpired) }
