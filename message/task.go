package message

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
)

// TypeSend is the asynq task type of a send job: one message, one recipient.
//
// A send task comes in two forms. The full form (NewSendTask) carries the
// whole message as its payload, JSON with a version ("v": 1): API sends,
// reminders and the messages retry-failed sends again use it. The compact
// form (NewCompactSendTask), for a campaign's messages, carries nothing:
// its task ID is the message ID, and the worker renders the message again
// from its record (recipient, account, the row's values) and its
// campaign's stored spec. Workers read both, so tasks queued by an older
// wabulk still send.
const TypeSend = "wabulk:send"

// payloadVersion is bumped when the payload changes incompatibly.
const payloadVersion = 1

type sendPayload struct {
	V int `json:"v"`
	Message
}

// NewSendTask wraps m as an asynq task. It validates m first: a task that
// reaches Redis is one a worker can send.
func NewSendTask(m *Message, opts ...asynq.Option) (*asynq.Task, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(sendPayload{V: payloadVersion, Message: *m})
	if err != nil {
		return nil, fmt.Errorf("encode send task %s: %w", m.ID, err)
	}
	return asynq.NewTask(TypeSend, b, opts...), nil
}

// NewCompactSendTask returns the compact send task of campaign message id:
// an empty payload, and id as its task ID (asynq.TaskID(id), after opts).
// It is what keeps a campaign's queued tasks small: asynq keeps each task
// as a Redis hash whose "msg" field is the encoded task, and while no
// field is longer than hash-max-listpack-value (64 bytes by default) the
// hash is a listpack of about 260 bytes instead of a hashtable of 520 or
// more. With no payload, "msg" is the task ID plus 37 bytes on lane
// normal under the default prefix (type, queue name, retry limit,
// timeout): an id of up to 27 bytes (a campaign id of up to 13 characters
// with a 12-digit number) fits.
func NewCompactSendTask(id string, opts ...asynq.Option) (*asynq.Task, error) {
	if id == "" {
		return nil, errors.New("compact send task: message id is required")
	}
	return asynq.NewTask(TypeSend, nil, append(opts[:len(opts):len(opts)], asynq.TaskID(id))...), nil
}

// IsCompactSendTask reports whether payload is a compact send task's: the
// message is rendered from its record and campaign, not decoded.
func IsCompactSendTask(payload []byte) bool { return len(payload) == 0 }

// PayloadError says why a payload cannot be used. ID is set when the payload
// named a message, so its record can be marked invalid.
type PayloadError struct {
	ID  string
	Err error
}

func (e *PayloadError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("bad send payload for message %s: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("bad send payload: %v", e.Err)
}

func (e *PayloadError) Unwrap() error { return e.Err }

// DecodeSendTask reads a full send task's payload. Every failure is a
// *PayloadError: the payload will never become valid by retrying. A
// compact task's (empty) payload is one too: its message is rendered from
// its record, not decoded (IsCompactSendTask).
func DecodeSendTask(b []byte) (*Message, error) {
	if IsCompactSendTask(b) {
		return nil, &PayloadError{Err: errors.New("compact send task: its message is rendered from its record and campaign, not decoded")}
	}
	var p sendPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, &PayloadError{Err: fmt.Errorf("not JSON: %w", err)}
	}
	if p.V != payloadVersion {
		return nil, &PayloadError{ID: p.ID, Err: fmt.Errorf("payload version %d, this worker reads %d", p.V, payloadVersion)}
	}
	m := p.Message
	if err := m.Validate(); err != nil {
		return nil, &PayloadError{ID: m.ID, Err: err}
	}
	return &m, nil
}

// IsPayloadError reports whether err is (or wraps) a *PayloadError.
func IsPayloadError(err error) bool {
	var pe *PayloadError
	return errors.As(err, &pe)
}

// Lane is a priority lane; each has asynq queues of its own, one per shard
// (ShardQueueName).
type Lane string

// The lanes, highest first. Transactional messages and reminders belong in
// LaneHigh so they never wait behind a campaign.
const (
	LaneHigh   Lane = "high"
	LaneNormal Lane = "normal"
	LaneLow    Lane = "low"
)

