package receipts

import (
	"context"
	"sync"
	"time"

	"github.com/wabulk/wabulk/providers"
)

// The group commit's bounds: one events task holds at most
// maxGroupEvents events, and at most maxFlushes tasks of one account are
// being written at once. One writer per account measured best (loadtest
// webhooks, BENCHMARKS.md): while it writes, the callbacks that arrive
// gather into the next task; more writers write smaller tasks.
const (
	maxGroupEvents = 500
	maxFlushes     = 1
)

// committer stores the callbacks of one account that arrive together as
// ONE events task (group commit). A callback joins the open group and
// waits until that group's task is in Redis (or failed: then every
// callback of the group is answered 503 and the provider retries each):
// nothing is answered 200 before it is stored, and each callback is in
// exactly one task. When no task of the account is being written, a
// callback's group goes at once, alone: batching happens only while Redis
// is busy with an earlier task, so it never adds latency, and under load
// it turns many enqueues into one.
//
// No goroutine outlives the callbacks: the callback that opens a flush
// writes groups until none is waiting, handing on to a new goroutine only
// when a group arrived during its own write.
type committer struct {
	store func(ctx context.Context, b Batch) error
	// timeout bounds one task's write.
	timeout time.Duration

	mu       sync.Mutex
	queue    []*group // waiting to be written, oldest first
	flushing int      // writes under way
}

// group is the callbacks of one events task.
type group struct {
	batch Batch
	done  chan struct{}
	err   error
}

// add stores events received at at with the account's other callbacks of
// the moment, and returns when they are in Redis (nil) or could not be
// stored. ctx bounds only the wait: a group being written is written
// whatever one of its callbacks does.
func (c *committer) add(ctx context.Context, account string, at time.Time, events []providers.Event) error {
	c.mu.Lock()
	var g *group
	if n := len(c.queue); n > 0 && len(c.queue[n-1].batch.Events)+len(events) <= maxGroupEvents {
		g = c.queue[n-1]
	} else {
		// Received is the group's first callback's time: the earliest,
		// which is what the worker's hold and inbound dating need.
		g = &group{batch: Batch{Account: account, Received: at}, done: make(chan struct{})}
		c.queue = append(c.queue, g)
	}
	g.batch.Events = append(g.batch.Events, events...)
	lead := c.flushing < maxFlushes
	if lead {
		c.flushing++
	}
	c.mu.Unlock()
	if lead {
		c.flush(g)
	}
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush writes the oldest waiting group, until mine is written; groups
// still waiting then go on in a goroutine of their own.
func (c *committer) flush(mine *group) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.flushing--
			c.mu.Unlock()
			return
		}
		g := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		g.err = c.store(ctx, g.batch)
		cancel()
		close(g.done)
		if g != mine {
			continue
		}
		c.mu.Lock()
		more := len(c.queue) > 0
		if !more {
			c.flushing--
		}
		c.mu.Unlock()
		if more {
			go c.flush(nil)
		}
		return
	}
}
