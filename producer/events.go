package producer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// EnqueueEvents stores one batch of a provider account's events as ONE
// asynq task, type message.TypeEvents on message.EventsQueue(prefix), its
// payload the JSON batch: what the worker's event processor applies. The
// webhook receiver stores each callback this way, and the status poller
// (package scheduler) each round of polled receipts. A nil error means the
// batch is in Redis.
func EnqueueEvents(ctx context.Context, client *asynq.Client, prefix string, b providers.EventBatch) error {
	payload, err := json.Marshal(b)
	if err != nil { // events are plain data; cannot happen
		return fmt.Errorf("encode %d events of %s: %w", len(b.Events), b.Account, err)
	}
	task := asynq.NewTask(message.TypeEvents, payload)
	if _, err := client.EnqueueContext(ctx, task, asynq.Queue(message.EventsQueue(prefix))); err != nil {
		return fmt.Errorf("enqueue %d events of %s: %w", len(b.Events), b.Account, err)
	}
	return nil
}
