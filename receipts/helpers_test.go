package receipts_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// t0 is where the tests' clocks start: whole seconds, as the store keeps
// them.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// queued returns the events tasks pending on r's events queue, in order,
// their payloads read as plain JSON (the wire form the worker decodes).
func queued(t *testing.T, r *storetest.Redis) []receipts.Batch {
	t.Helper()
	infos, err := asynq.NewInspectorFromRedisClient(r.Client).ListPendingTasks(receipts.Queue(r.Prefix), asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	must(t, err)
	var out []receipts.Batch
	for _, ti := range infos {
		if ti.Type != receipts.TypeEvents {
			t.Errorf("task %s has type %q, want %q", ti.ID, ti.Type, receipts.TypeEvents)
		}
		var b receipts.Batch
		if err := json.Unmarshal(ti.Payload, &b); err != nil {
			t.Fatalf("task %s payload: %v", ti.ID, err)
		}
		out = append(out, b)
	}
	return out
}
