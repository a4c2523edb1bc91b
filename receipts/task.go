package receipts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/providers"
)

// TypeEvents is the asynq task type of a Batch: receipts and inbound
// messages of one provider account, for the worker's event processor.
const TypeEvents = "wabulk:events"

// Queue is the asynq queue of events tasks under a key prefix ("wabulk:" +
// "events"). The receiver, the poller and the worker derive it from the
// same prefix.
func Queue(prefix string) string { return prefix + "events" }

// Queues lists the events queues split into n shards (the same
// redis.queue_shards as the lanes), Queue(prefix) first: asynq keeps a
// queue on one Redis Cluster master, so shards spread the receipts over
// the masters. Shard i > 0 is Queue(prefix) + "#i".
func Queues(prefix string, n int) []string {
	qs := make([]string, max(n, 1))
	for i := range qs {
		qs[i] = Queue(prefix)
		if i > 0 {
			qs[i] += "#" + strconv.Itoa(i)
		}
	}
	return qs
}

// Batch is the events of one callback (or one round of status polls) for
// one provider account: the payload of an events task, as JSON.
type Batch struct {
	// Account is the provider account the events are about, by the name
	// the worker sends with.
	Account string `json:"account"`
	// Received is when the callback arrived (or the poll was made), UTC.
	// The worker drops a receipt whose record is still unknown
	// worker.Config.EventHoldFor after it, and never dates an inbound
	// message later than it.
	Received time.Time `json:"received"`
	// Events are in the order the provider told them.
	Events []providers.Event `json:"events"`
}

// check says what makes b unusable by the worker.
func (b *Batch) check() error {
	switch {
	case b.Account == "":
		return errors.New("no account")
	case b.Received.IsZero():
		return errors.New("no received time")
	}
	return nil
}

// NewTask wraps b as an events task. It checks b first: a task that
// reaches Redis is one the worker can apply.
func NewTask(b Batch, opts ...asynq.Option) (*asynq.Task, error) {
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("events task of %d events: %w", len(b.Events), err)
	}
	payload, err := json.Marshal(b)
	if err != nil { // events are plain data; cannot happen
		return nil, fmt.Errorf("encode %d events of %s: %w", len(b.Events), b.Account, err)
	}
	return asynq.NewTask(TypeEvents, payload, opts...), nil
}

// Enqueue stores one batch of a provider account's events as ONE events
// task on Queue(prefix): what the worker's event processor applies. The
// receiver stores each callback this way, and the poller each round of
// polled statuses. A nil error means the batch is in Redis.
func Enqueue(ctx context.Context, client *asynq.Client, prefix string, b Batch) error {
	return EnqueueSharded(ctx, client, prefix, 1, b)
}

// EnqueueSharded is Enqueue onto one of shards events queues (Queues),
// picked at random: batches carry their own times and the store applies
// them in any order (receipts only move a record forward; opt-outs and
// windows keep the latest), so no two need the same queue.
func EnqueueSharded(ctx context.Context, client *asynq.Client, prefix string, shards int, b Batch) error {
	task, err := NewTask(b)
	if err != nil {
		return err
	}
	q := Queue(prefix)
	if shards > 1 {
		q = Queues(prefix, shards)[rand.IntN(shards)]
	}
	if _, err := client.EnqueueContext(ctx, task, asynq.Queue(q)); err != nil {
		return fmt.Errorf("enqueue %d events of %s: %w", len(b.Events), b.Account, err)
	}
	return nil
}

// DecodeTask reads an events task's payload. Every error means the
// payload will never become usable: the worker archives the task with it.
func DecodeTask(payload []byte) (*Batch, error) {
	var b Batch
	if err := json.Unmarshal(payload, &b); err != nil {
		return nil, fmt.Errorf("bad events payload: not JSON: %w", err)
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("bad events payload: %w", err)
	}
	return &b, nil
}
