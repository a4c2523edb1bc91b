package taskbatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"go.uber.org/goleak"

	"github.com/wabulk/wabulk/internal/taskbatch"
	"github.com/wabulk/wabulk/store/storetest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// cases are the task shapes an import writes: compact (no payload), full
// (a payload), scheduled, and asynq's defaults.
func cases(queue string, at time.Time) []taskbatch.Task {
	return []taskbatch.Task{
		{Queue: queue, ID: "c1:+255712000001", Type: "wabulk:send", MaxRetry: 1 << 20},
		{Queue: queue, ID: "c1:+255712000002", Type: "wabulk:send", Payload: []byte(`{"v":1,"id":"c1:+255712000002"}`), MaxRetry: 3},
		{Queue: queue, ID: "c1:+255712000003", Type: "wabulk:send", MaxRetry: 1 << 20, ProcessAt: at},
		{Queue: queue, ID: "c1:+255712000004", Type: "other", Payload: []byte{0, 1, 2}, Timeout: 90 * time.Second},
		{Queue: queue, ID: "c1:+255712000005", Type: "wabulk:send", MaxRetry: -1, ProcessAt: time.Unix(1, 0)}, // past: pending
	}
}

// asynqTask is t as asynq's client would be given it.
func asynqTask(t taskbatch.Task) *asynq.Task {
	opts := []asynq.Option{asynq.Queue(t.Queue), asynq.TaskID(t.ID), asynq.MaxRetry(t.MaxRetry)}
	if t.Timeout > 0 {
		opts = append(opts, asynq.Timeout(t.Timeout))
	}
	if !t.ProcessAt.IsZero() {
		opts = append(opts, asynq.ProcessAt(t.ProcessAt))
	}
	return asynq.NewTask(t.Type, t.Payload, opts...)
}

// queueState is everything asynq keeps of a queue's tasks, but for
// pending_since (a time).
type queueState struct {
	Hashes    map[string]map[string]string
	Pending   []string
	Scheduled map[string]float64
	Published bool
}

func readQueue(t *testing.T, r *storetest.Redis, q string, ids []string) queueState {
	t.Helper()
	pre := "asynq:{" + q + "}:"
	st := queueState{Hashes: map[string]map[string]string{}, Scheduled: map[string]float64{}}
	for _, id := range ids {
		h, err := r.Client.HGetAll(bg, pre+"t:"+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h["pending_since"]; ok {
			h["pending_since"] = "set"
		}
		st.Hashes[id] = h
	}
	var err error
	if st.Pending, err = r.Client.LRange(bg, pre+"pending", 0, -1).Result(); err != nil {
		t.Fatal(err)
	}
	zs, err := r.Client.ZRangeWithScores(bg, pre+"scheduled", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zs {
		st.Scheduled[z.Member.(string)] = z.Score
	}
	if st.Published, err = r.Client.SIsMember(bg, "asynq:queues", q).Result(); err != nil {
		t.Fatal(err)
	}
	return st
}

// The Writer leaves Redis exactly as asynq's client leaves it: the same
// encoded message bytes, hash fields, pending order, scheduled scores and
// queues set.
func TestWriteMatchesAsynqClient(t *testing.T) {
	r := storetest.New(t)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	qa, qb := r.Prefix+"asynq", r.Prefix+"batch"
	client := asynq.NewClientFromRedisClient(r.Client)
	defer client.Close()
	var idsA, idsB []string
	for _, tk := range cases(qa, at) {
		if _, err := client.Enqueue(asynqTask(tk)); err != nil {
			t.Fatalf("asynq enqueue %s: %v", tk.ID, err)
		}
		idsA = append(idsA, tk.ID)
	}
	tasks := cases(qb, at)
	written, err := taskbatch.New(r.Client).Write(bg, tasks)
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range tasks {
		if !written[i] {
			t.Errorf("task %s not written", tk.ID)
		}
		idsB = append(idsB, tk.ID)
	}
	// The queue name is inside the encoded message: compare each with the
	// message asynq writes for the same queue.
	want := readQueue(t, r, qa, idsA)
	got := readQueue(t, r, qb, idsB)
	for _, tk := range cases(qb, at) {
		b, err := r.Client.HGet(bg, "asynq:{"+qb+"}:t:"+tk.ID, "msg").Result()
		if err != nil {
			t.Fatal(err)
		}
		// Re-encode asynq's message for queue qb by enqueueing it there
		// through asynq after deleting the Writer's.
		if err := r.Client.Del(bg, "asynq:{"+qb+"}:t:"+tk.ID).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Enqueue(asynqTask(tk)); err != nil {
			t.Fatalf("asynq enqueue %s: %v", tk.ID, err)
		}
		a, err := r.Client.HGet(bg, "asynq:{"+qb+"}:t:"+tk.ID, "msg").Result()
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("task %s: encoded %x, asynq encodes %x", tk.ID, b, a)
		}
		got.Hashes[tk.ID]["msg"] = "?"
		want.Hashes[tk.ID]["msg"] = "?"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queue state (-asynq +writer):\n%s", diff)
	}
}

// asynq's Inspector reads what the Writer wrote, and a task ID still in
// the queue is a conflict both ways, exactly as asynq's client tells it.
func TestWriteInspectorAndConflict(t *testing.T) {
	r := storetest.New(t)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	q := r.Prefix + "q"
	w := taskbatch.New(r.Client)
	tasks := cases(q, at)
	if _, err := w.Write(bg, tasks); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	defer insp.Close()
	qs, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, name := range qs {
		found = found || name == q
	}
	if !found {
		t.Errorf("Inspector.Queues() = %v, want %s among them", qs, q)
	}
	for _, tk := range tasks {
		info, err := insp.GetTaskInfo(q, tk.ID)
		if err != nil {
			t.Fatalf("GetTaskInfo %s: %v", tk.ID, err)
		}
		wantState, wantTimeout := asynq.TaskStatePending, 30*time.Minute
		if tk.ProcessAt.After(time.Now()) {
			wantState = asynq.TaskStateScheduled
		}
		if tk.Timeout > 0 {
			wantTimeout = tk.Timeout
		}
		got := []any{info.ID, info.Queue, info.Type, string(info.Payload), info.MaxRetry, info.State, info.Timeout, info.Deadline.IsZero()}
		want := []any{tk.ID, q, tk.Type, string(tk.Payload), max(tk.MaxRetry, 0), wantState, wantTimeout, true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("task %s (-want +got):\n%s", tk.ID, diff)
		}
		if wantState == asynq.TaskStateScheduled && !info.NextProcessAt.Equal(tk.ProcessAt) {
			t.Errorf("task %s: NextProcessAt %v, want %v", tk.ID, info.NextProcessAt, tk.ProcessAt)
		}
	}

	// Written again: every one is a conflict, nothing changes.
	before, err := r.Client.LLen(bg, "asynq:{"+q+"}:pending").Result()
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.Write(bg, tasks)
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range again {
		if ok {
			t.Errorf("task %s written twice", tasks[i].ID)
		}
	}
	if after, _ := r.Client.LLen(bg, "asynq:{"+q+"}:pending").Result(); after != before {
		t.Errorf("pending grew from %d to %d on a rewrite", before, after)
	}
	// asynq's client sees the Writer's tasks as conflicts...
	client := asynq.NewClientFromRedisClient(r.Client)
	defer client.Close()
	for _, tk := range tasks {
		if _, err := client.Enqueue(asynqTask(tk)); !errors.Is(err, asynq.ErrTaskIDConflict) {
			t.Errorf("asynq enqueue of written %s: %v, want ErrTaskIDConflict", tk.ID, err)
		}
	}
	// ...and the Writer sees asynq's, while a deleted task is written anew.
	if err := insp.DeleteTask(q, tasks[0].ID); err != nil {
		t.Fatal(err)
	}
	other := taskbatch.Task{Queue: q, ID: "by-asynq", Type: "wabulk:send"}
	if _, err := client.Enqueue(asynqTask(other)); err != nil {
		t.Fatal(err)
	}
	res, err := w.Write(bg, []taskbatch.Task{tasks[0], other, tasks[1]})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, false, false}, res); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
}