// Lanes lists the lanes, highest first.
var Lanes = []Lane{LaneHigh, LaneNormal, LaneLow}

// ParseLane reads a lane name; "" means LaneNormal.
func ParseLane(s string) (Lane, error) {
	switch Lane(s) {
	case "":
		return LaneNormal, nil
	case LaneHigh, LaneNormal, LaneLow:
		return Lane(s), nil
	}
	return "", fmt.Errorf("priority %q: want high, normal or low", s)
}

// QueueName is the asynq queue of a lane under a key prefix
// ("wabulk:" + "normal"): the lane's only queue when it has one shard, its
// shard 0 otherwise. Producer and worker both derive it from the same
// prefix, so tests with their own prefix get queues of their own.
func QueueName(prefix string, l Lane) string { return prefix + string(l) }

// MaxQueueShards is the most queues a lane may be split into.
const MaxQueueShards = 256

// shardSep separates a lane's queue name from a shard index. Lane names
// are lowercase letters (ParseLane), so "normal#3" is no lane's own queue,
// and '#' is neither a hash-tag brace nor a key separator: each shard's
// keys (asynq:{wabulk:normal#3}:...) keep a Cluster hash slot of their own.
const shardSep = "#"

// ShardQueueName is the asynq queue of shard i of lane l. Shard 0 is
// QueueName(prefix, l) itself, so one shard is the layout from before
// lanes were sharded and the tasks queued under it are still consumed;
// shard i > 0 is QueueName + "#" + i ("wabulk:normal#3").
//
// asynq keeps a queue's keys in one hash slot, so on a Redis Cluster one
// queue loads one master; a lane split into shards spreads its tasks over
// the masters.
func ShardQueueName(prefix string, l Lane, shard int) string {
	if shard <= 0 {
		return QueueName(prefix, l)
	}
	return QueueName(prefix, l) + shardSep + strconv.Itoa(shard)
}

// ShardOf is the shard of message id among n: FNV-1a (32 bit) of the id
// modulo n, 0 when n <= 1. It depends on the id alone, so every enqueue of
// one message (an import run again, an API send replayed, retry-failed)
// goes to the same queue, where asynq's TaskID uniqueness holds: it holds
// per queue only. Changing n moves messages to other shards.
func ShardOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// SendQueue is the queue of message id's send task on lane l when lanes
// are split into n shards (ShardOf). n <= 1 gives QueueName(prefix, l).
func SendQueue(prefix string, l Lane, id string, n int) string {
	return ShardQueueName(prefix, l, ShardOf(id, n))
}

// LaneQueues lists the queues of lane l split into n shards, shard 0
// first; n <= 1 gives QueueName(prefix, l) alone.
func LaneQueues(prefix string, l Lane, n int) []string {
	qs := make([]string, max(n, 1))
	for i := range qs {
		qs[i] = ShardQueueName(prefix, l, i)
	}
	return qs
}

// ParseShardQueue reads a queue name that ShardQueueName makes under
// prefix: its lane and shard. ok is false for every other queue (another
// prefix, the events queue, a name with a shard index in any other
// spelling).
func ParseShardQueue(prefix, q string) (l Lane, shard int, ok bool) {
	rest, found := strings.CutPrefix(q, prefix)
	if !found {
		return "", 0, false
	}
	name, idx, sharded := strings.Cut(rest, shardSep)
	for _, lane := range Lanes {
		if string(lane) != name {
			continue
		}
		if !sharded {
			return lane, 0, true
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i <= 0 || strconv.Itoa(i) != idx {
			return "", 0, false
		}
		return lane, i, true
	}
	return "", 0, false
}

// TaskMaxRetry is the MaxRetry every send task carries. wabulk counts
// provider attempts in the message record and decides itself when they are
// exhausted; asynq archives a task whose retry count reaches MaxRetry even
// for a deferral that is not a failure, so this is set out of reach.
const TaskMaxRetry = 1 << 20
