package producer_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// t0 is the tests' clock: whole milliseconds, as the store keeps them.
var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// harness is one test's Redis, store, asynq client and inspector, all under
// a key prefix of its own.
type harness struct {
	r      *storetest.Redis
	st     *store.Store
	client *asynq.Client
	insp   *asynq.Inspector
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	r := storetest.New(t)
	return &harness{
		r:      r,
		st:     store.New(r.Client, store.Config{Prefix: r.Prefix, Now: at(t0)}),
		client: asynq.NewClientFromRedisClient(r.Client),
		insp:   asynq.NewInspectorFromRedisClient(r.Client),
	}
}

// producer returns a Producer on h's Redis; cfg.Prefix is always h's and
// the clock defaults to t0.
func (h *harness) producer(cfg producer.Config) *producer.Producer {
	cfg.Prefix = h.r.Prefix
	if cfg.Now == nil {
		cfg.Now = at(t0)
	}
	return producer.New(h.st, h.client, cfg)
}

func (h *harness) queue(l message.Lane) string { return message.QueueName(h.r.Prefix, l) }

// pending returns the decoded pending send tasks of lane l, by message ID.
func (h *harness) pending(t *testing.T, l message.Lane) []*message.Message {
	t.Helper()
	infos, err := h.insp.ListPendingTasks(h.queue(l), asynq.PageSize(10_000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list pending tasks of %s: %v", l, err)
	}
	return decodeAll(t, infos)
}

// scheduled returns the scheduled tasks of lane l, by message ID.
func (h *harness) scheduled(t *testing.T, l message.Lane) []*asynq.TaskInfo {
	t.Helper()
	infos, err := h.insp.ListScheduledTasks(h.queue(l), asynq.PageSize(10_000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list scheduled tasks of %s: %v", l, err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos
}

func decodeAll(t *testing.T, infos []*asynq.TaskInfo) []*message.Message {
	t.Helper()
	out := make([]*message.Message, 0, len(infos))
	for _, ti := range infos {
		if ti.Type != message.TypeSend {
			t.Fatalf("task %s has type %q", ti.ID, ti.Type)
		}
		m, err := message.DecodeSendTask(ti.Payload)
		if err != nil {
			t.Fatalf("decode task %s: %v", ti.ID, err)
		}
		if ti.ID != m.ID {
			t.Errorf("task id %q, message id %q: want the task id to be the message id", ti.ID, m.ID)
		}
		if ti.MaxRetry != message.TaskMaxRetry {
			t.Errorf("task %s MaxRetry = %d, want %d", ti.ID, ti.MaxRetry, message.TaskMaxRetry)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// textSpec is a campaign whose text message uses {{name}} and {{code}}.
func textSpec(id string) *producer.Spec {
	return &producer.Spec{
		ID:      id,
		Account: "tujenge-main",
		Message: message.Content{Text: &message.Text{Body: "Hi {{name}}, your code is {{ code }}"}},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()
