package worker_test

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/providers/simulator"
)

// A task of a type no handler takes (a newer wabulk, another program) is
// archived at once with the reason, not retried for ever.
func TestUnknownTaskTypesAreArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	if _, err := e.client.Enqueue(asynq.NewTask("wabulk:frobnicate", []byte("{}")), asynq.Queue(e.eventsQueue()), asynq.MaxRetry(25)); err != nil {
		t.Fatal(err)
	}
	e.run(e.config(), nil)
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	archived := sharedtest.WaitFor(t, func() []*asynq.TaskInfo { a, _ := insp.ListArchivedTasks(e.eventsQueue()); return a },
		func(a []*asynq.TaskInfo) bool { return len(a) == 1 }, waitTimeout, "the unknown task archived")
	if a := archived[0]; !strings.Contains(a.LastErr, `task type "wabulk:frobnicate": this worker handles`) || a.Retried != 0 {
		t.Errorf("archived: last error %q, retried %d", a.LastErr, a.Retried)
	}
}
