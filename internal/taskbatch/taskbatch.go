// Package taskbatch writes many asynq tasks in one Redis round trip: one
// script call per queue, all queues in one pipeline (go-redis splits it per
// node on a Cluster). asynq's own client takes a round trip per task, which
// is what bounds an import of millions of recipients.
//
// It mirrors hibiken/asynq v0.26.0 (the version go.mod pins), which keeps
// its key layout and task encoding in an internal package:
//
//   - the keys of internal/base: the queues set "asynq:queues", and under
//     "asynq:{QUEUE}:" the task hash "t:ID", the "pending" list and the
//     "scheduled" sorted set;
//   - internal/rdb's enqueueCmd and scheduleCmd: a task whose hash exists
//     is a TaskID conflict and is left alone; otherwise its hash gets
//     msg, state "pending" and pending_since (now, ns) and its ID is
//     LPUSHed onto pending, or msg and state "scheduled" and its ID is
//     ZADDed to scheduled at ProcessAt's Unix seconds;
//   - Client.EnqueueContext: a ProcessAt after now schedules, anything else
//     is pending; no timeout and no deadline means a 30-minute timeout;
//     each queue is SADDed to "asynq:queues" before its first task;
//   - internal/proto's TaskMessage, encoded as proto.Marshal does (fields
//     in number order, zero values left out).
//
// Only what an import uses is written: no unique key, group, retention,
// headers or deadline. The contract test (taskbatch_test.go) checks the
// result against asynq itself: the bytes its client writes, its Inspector,
// its Server, and its conflict answer. Upgrading asynq means running it,
// and updating this file if it fails.
package taskbatch

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// Task is one task to write.
type Task struct {
	Queue    string
	ID       string // the TaskID: a task with this ID still in Queue is left alone
	Type     string
	Payload  []byte
	MaxRetry int // a negative count is 0, as asynq.MaxRetry takes it
	// Timeout is the task's processing timeout, whole seconds. Defaults to
	// asynq's 30 minutes.
	Timeout time.Duration
	// ProcessAt, when after now, schedules the task; otherwise it is
	// pending at once.
	ProcessAt time.Time
}

// defaultTimeout is asynq's timeout of a task with neither timeout nor
// deadline (client.go).
const defaultTimeout = 30 * time.Minute

// allQueues is asynq's set of queue names (base.AllQueues).
const allQueues = "asynq:queues"

// queueKeyPrefix is the prefix of queue q's keys (base.QueueKeyPrefix).
func queueKeyPrefix(q string) string { return "asynq:{" + q + "}:" }

// enqueueScript is asynq's enqueueCmd and scheduleCmd for every task of
// one queue in turn.
// KEYS[1] pending, KEYS[2] scheduled, KEYS[2+i] task i's hash (one slot).
// ARGV[1] now (Unix ns); task i: ARGV[3i-1] ID, ARGV[3i] encoded message,
// ARGV[3i+1] "" (pending) or the ProcessAt score (scheduled).
// Replies one character per task: "1" written, "0" its ID was taken.
var enqueueScript = redis.NewScript(`
local out = {}
for i = 3, #KEYS do
  local a = 3 * (i - 2) - 1
  if redis.call("EXISTS", KEYS[i]) == 1 then
    out[i - 2] = "0"
  elseif ARGV[a + 2] == "" then
    redis.call("HSET", KEYS[i], "msg", ARGV[a + 1], "state", "pending", "pending_since", ARGV[1])
    redis.call("LPUSH", KEYS[1], ARGV[a])
    out[i - 2] = "1"
  else
    redis.call("HSET", KEYS[i], "msg", ARGV[a + 1], "state", "scheduled")
    redis.call("ZADD", KEYS[2], ARGV[a + 2], ARGV[a])
    out[i - 2] = "1"
  end
end
return table.concat(out)
`)

// Writer writes tasks to one Redis (single node, Sentinel-watched or
// Cluster). It is safe for concurrent use.
type Writer struct {
	rdb redis.UniversalClient
	now func() time.Time
	// published are the queues already SADDed to asynq:queues, as
	// asynq's RDB remembers them.
	published sync.Map
}

// New returns a Writer on rdb.
func New(rdb redis.UniversalClient) *Writer {
	return &Writer{rdb: rdb, now: time.Now}
}

