package message

import (
	"encoding/json"
	"errors"
	"fmt"

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

// Lane is a priority lane; each is its own asynq queue.
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
// ("wabulk:" + "normal"). Producer and worker both derive it from the same
// prefix, so tests with their own prefix get queues of their own.
func QueueName(prefix string, l Lane) string { return prefix + string(l) }

// TaskMaxRetry is the MaxRetry every send task carries. wabulk counts
// provider attempts in the message record and decides itself when they are
// exhausted; asynq archives a task whose retry count reaches MaxRetry even
// for a deferral that is not a failure, so this is set out of reach.
const TaskMaxRetry = 1 << 20
