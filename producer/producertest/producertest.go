// Package producertest is the harness the tests of package producer and of
// its HTTP face (producer/httpapi) share: one test's Redis (real when
// WABULK_TEST_REDIS is set, else miniredis), store, asynq client and
// inspector under a key prefix of its own, and the clock the store and
// producers read.
package producertest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// T0 is where the harness's clock starts: whole milliseconds, as the store
// keeps them.
var T0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// Harness is one test's Redis, store, asynq client and inspector, all under
// a key prefix of its own, and the clock the store and producers share.
type Harness struct {
	R      *storetest.Redis
	St     *store.Store
	Client *asynq.Client
	Insp   *asynq.Inspector
	Clock  *sharedtest.Clock
}

// New returns a harness whose clock stands at T0.
func New(t *testing.T) *Harness {
	t.Helper()
	r := storetest.New(t)
	clock := sharedtest.NewClock(T0)
	return &Harness{
		R:      r,
		St:     store.New(r.Client, store.Config{Prefix: r.Prefix, Now: clock.Now}),
		Client: asynq.NewClientFromRedisClient(r.Client),
		Insp:   asynq.NewInspectorFromRedisClient(r.Client),
		Clock:  clock,
	}
}

// Producer returns a Producer on h's Redis; cfg.Prefix is always h's and
// the clock defaults to h's.
func (h *Harness) Producer(cfg producer.Config) *producer.Producer {
	cfg.Prefix = h.R.Prefix
	if cfg.Now == nil {
		cfg.Now = h.Clock.Now
	}
	return producer.New(h.St, h.Client, cfg)
}

// Queue is lane l's asynq queue under h's prefix (its shard 0, the only
// one when lanes are not sharded).
func (h *Harness) Queue(l message.Lane) string { return message.QueueName(h.R.Prefix, l) }

// Queues lists the queues of lane l under h's prefix that exist in Redis,
// whichever shards they are (message.ParseShardQueue), sorted.
func (h *Harness) Queues(t *testing.T, l message.Lane) []string {
	t.Helper()
	all, err := h.Insp.Queues()
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	var out []string
	for _, q := range all {
		if lane, _, ok := message.ParseShardQueue(h.R.Prefix, q); ok && lane == l {
			out = append(out, q)
		}
	}
	sort.Strings(out)
	return out
}

// PendingIn returns the pending tasks of queue q; none when q does not
// exist.
func (h *Harness) PendingIn(t *testing.T, q string) []*asynq.TaskInfo {
	t.Helper()
	infos, err := h.Insp.ListPendingTasks(q, asynq.PageSize(10_000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list pending tasks of %s: %v", q, err)
	}
	return infos
}

// Pending returns the decoded pending send tasks of lane l, of every
// shard, by message ID.
func (h *Harness) Pending(t *testing.T, l message.Lane) []*message.Message {
	t.Helper()
	var infos []*asynq.TaskInfo
	for _, q := range h.Queues(t, l) {
		infos = append(infos, h.PendingIn(t, q)...)
	}
	return h.DecodeAll(t, infos)
}

// Scheduled returns the scheduled tasks of lane l, of every shard, by
// task ID.
func (h *Harness) Scheduled(t *testing.T, l message.Lane) []*asynq.TaskInfo {
	t.Helper()
	var infos []*asynq.TaskInfo
	for _, q := range h.Queues(t, l) {
		got, err := h.Insp.ListScheduledTasks(q, asynq.PageSize(10_000))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("list scheduled tasks of %s: %v", q, err)
		}
		infos = append(infos, got...)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos
}

// DecodeAll decodes send tasks, checking that each task's id is its
// message's and that it carries message.TaskMaxRetry, sorted by ID. A
// compact task's message is rendered from its record and campaign, as a
// worker renders it.
func (h *Harness) DecodeAll(t *testing.T, infos []*asynq.TaskInfo) []*message.Message {
	t.Helper()
	out := make([]*message.Message, 0, len(infos))
	for _, ti := range infos {
		if ti.Type != message.TypeSend {
			t.Fatalf("task %s has type %q", ti.ID, ti.Type)
		}
		m, err := h.decode(ti)
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

// decode reads a full task's payload, or renders a compact task's message
// from its record and campaign.
func (h *Harness) decode(ti *asynq.TaskInfo) (*message.Message, error) {
	if !message.IsCompactSendTask(ti.Payload) {
		return message.DecodeSendTask(ti.Payload)
	}
	rec, err := h.St.Get(context.Background(), ti.ID)
	if err != nil {
		return nil, err
	}
	c, err := h.St.Campaign(context.Background(), rec.CampaignID)
	if err != nil {
		return nil, err
	}
	cm, err := producer.NewCampaignMessages(c)
	if err != nil {
		return nil, err
	}
	return cm.Queued(rec)
}