// Write writes tasks, in one round trip per Redis node (plus one the first
// time a queue is seen), and reports for each whether it was written:
// false means a task with its ID was still in its queue (asynq's
// ErrTaskIDConflict) and is left as it was. Within a queue, pending tasks
// are queued in the order given. An error leaves some written and some not:
// writing the same tasks again is safe.
func (w *Writer) Write(ctx context.Context, tasks []Task) ([]bool, error) {
	out := make([]bool, len(tasks))
	if len(tasks) == 0 {
		return out, nil
	}
	byQueue := map[string][]int{}
	var order []string
	for i, t := range tasks {
		if t.ID == "" || t.Type == "" || t.Queue == "" {
			return nil, fmt.Errorf("write task %d: type, queue and ID are required", i)
		}
		if _, ok := byQueue[t.Queue]; !ok {
			order = append(order, t.Queue)
		}
		byQueue[t.Queue] = append(byQueue[t.Queue], i)
	}
	var fresh []any
	for _, q := range order {
		if _, ok := w.published.Load(q); !ok {
			fresh = append(fresh, q)
		}
	}
	if len(fresh) > 0 {
		if err := w.rdb.SAdd(ctx, allQueues, fresh...).Err(); err != nil {
			return nil, fmt.Errorf("publish queues: %w", err)
		}
		for _, q := range fresh {
			w.published.Store(q, true)
		}
	}
	now := w.now()
	nowNS := strconv.FormatInt(now.UnixNano(), 10)
	keys := make([][]string, len(order))
	args := make([][]any, len(order))
	var buf []byte
	for j, q := range order {
		idx := byQueue[q]
		pre := queueKeyPrefix(q)
		keys[j] = make([]string, 2, 2+len(idx))
		keys[j][0], keys[j][1] = pre+"pending", pre+"scheduled"
		args[j] = make([]any, 1, 1+3*len(idx))
		args[j][0] = nowNS
		for _, i := range idx {
			t := &tasks[i]
			buf = encode(buf[:0], t)
			score := ""
			if t.ProcessAt.After(now) {
				score = strconv.FormatInt(t.ProcessAt.Unix(), 10)
			}
			keys[j] = append(keys[j], pre+"t:"+t.ID)
			args[j] = append(args[j], t.ID, string(buf), score)
		}
	}
	cmds := make([]*redis.Cmd, len(order))
	pipe := w.rdb.Pipeline()
	for j := range order {
		cmds[j] = enqueueScript.EvalSha(ctx, pipe, keys[j], args[j]...)
	}
	_, _ = pipe.Exec(ctx) // each command's error is read below
	for j, q := range order {
		c := cmds[j]
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			// The script is not loaded yet (or Redis lost it): an
			// EVALSHA that failed so did nothing, send it whole.
			c = enqueueScript.Eval(ctx, w.rdb, keys[j], args[j]...)
		}
		v, err := c.Text()
		if err == nil && len(v) != len(byQueue[q]) {
			err = fmt.Errorf("%d answers for %d tasks", len(v), len(byQueue[q]))
		}
		if err != nil {
			return nil, fmt.Errorf("write %d tasks to queue %s: %w", len(byQueue[q]), q, err)
		}
		for k, i := range byQueue[q] {
			out[i] = v[k] == '1'
		}
	}
	return out, nil
}

// encode appends t encoded as asynq's TaskMessage (internal/proto) to b,
// as proto.Marshal writes it: fields in number order, zero values left
// out.
func encode(b []byte, t *Task) []byte {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	b = protowire.AppendTag(b, 1, protowire.BytesType) // type
	b = protowire.AppendString(b, t.Type)
	if len(t.Payload) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType) // payload
		b = protowire.AppendBytes(b, t.Payload)
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType) // id
	b = protowire.AppendString(b, t.ID)
	b = protowire.AppendTag(b, 4, protowire.BytesType) // queue
	b = protowire.AppendString(b, t.Queue)
	// asynq.MaxRetry takes a negative count as 0; the field is an int32.
	if r := int32(max(t.MaxRetry, 0)); r != 0 {
		b = protowire.AppendTag(b, 5, protowire.VarintType) // retry
		b = protowire.AppendVarint(b, uint64(int64(r)))
	}
	if s := int64(timeout.Seconds()); s != 0 {
		b = protowire.AppendTag(b, 8, protowire.VarintType) // timeout (int64, seconds)
		b = protowire.AppendVarint(b, uint64(s))
	}
	return b
}
