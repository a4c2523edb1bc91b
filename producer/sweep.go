package producer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// SweepResult is what one Sweep of a campaign found.
type SweepResult struct {
	// Checked is how many queued records old enough were looked at.
	Checked int64
	// Missing is how many of those had no task when looked up;
	// Reenqueued how many of them got one again (the others got theirs
	// meanwhile).
	Missing    int64
	Reenqueued int64
	// Unrenderable counts orphans whose message cannot be built again
	// (their record has no values): left queued, and logged by the caller.
	Unrenderable int64
}

// Sweep gives back a task to every queued record of campaign id, last
// changed more than olderThan ago, that has none: an importer killed
// between writing records and enqueueing their tasks, or a failure of
// the enqueue itself, leaves such records, which nothing would ever send
// or expire. A record's task is looked up by its ID in its queue (one
// pipelined EXISTS per page of records); a missing one is enqueued under
// the same task ID, so a task that turns up meanwhile makes the enqueue a
// no-op, and the record's claim guards the send: safe with several
// sweepers and workers at once. First tasks are compact (rendered by the
// worker); a record requeued by retry-failed gets its retry task again.
func (p *Producer) Sweep(ctx context.Context, id string, olderThan time.Duration) (SweepResult, error) {
	var res SweepResult
	c, err := p.st.Campaign(ctx, id)
	if err != nil {
		return res, err
	}
	cm, err := NewCampaignMessages(c)
	if err != nil {
		return res, err
	}
	now := p.cfg.Now()
	r := &retryRun{p: p, spec: &cm.spec, msgs: cm, res: &RetryResult{Skipped: map[SkipReason]int64{}}, lane: cm.lane,
		opts: []asynq.Option{asynq.MaxRetry(message.TaskMaxRetry)}}
	rdb := p.st.Redis()
	err = p.st.EachMember(ctx, id, p.cfg.BatchSize, func(recs []*store.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var old []*store.Record
		for _, rec := range recs {
			last := rec.UpdatedAt
			if last.IsZero() {
				last = rec.CreatedAt
			}
			if rec.Status == message.Queued && now.Sub(last) > olderThan {
				old = append(old, rec)
			}
		}
		if len(old) == 0 {
			return nil
		}
		res.Checked += int64(len(old))
		pipe := rdb.Pipeline()
		exists := make([]*redis.IntCmd, len(old))
		for i, rec := range old {
			exists[i] = pipe.Exists(ctx, taskKey(message.SendQueue(p.cfg.Prefix, cm.lane, rec.ID, p.cfg.QueueShards), sweepTaskID(rec)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("sweep %s: look up tasks: %w", id, err)
		}
		for i, rec := range old {
			if exists[i].Val() == 1 {
				continue
			}
			res.Missing++
			fresh, err := p.sweepOne(ctx, r, cm, rec, now)
			switch {
			case errors.Is(err, errNoValues):
				res.Unrenderable++
			case err != nil:
				return err
			case fresh:
				res.Reenqueued++
				sweptTotal.Inc()
			}
		}
		return nil
	})
	return res, err
}

// sweepTaskID is the ID of the task a queued record should have.
func sweepTaskID(rec *store.Record) string {
	if rec.Retries > 0 {
		return retryTaskID(rec.ID, rec.Retries)
	}
	return rec.ID
}

// taskKey is asynq's key of task id in queue (asynq's base.TaskKey:
// "asynq:{QUEUE}:t:ID"); TestSweepGivesOrphansTheirTasksBack checks it
// against asynq itself (no task missing while every one is there).
func taskKey(queue, id string) string { return "asynq:{" + queue + "}:t:" + id }

// sweepOne enqueues rec's task again and reports whether it was missing.
func (p *Producer) sweepOne(ctx context.Context, r *retryRun, cm *CampaignMessages, rec *store.Record, now time.Time) (bool, error) {
	if rec.Retries > 0 {
		m, err := r.render(rec, now)
		if err != nil {
			return false, err
		}
		err = r.enqueueOne(ctx, &retryJob{msg: m, taskID: retryTaskID(rec.ID, rec.Retries), again: true}, r.opts)
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return false, nil
		}
		return err == nil, err
	}
	// What the import enqueued: a compact task, which the worker renders
	// from the record (its values) and the campaign's spec.
	if _, err := cm.Queued(rec); err != nil {
		return false, err
	}
	opts := []asynq.Option{asynq.MaxRetry(message.TaskMaxRetry), p.queue(cm.lane, rec.ID)}
	if cm.spec.SendAt.After(now) {
		opts = append(opts, asynq.ProcessAt(cm.spec.SendAt))
	}
	task, err := message.NewCompactSendTask(rec.ID, opts...)
	if err != nil {
		return false, fmt.Errorf("build task of %s: %w", rec.ID, err)
	}
	if _, err := p.client.EnqueueContext(ctx, task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return false, nil
		}
		return false, fmt.Errorf("enqueue %s: %w", rec.ID, err)
	}
	return true, nil
}

// NoTaskCode is the error code of a message outside campaigns (an API
// send) that Sweep found queued without a task: its send stopped between
// the record and the task, and its content, which only the task carried,
// is gone. Its client was answered an error, or nothing.
const NoTaskCode = "no_task"

// SweepDirect settles as failed (NoTaskCode) every message outside
// campaigns, queued and last changed more than olderThan ago, that has no
// task in any lane: nothing would ever send or expire it, and its
// content cannot be rebuilt. At most limit are looked at per call. It
// returns how many it settled.
func (p *Producer) SweepDirect(ctx context.Context, olderThan time.Duration, limit int) (int64, error) {
	recs, err := p.st.QueuedDirect(ctx, p.cfg.Now().Add(-olderThan), limit)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	pipe := p.st.Redis().Pipeline()
	exists := make([][]*redis.IntCmd, len(recs))
	for i, rec := range recs {
		for _, l := range message.Lanes {
			exists[i] = append(exists[i], pipe.Exists(ctx, taskKey(message.SendQueue(p.cfg.Prefix, l, rec.ID, p.cfg.QueueShards), rec.ID)))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sweep messages outside campaigns: look up tasks: %w", err)
	}
	var settled int64
	for i, rec := range recs {
		found := false
		for _, c := range exists[i] {
			found = found || c.Val() == 1
		}
		if found {
			continue
		}
		_, err := p.st.Transition(ctx, store.Ref{ID: rec.ID, Account: rec.Account}, message.Failed, store.Update{From: message.Queued,
			ErrorCode: NoTaskCode, Error: "the send stopped between its record and its task; it was never queued for sending"})
		switch {
		case err == nil:
			settled++
			sweptDirectTotal.Inc()
		case store.IsTransitionError(err):
			// Sent or settled meanwhile.
		default:
			return settled, err
		}
	}
	return settled, nil
}
