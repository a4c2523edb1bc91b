package worker_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
)

// enqueueSharded creates m's record and its task in the shard of its ID
// among shards, as the producer does; it returns the queue.
func (e *env) enqueueSharded(m *message.Message, l message.Lane, shards int) string {
	e.t.Helper()
	if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
		e.t.Fatal(err)
	}
	q := message.SendQueue(e.r.Prefix, l, m.ID, shards)
	task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(q), asynq.MaxRetry(message.TaskMaxRetry))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.client.Enqueue(task); err != nil {
		e.t.Fatal(err)
	}
	return q
}

// A worker with lanes in shards consumes every shard of every lane, each
// with its lane's weight, the events queue weighed against all of them:
// what its asynq server says it serves, and every message of every shard
// gets sent.
func TestWorkerConsumesEveryShard(t *testing.T) {
	t.Parallel()
	const shards = 3
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.QueueShards = shards
	const n = 30
	used := map[string]bool{}
	for i := range n {
		used[e.enqueueSharded(e.msg("template", i), message.LaneNormal, shards)] = true
	}
	if len(used) != shards {
		t.Fatalf("%d messages used queues %v, want all %d shards (pick other ids)", n, used, shards)
	}
	e.run(cfg, nil)

	want := map[string]int{}
	for _, q := range receipts.Queues(e.r.Prefix, shards) {
		want[q] = 5
	}
	for l, w := range map[message.Lane]int{message.LaneHigh: 6, message.LaneNormal: 3, message.LaneLow: 1} {
		for _, q := range message.LaneQueues(e.r.Prefix, l, shards) {
			want[q] = w
		}
	}
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	served := sharedtest.WaitFor(t, func() map[string]int {
		servers, _ := insp.Servers()
		for _, s := range servers {
			if _, ours := s.Queues[receipts.Queue(e.r.Prefix)]; ours {
				return s.Queues
			}
		}
		return nil
	}, func(q map[string]int) bool { return q != nil }, waitTimeout, "the worker's asynq server info")
	if diff := cmp.Diff(want, served); diff != "" {
		t.Errorf("queues served (-want +got):\n%s", diff)
	}

	c := e.waitOutcomes(n)
	if c[message.Failed] != 0 || e.sim.Stats().Duplicates != 0 {
		t.Errorf("counts %v, duplicates %d: want every message sent once", c, e.sim.Stats().Duplicates)
	}
}

// A worker that finds tasks in shards of its lanes beyond its own count
// (a producer with a higher queue_shards put them there) names those
// queues in an error; an empty one left over is only a warning; other
// lanes' and other prefixes' queues are not its business.
func TestWorkerNamesShardsBeyondItsCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	ctx := context.Background()
	enqueueTo := func(q string, m *message.Message) {
		t.Helper()
		task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(q), asynq.MaxRetry(message.TaskMaxRetry))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.EnqueueContext(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	stranded := message.ShardQueueName(e.r.Prefix, message.LaneNormal, 5)
	enqueueTo(stranded, e.msg("template", 1))
	leftover := message.ShardQueueName(e.r.Prefix, message.LaneNormal, 3)
	enqueueTo(leftover, e.msg("template", 2))
	if err := asynq.NewInspectorFromRedisClient(e.r.Client).DeleteTask(leftover, e.msg("template", 2).ID); err != nil {
		t.Fatal(err)
	}
	lowOff := message.ShardQueueName(e.r.Prefix, message.LaneLow, 4)
	enqueueTo(lowOff, e.msg("template", 3))
	inShards := message.ShardQueueName(e.r.Prefix, message.LaneNormal, 1)
	enqueueTo(inShards, e.msg("template", 4))

	core, logs := observer.New(zapcore.WarnLevel)
	cfg := e.config()
	cfg.QueueShards = 2
	cfg.LaneWeights = map[message.Lane]int{message.LaneHigh: 2, message.LaneNormal: 1} // lane low off
	cfg.Logger = zap.New(core)
	e.run(cfg, nil)

	// The check runs before the server starts; its warning comes last.
	sharedtest.WaitFor(t, func() int { return logs.FilterMessageSnippet("empty queues beyond").Len() },
		func(n int) bool { return n > 0 }, waitTimeout, "the warning about empty shards")
	named := map[zapcore.Level][]string{} // the queues each level's entry names
	var detail []string
	for _, en := range logs.FilterMessageSnippet("beyond this worker's queue shards").All() {
		for _, q := range fieldStrings(en.ContextMap()["queues"]) {
			name, about, _ := strings.Cut(q, " (")
			named[en.Level] = append(named[en.Level], name)
			detail = append(detail, about)
		}
	}
	want := map[zapcore.Level][]string{zapcore.ErrorLevel: {stranded}, zapcore.WarnLevel: {leftover}}
	if diff := cmp.Diff(want, named); diff != "" {
		t.Errorf("queues named (-want +got):\n%s", diff)
	}
	if !slices.Contains(detail, "1 pending, 0 scheduled, 0 retry, 0 active)") {
		t.Errorf("the error does not count the stranded task: %q", detail)
	}
}

// fieldStrings reads a zap.Strings field as the observer keeps it.
func fieldStrings(v any) []string {
	switch s := v.(type) {
	case []string:
		return s
	case []any:
		out := make([]string, 0, len(s))
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}