// A real asynq Server processes the Writer's tasks, pending and scheduled,
// in several queues, with their payloads, IDs and retry limits.
func TestWriteProcessedByServer(t *testing.T) {
	r := storetest.New(t)
	q1, q2 := r.Prefix+"s1", r.Prefix+"s2"
	var tasks []taskbatch.Task
	for i, q := range []string{q1, q2, q1, q2} {
		tk := taskbatch.Task{Queue: q, ID: "m" + string(rune('a'+i)), Type: "wabulk:send", Payload: []byte{byte(i)}, MaxRetry: 7 + i}
		if i == 3 {
			tk.Payload = nil
			tk.ProcessAt = time.Now().Add(time.Second)
		}
		tasks = append(tasks, tk)
	}
	if _, err := taskbatch.New(r.Client).Write(bg, tasks); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		Queue, ID, Payload string
		MaxRetry           int
	}
	var (
		mu   sync.Mutex
		got  = map[string]seen{}
		done = make(chan struct{})
	)
	mux := asynq.NewServeMux()
	mux.HandleFunc("wabulk:send", func(ctx context.Context, tk *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		q, _ := asynq.GetQueueName(ctx)
		mr, _ := asynq.GetMaxRetry(ctx)
		mu.Lock()
		defer mu.Unlock()
		got[id] = seen{Queue: q, ID: id, Payload: string(tk.Payload()), MaxRetry: mr}
		if len(got) == len(tasks) {
			close(done)
		}
		return nil
	})
	srv := asynq.NewServerFromRedisClient(r.Client, asynq.Config{Concurrency: 2, Queues: map[string]int{q1: 1, q2: 1},
		LogLevel: asynq.ErrorLevel, DelayedTaskCheckInterval: 100 * time.Millisecond})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Error("not every task was processed within 30s")
	}
	srv.Shutdown()
	want := map[string]seen{}
	for _, tk := range tasks {
		want[tk.ID] = seen{Queue: tk.Queue, ID: tk.ID, Payload: string(tk.Payload), MaxRetry: tk.MaxRetry}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}
