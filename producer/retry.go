package producer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// SkipReason says why RetryFailed left a message as it is.
type SkipReason string

// The reasons RetryFailed skips a message.
const (
	// SkipProviderTook: accepted, sent, delivered or read. Never sent again.
	SkipProviderTook SkipReason = "provider_took"
	// SkipAmbiguous: failed with code "ambiguous" (an attempt was cut off
	// mid-request): the provider may have it, so it is never sent again.
	SkipAmbiguous SkipReason = "ambiguous"
	// SkipPermanent: failed for good (the provider refused it: bad
	// request, invalid number, template missing, a failed receipt...).
	SkipPermanent SkipReason = "permanent_failure"
	// SkipFinal: opted_out, window_closed, invalid or cancelled: sending it
	// again would break the rule that ended it.
	SkipFinal SkipReason = "final_outcome"
	// SkipPending: queued or sending (not done yet, or retried already).
	SkipPending SkipReason = "pending"
	// SkipNoValues: imported by a wabulk that did not keep each row's
	// placeholder values with its record, so it cannot be rendered again
	// (re-importing the same file gives such records their values).
	SkipNoValues SkipReason = "no_values"
	// SkipChanged: it changed state while RetryFailed looked at it.
	SkipChanged SkipReason = "changed"
)

// Describe says what r means, for people.
func (r SkipReason) Describe() string {
	switch r {
	case SkipProviderTook:
		return "the provider took them (accepted, sent, delivered or read); never sent again"
	case SkipAmbiguous:
		return "failed ambiguously (the provider may have them); never sent again"
	case SkipPermanent:
		return "failed for good (refused by the provider: bad request, invalid number, template missing...)"
	case SkipFinal:
		return "ended opted_out, window_closed, invalid or cancelled"
	case SkipPending:
		return "still queued or sending (or retried already)"
	case SkipNoValues:
		return "imported by an older wabulk that did not keep the row's values (re-import the same file to give them their values, then retry again)"
	case SkipChanged:
		return "changed state meanwhile"
	}
	return string(r)
}

// RetryResult is what RetryFailed did.
type RetryResult struct {
	// State is the campaign's state: a paused campaign's requeued messages
	// wait for its resume.
	State store.CampaignState `json:"state"`
	// Requeued is how many messages went back to queued, each with a new
	// send task and a new TTL.
	Requeued int64 `json:"requeued"`
	// Reenqueued is how many messages an earlier RetryFailed requeued but
	// whose task was missing (it stopped between the two steps) got it now.
	Reenqueued int64 `json:"reenqueued"`
	// Skipped counts the messages left as they are, by reason.
	Skipped map[SkipReason]int64 `json:"skipped"`
}

// retryTaskID is the task ID of a message's n-th retry: never the ID of an
// earlier task of the message (asynq keeps an archived task's ID).
func retryTaskID(id string, n int) string { return id + "#retry" + strconv.Itoa(n) }

// RetryFailed sends campaign id's messages again that ended in a
// retryable failure (the worker gave up after transient errors only:
// store.Record.Retryable) or expired, and nothing else: never one the
// provider may have taken (accepted and after, or failed "ambiguous"),
// never one refused for good, opted out, outside the window, invalid or
// cancelled. Each is rendered again from the campaign's stored spec and
// the row's values kept with its record, moved back to queued
// (store.Requeue: a compare-and-set, its attempts kept) and enqueued with a
// new TTL counted from now under a task ID of its own.
//
// Running it again requeues nothing more (the records are queued); a
// requeued record whose task went missing because an earlier run stopped
// half-way gets its task then. A cancelled campaign is an error (nothing of
// it is sent again); a paused one's messages wait for its resume.
func (p *Producer) RetryFailed(ctx context.Context, campaignID string) (RetryResult, error) {
	res := RetryResult{Skipped: map[SkipReason]int64{}}
	c, err := p.st.Campaign(ctx, campaignID)
	if err != nil {
		return res, err
	}
	state, err := p.st.CampaignState(ctx, campaignID)
	if err != nil {
		return res, err
	}
	res.State = state.State
	if state.State == store.CampaignCancelled {
		return res, fmt.Errorf("campaign %s: %w: nothing of it is sent again", campaignID, store.ErrCampaignCancelled)
	}
	cm, err := NewCampaignMessages(c)
	if err != nil {
		return res, err
	}
	r := &retryRun{p: p, spec: &cm.spec, msgs: cm, res: &res, lane: cm.lane,
		opts: []asynq.Option{asynq.MaxRetry(message.TaskMaxRetry)}}
	err = p.st.EachMember(ctx, campaignID, p.cfg.BatchSize, func(recs []*store.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return r.page(ctx, recs)
	})
	return res, err
}

// retryRun is one RetryFailed call's state.
type retryRun struct {
	p    *Producer
	spec *Spec
	msgs *CampaignMessages
	lane message.Lane
	opts []asynq.Option // all but the queue (the message's shard) and the task ID
	res  *RetryResult
}

