package producer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

const testShards = 4

// shardRows is a CSV of n recipients for textSpec.
func shardRows(n int) string {
	var b strings.Builder
	b.WriteString("phone,name,code\n")
	for i := range n {
		fmt.Fprintf(&b, "+2557124%05d,Name%d,C%d\n", i, i, i)
	}
	return b.String()
}

// tasksByQueue returns, for each queue of lane l, the IDs of its pending
// tasks; it fails the test when one task ID is pending in two queues.
func tasksByQueue(t *testing.T, h *harness, l message.Lane) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	where := map[string]string{}
	for _, q := range h.Queues(t, l) {
		for _, ti := range h.PendingIn(t, q) {
			if other, dup := where[ti.ID]; dup {
				t.Errorf("task %s is pending in %s and in %s", ti.ID, other, q)
			}
			where[ti.ID] = q
			out[q] = append(out[q], ti.ID)
		}
	}
	return out
}

// checkShards checks that every pending task of lane l waits in the shard
// of its message ID and returns how many there are.
func checkShards(t *testing.T, h *harness, l message.Lane) int {
	t.Helper()
	n := 0
	for q, ids := range tasksByQueue(t, h, l) {
		for _, id := range ids {
			msgID, _, _ := strings.Cut(id, "#retry") // a retry task waits in its message's shard
			if want := message.SendQueue(h.R.Prefix, l, msgID, testShards); q != want {
				t.Errorf("task %s waits in %s, want %s", id, q, want)
			}
			n++
		}
	}
	return n
}

// An import with sharded lanes spreads the campaign's tasks over the
// lane's shards, each task in the shard of its message ID; an import run
// again after tasks went missing puts each back in that same shard, where
// the tasks still there make the enqueue a no-op: no message gets a second
// task in another shard.
func TestImportSpreadsTasksOverShards(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{QueueShards: testShards})
	const n = 200
	res, err := p.Import(bg, textSpec("sh"), strings.NewReader(shardRows(n)), producer.Options{})
	must(t, err)
	if res.Accepted != n {
		t.Fatalf("accepted %d, want %d", res.Accepted, n)
	}
	queues := h.Queues(t, message.LaneNormal)
	if len(queues) < 2 {
		t.Fatalf("tasks of %d messages landed in queues %q, want more than one", n, queues)
	}
	if got := checkShards(t, h, message.LaneNormal); got != n {
		t.Errorf("%d pending tasks, want %d", got, n)
	}

	// Three tasks go missing, each from its own shard.
	var lost []string
	for _, ids := range tasksByQueue(t, h, message.LaneNormal) {
		if len(lost) < 3 {
			lost = append(lost, ids[0])
		}
	}
	for _, id := range lost {
		must(t, h.Insp.DeleteTask(message.SendQueue(h.R.Prefix, message.LaneNormal, id, testShards), id))
	}
	res, err = p.Import(bg, textSpec("sh"), strings.NewReader(shardRows(n)), producer.Options{})
	must(t, err)
	if res.AlreadyPresent != n || res.Requeued != int64(len(lost)) || res.Accepted != 0 {
		t.Errorf("re-import: %+v, want %d already present of which %d requeued", res.Progress, n, len(lost))
	}
	if got := checkShards(t, h, message.LaneNormal); got != n {
		t.Errorf("after the re-import %d pending tasks, want %d", got, n)
	}
}

// API sends and retry-failed put a message's task in the shard of its
// ID too, so a replay meets the task already there.
func TestSendAndRetryFailedUseTheMessagesShard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{QueueShards: testShards})
	var ids []string
	for i := range 12 {
		req := sendReq(fmt.Sprintf("shard-%d", i))
		req.To = fmt.Sprintf("+2557125%05d", i)
		res, err := p.Send(bg, req)
		must(t, err)
		ids = append(ids, res.ID)
		// A replay finds the task in the same shard: still one task.
		again, err := p.Send(bg, req)
		must(t, err)
		if !again.IdempotentReplay {
			t.Errorf("second send of %s: not a replay", res.ID)
		}
	}
	if got := checkShards(t, h, message.LaneHigh); got != len(ids) {
		t.Errorf("%d pending API tasks, want %d", got, len(ids))
	}
	if qs := h.Queues(t, message.LaneHigh); len(qs) < 2 {
		t.Errorf("12 API sends landed in queues %q, want more than one", qs)
	}

	// retry-failed: expired messages come back in their own shards.
	spec := textSpec("rs")
	const n = 20
	_, err := p.Import(bg, spec, strings.NewReader(shardRows(n)), producer.Options{})
	must(t, err)
	for q, tids := range tasksByQueue(t, h, message.LaneNormal) {
		for _, id := range tids {
			must(t, h.Insp.DeleteTask(q, id))
			if _, err := h.St.Transition(bg, store.Ref{ID: id, CampaignID: "rs", Account: spec.Account}, message.Expired, store.Update{ErrorCode: "ttl"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	later := h.Producer(producer.Config{QueueShards: testShards, Now: at(t0.Add(time.Hour))})
	rr, err := later.RetryFailed(bg, "rs")
	must(t, err)
	if rr.Requeued != n {
		t.Errorf("retry-failed requeued %d, want %d", rr.Requeued, n)
	}
	if got := checkShards(t, h, message.LaneNormal); got != n {
		t.Errorf("%d retry tasks pending, want %d", got, n)
	}
}

// End to end with lanes in four shards: the import's tasks land in more
// than one queue, and a worker with the same shard count sends every
// message exactly once.
func TestShardedCampaignIsSentOnce(t *testing.T) {
	t.Parallel()
	e := newSendEnv(t)
	spec := &producer.Spec{ID: "shs", Account: "tj", TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"{{name}}"}}}}
	const n = 150
	rows := map[string]string{}
	for i := range n {
		rows[fmt.Sprintf("+2557126%05d", i)] = fmt.Sprintf("Name%d", i)
	}
	p := e.Producer(producer.Config{QueueShards: testShards, Now: time.Now})
	res, err := p.Import(bg, spec, strings.NewReader(csvOf(rows)), producer.Options{})
	must(t, err)
	if res.Accepted != n {
		t.Fatalf("accepted %d, want %d", res.Accepted, n)
	}
	if qs := e.Queues(t, message.LaneNormal); len(qs) < 2 {
		t.Fatalf("tasks landed in queues %q, want more than one", qs)
	}
	if got := checkShards(t, e.harness, message.LaneNormal); got != n {
		t.Fatalf("%d pending tasks, want %d", got, n)
	}

	e.run(t, worker.Config{QueueShards: testShards})
	c := e.waitCounts(t, spec.ID, drained)
	if c.Outcomes() != n || c[message.Failed] != 0 {
		t.Errorf("counts %v, want %d outcomes and no failure", c, n)
	}
	st := e.sim.Stats()
	if st.Recipients != n || st.Duplicates != 0 {
		t.Errorf("the provider got %d recipients with %d duplicates, want %d and none", st.Recipients, st.Duplicates, n)
	}
	for _, q := range e.Queues(t, message.LaneNormal) {
		if left := e.PendingIn(t, q); len(left) != 0 {
			t.Errorf("%s still holds %d tasks", q, len(left))
		}
	}
}