// retryJob is one task to enqueue.
type retryJob struct {
	msg    message.Message
	taskID string
	again  bool // an earlier run's requeued record, its task maybe missing
}

// classify says whether rec may be sent again, or why not.
func classify(rec *store.Record) (ok bool, why SkipReason) {
	switch {
	case rec.Status.ProviderTook():
		return false, SkipProviderTook
	case rec.ErrorCode == store.AmbiguousCode:
		return false, SkipAmbiguous
	case rec.Status.Pending():
		return false, SkipPending
	case rec.Status == message.Expired:
		return true, ""
	case rec.Status == message.Failed && rec.Retryable:
		return true, ""
	case rec.Status == message.Failed:
		return false, SkipPermanent
	}
	return false, SkipFinal
}

// page requeues and enqueues one page of the campaign's records.
func (r *retryRun) page(ctx context.Context, recs []*store.Record) error {
	now := r.p.cfg.Now()
	var (
		refs  []store.Ref
		froms []message.Status
		msgs  []message.Message
		jobs  []retryJob
	)
	for _, rec := range recs {
		ok, why := classify(rec)
		again := rec.Status == message.Queued && rec.Retries > 0
		if !ok && !again {
			if rec.Status == message.Failed && why == SkipPermanent && rec.Values == nil {
				why = SkipNoValues // from before failures were marked, too
			}
			r.res.Skipped[why]++
			continue
		}
		m, err := r.render(rec, now)
		if err != nil {
			if !again {
				r.res.Skipped[SkipNoValues]++
			} else {
				r.res.Skipped[SkipPending]++
			}
			continue
		}
		if again {
			jobs = append(jobs, retryJob{msg: m, taskID: retryTaskID(rec.ID, rec.Retries), again: true})
			continue
		}
		refs = append(refs, store.Ref{ID: rec.ID, CampaignID: rec.CampaignID, Account: rec.Account})
		froms = append(froms, rec.Status)
		msgs = append(msgs, m)
	}
	moved, err := r.p.st.RequeueMany(ctx, refs, froms)
	if err != nil {
		return err
	}
	for i, mv := range moved {
		switch {
		case mv.Err == nil:
			jobs = append(jobs, retryJob{msg: msgs[i], taskID: retryTaskID(refs[i].ID, mv.Retries)})
		case errors.Is(mv.Err, store.ErrCampaignCancelled):
			return fmt.Errorf("campaign %s was cancelled meanwhile: %w", r.spec.ID, store.ErrCampaignCancelled)
		default:
			r.res.Skipped[SkipChanged]++
		}
	}
	return r.enqueue(ctx, jobs)
}

// render builds rec's message again from the spec and its stored values,
// with a TTL counted from now (or from send_at, if that is still ahead).
func (r *retryRun) render(rec *store.Record, now time.Time) (message.Message, error) {
	m, err := r.msgs.render(rec, now)
	if err != nil {
		return message.Message{}, err
	}
	base := now
	if r.spec.SendAt.After(now) {
		base = r.spec.SendAt
	}
	m.ExpiresAt = base.Add(time.Duration(r.spec.TTL))
	return m, m.Validate()
}

// enqueue enqueues jobs with the producer's EnqueueWorkers in parallel. A
// task ID conflict on a record requeued earlier means its task is there.
func (r *retryRun) enqueue(ctx context.Context, jobs []retryJob) error {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		next     int
		firstErr error
	)
	opts := r.opts
	if r.spec.SendAt.After(r.p.cfg.Now()) {
		opts = append(opts[:len(opts):len(opts)], asynq.ProcessAt(r.spec.SendAt))
	}
	for range min(r.p.cfg.EnqueueWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(jobs) || firstErr != nil {
					mu.Unlock()
					return
				}
				j := &jobs[next]
				next++
				mu.Unlock()
				err := r.enqueueOne(ctx, j, opts)
				mu.Lock()
				switch {
				case errors.Is(err, asynq.ErrTaskIDConflict):
					r.res.Skipped[SkipPending]++
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case j.again:
					r.res.Reenqueued++
				default:
					r.res.Requeued++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("%w; run retry-failed again to finish: it enqueues the tasks still missing", firstErr)
	}
	return nil
}

func (r *retryRun) enqueueOne(ctx context.Context, j *retryJob, opts []asynq.Option) error {
	// The shard is the message's, not the retry task ID's: every task of a
	// message, first or retried, waits in one queue.
	task, err := message.NewSendTask(&j.msg, append(opts[:len(opts):len(opts)], r.p.queue(r.lane, j.msg.ID), asynq.TaskID(j.taskID))...)
	if err != nil {
		return fmt.Errorf("build task of %s: %w", j.msg.ID, err)
	}
	if _, err := r.p.client.EnqueueContext(ctx, task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return err
		}
		return fmt.Errorf("enqueue %s: %w", j.msg.ID, err)
	}
	return nil
}
