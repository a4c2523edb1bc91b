package producer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// DefaultSendTTL is how long a single message stays worth sending when its
// request sets no ttl.
const DefaultSendTTL = 24 * time.Hour

// MaxIdempotencyKeyLen is the longest idempotency key Send takes.
const MaxIdempotencyKeyLen = 128

// idempotencyKeyRE is what an idempotency key may hold. No '+': a key can
// then never spell a campaign message's ID ("CAMPAIGN:+E164").
var idempotencyKeyRE = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,128}$`)

// SendRequest is one transactional message to one recipient.
type SendRequest struct {
	// Account is the provider account (config name) that sends it.
	Account string `json:"account,omitempty"`
	// To is the recipient; a number written without a country code is read
	// in Config.DefaultRegion.
	To string `json:"to"`
	// From is the business sender number, in international form; optional
	// when the account has one number.
	From string `json:"from,omitempty"`
	// Content is any content kind, checked against WhatsApp's limits as a
	// campaign's message is. Placeholders ({{x}}) mean nothing here.
	Content message.Content `json:"content"`
	// FallbackTemplate is sent instead of a free-form Content when the
	// contact's 24-hour window is closed.
	FallbackTemplate *message.Template `json:"fallback_template,omitempty"`
	// TTL is how long after its send time the message is still worth
	// sending. Defaults to DefaultSendTTL.
	TTL Duration `json:"ttl,omitempty"`
	// SendAt schedules the message (asynq ProcessAt); zero sends it now.
	// The TTL counts from it.
	SendAt time.Time `json:"send_at,omitzero"`
	// Priority is the lane: high (the default for single messages, so they
	// never wait behind a campaign), normal or low.
	Priority string `json:"priority,omitempty"`
	// IdempotencyKey makes the request safe to repeat: the message ID is
	// "api:" + the key, and a repeat returns the first result and enqueues
	// nothing. 1–128 letters, digits, '.', '_', ':', '~' or '-'. Without
	// it every call is a new message with a generated ID.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// MessageInfo is what the store knows of one message.
type MessageInfo struct {
	ID                string         `json:"id"`
	CampaignID        string         `json:"campaign_id,omitempty"`
	Account           string         `json:"account"`
	To                string         `json:"to"`
	Status            message.Status `json:"status"`
	ErrorCode         string         `json:"error_code,omitempty"`
	Error             string         `json:"error,omitempty"`
	Attempts          int            `json:"attempts"`
	ProviderMessageID string         `json:"provider_message_id,omitempty"`
	// Fallback: the message went out as its fallback template because the
	// contact's 24-hour window was closed.
	Fallback  bool      `json:"fallback"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SendResult is what Send did: the message as it stands.
type SendResult struct {
	MessageInfo
	Priority  message.Lane `json:"priority"`
	SendAt    time.Time    `json:"send_at,omitzero"`
	ExpiresAt time.Time    `json:"expires_at"`
	// IdempotentReplay: the idempotency key was used before with the same
	// request; this is that message, and nothing new was enqueued.
	IdempotentReplay bool `json:"idempotent_replay"`
}

// FieldError is a request Send (or the API) refuses: Field names the JSON
// field that is wrong.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, a ...any) *FieldError {
	return &FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// ErrIdempotencyConflict is returned (wrapped) when an idempotency key comes
// again with a request that differs from the one that first used it.
var ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")

// preparedSend is a checked SendRequest.
type preparedSend struct {
	msg    message.Message // ID, CreatedAt and ExpiresAt unset
	lane   message.Lane
	ttl    time.Duration
	sendAt time.Time
	key    string
	hash   string // of the normalised request, idempotency key left out
}

// Send stores one message and enqueues its send task. Its record has no
// campaign (it is counted in the store's "direct" bucket).
//
// With an idempotency key the message ID is "api:" + the key, and the
// record's create-if-absent decides: a repeat of the same request returns
// the first message as it stands now, with IdempotentReplay set, and
// enqueues nothing (unless the first call died between the record and the
// task: then the task is enqueued, as a re-import does). The same key with
// a different request is ErrIdempotencyConflict. Without a key the ID is
// generated ("msg-" and 24 hex digits) and every call is a new message.
//
// A recipient who opted out of the account gets a record too, ended
// opted_out at once, and no task: the result says so, and the message
// answers GET like any other.
//
// A request that cannot be sent is a *FieldError naming the field; any
// other error is the store's or the queue's.
func (p *Producer) Send(ctx context.Context, req SendRequest) (SendResult, error) {
	ps, err := p.prepareSend(req)
	if err != nil {
		return SendResult{}, err
	}
	// Once the record may exist, the steps run to the end even if the
	// caller goes away: a record without its task is sent by no one.
	wctx := context.WithoutCancel(ctx)
	id, hash := generatedID(), ""
	if ps.key != "" {
		id, hash = "api:"+ps.key, ps.hash
	}
	m := ps.msg
	m.ID = id
	created, err := p.st.Create(wctx, []store.NewRecord{{ID: id, Account: m.Account, To: m.To, Request: hash}})
	if err != nil {
		return SendResult{}, fmt.Errorf("send to %s: %w", m.To, err)
	}
	if !created[0].Created {
		if err := p.sameRequest(wctx, id, hash, created[0].Request); err != nil {
			return SendResult{}, err
		}
		return p.replay(wctx, &m, ps)
	}
	// The record's creation time is the message's: a replay computes the
	// same expiry from it.
	rec, err := p.st.Get(wctx, id)
	if err != nil {
		return SendResult{}, fmt.Errorf("send to %s: %w", m.To, err)
	}
	m.CreatedAt = rec.CreatedAt
	if m.CreatedAt.IsZero() {
		m.CreatedAt = p.cfg.Now().UTC()
	}
	m.ExpiresAt = ps.expiresAt(m.CreatedAt)
	res := SendResult{
		MessageInfo: *messageInfo(rec),
		Priority:    ps.lane,
		SendAt:      ps.sendAt,
		ExpiresAt:   m.ExpiresAt,
	}
	out, err := p.st.OptedOut(wctx, m.Account, m.To)
	if err != nil {
		return SendResult{}, fmt.Errorf("send to %s: %w", m.To, err)
	}
	if out {
		const code, why = "opted_out", "the recipient opted out of this account's messages"
		_, err := p.st.Transition(wctx, store.Ref{ID: id, Account: m.Account}, message.OptedOut,
			store.Update{From: message.Queued, ErrorCode: code, Error: why})
		if err != nil && !store.IsTransitionError(err) {
			return SendResult{}, fmt.Errorf("send to %s: %w", m.To, err)
		}
		res.Status, res.ErrorCode, res.Error = message.OptedOut, code, why
		res.UpdatedAt = p.cfg.Now().UTC()
		return res, nil
	}
	if err := p.enqueueSend(wctx, &m, ps); err != nil {
		return SendResult{}, err
	}
	return res, nil
}

// Message returns what the store knows of message id; store.ErrNotFound
// (wrapped) when there is no such message.
func (p *Producer) Message(ctx context.Context, id string) (*MessageInfo, error) {
	rec, err := p.st.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return messageInfo(rec), nil
}

func messageInfo(r *store.Record) *MessageInfo {
	return &MessageInfo{
		ID: r.ID, CampaignID: r.CampaignID, Account: r.Account, To: r.To, Status: r.Status,
		ErrorCode: r.ErrorCode, Error: r.Error, Attempts: r.Attempts, ProviderMessageID: r.ProviderMessageID,
		Fallback: r.Fallback, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// prepareSend checks req and says what is wrong with the first bad field.
func (p *Producer) prepareSend(req SendRequest) (*preparedSend, error) {
	ps := &preparedSend{key: req.IdempotencyKey}
	if ps.key != "" && !idempotencyKeyRE.MatchString(ps.key) {
		shown := ps.key
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		return nil, fieldErr("idempotency_key", "%q must be 1–%d letters, digits, '.', '_', ':', '~' or '-'", shown, MaxIdempotencyKeyLen)
	}
	account := strings.TrimSpace(req.Account)
	if account == "" {
		return nil, fieldErr("account", "is required (the provider account that sends the message)")
	}
	to, err := message.NormalizePhone(req.To, p.cfg.DefaultRegion)
	if err != nil {
		return nil, &FieldError{Field: "to", Err: err}
	}
	from := ""
	if strings.TrimSpace(req.From) != "" {
		if from, err = message.NormalizePhone(req.From, ""); err != nil {
			return nil, fieldErr("from", "%v (write it in international form, e.g. +255712345678)", err)
		}
	}
	if err := req.Content.Validate(); err != nil {
		return nil, &FieldError{Field: "content", Err: err}
	}
	if fb := req.FallbackTemplate; fb != nil {
		if !req.Content.FreeForm() {
			return nil, fieldErr("fallback_template", "the content is a template already, which may go out outside the 24-hour window; a fallback is for free-form content")
		}
		c := message.Content{Template: fb}
		if err := c.Validate(); err != nil {
			return nil, &FieldError{Field: "fallback_template", Err: err}
		}
	}
	if req.TTL < 0 {
		return nil, fieldErr("ttl", "%s must be greater than zero", time.Duration(req.TTL))
	}
	ps.ttl = time.Duration(req.TTL)
	if ps.ttl == 0 {
		ps.ttl = DefaultSendTTL
	}
	ps.lane = message.LaneHigh
	if req.Priority != "" {
		if ps.lane, err = message.ParseLane(req.Priority); err != nil {
			return nil, &FieldError{Field: "priority", Err: err}
		}
	}
	if err := checkSendAtRange(req.SendAt, p.cfg.Now()); err != nil {
		return nil, fieldErr("send_at", "%v", err)
	}
	if !req.SendAt.IsZero() {
		// asynq schedules in whole seconds: rounded up, a message never
		// goes before the time asked for.
		ps.sendAt = req.SendAt.UTC()
		if t := ps.sendAt.Truncate(time.Second); t.Before(ps.sendAt) {
			ps.sendAt = t.Add(time.Second)
		}
	}
	ps.msg = message.Message{Account: account, From: from, To: to, Content: req.Content, Fallback: req.FallbackTemplate}
	// What NewSendTask checks; the checks above make this pass.
	probe := ps.msg
	probe.ID = "probe"
	if err := probe.Validate(); err != nil {
		return nil, &FieldError{Field: "content", Err: err}
	}
	ps.hash, err = requestHash(ps)
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// requestHash identifies a request by what it means: the same message
// written differently ("0712 345 678" and "+255712345678", ttl "1d" and
// "24h") hashes the same.
func requestHash(ps *preparedSend) (string, error) {
	b, err := json.Marshal(struct {
		M      message.Message `json:"m"`
		Lane   message.Lane    `json:"lane"`
		TTL    time.Duration   `json:"ttl"`
		SendAt int64           `json:"send_at"`
	}{ps.msg, ps.lane, ps.ttl, unixMilliOrZero(ps.sendAt)})
	if err != nil {
		return "", fmt.Errorf("encode request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func unixMilliOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// expiresAt is when a message created at created stops being worth
// sending: TTL after its send time.
func (ps *preparedSend) expiresAt(created time.Time) time.Time {
	base := created
	if !ps.sendAt.IsZero() {
		base = ps.sendAt
	}
	return base.Add(ps.ttl)
}

// sameRequest checks that a repeated idempotency key of message id comes
// with the request it was first used with: the hash kept with the record
// (kept), or, for a record written before hashes were kept there, the one
// under "apireq:ID".
func (p *Producer) sameRequest(ctx context.Context, id, hash, kept string) error {
	if kept == "" {
		prev, err := p.st.Redis().Get(ctx, p.st.Prefix()+"apireq:"+id).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read idempotency key of %s: %w", id, err)
		}
		kept = prev
	}
	if kept != hash {
		return fmt.Errorf("idempotency key %q was first used for message %s with a different request; send a new key for a new message: %w",
			strings.TrimPrefix(id, "api:"), id, ErrIdempotencyConflict)
	}
	return nil
}

// replay answers a repeated request with the first message as it stands.
// A record still queued gets its task again if it went missing (the first
// call died between the record and the task); a task that is there is
// left alone.
func (p *Producer) replay(ctx context.Context, m *message.Message, ps *preparedSend) (SendResult, error) {
	rec, err := p.st.Get(ctx, m.ID)
	if err != nil {
		return SendResult{}, err
	}
	created := rec.CreatedAt
	if created.IsZero() {
		created = p.cfg.Now().UTC()
	}
	res := SendResult{MessageInfo: *messageInfo(rec), Priority: ps.lane, SendAt: ps.sendAt, ExpiresAt: ps.expiresAt(created), IdempotentReplay: true}
	if rec.Status == message.Queued {
		m.CreatedAt, m.ExpiresAt = created, res.ExpiresAt
		if err := p.enqueueSend(ctx, m, ps); err != nil {
			return SendResult{}, err
		}
	}
	return res, nil
}

// enqueueSend enqueues m's send task in its lane (the shard of its ID), at
// its send time. A task already there (TaskID conflict) is what is wanted.
func (p *Producer) enqueueSend(ctx context.Context, m *message.Message, ps *preparedSend) error {
	opts := []asynq.Option{
		p.queue(ps.lane, m.ID),
		asynq.MaxRetry(message.TaskMaxRetry),
		asynq.TaskID(m.ID),
	}
	if !ps.sendAt.IsZero() {
		opts = append(opts, asynq.ProcessAt(ps.sendAt))
	}
	task, err := message.NewSendTask(m, opts...)
	if err != nil {
		return fmt.Errorf("build task of %s: %w", m.ID, err)
	}
	if _, err := p.client.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", m.ID, err)
	}
	return nil
}

// generatedID is the ID of a message sent without an idempotency key. It
// holds no ':', so it is never an "api:KEY" or a campaign message's ID.
func generatedID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg-" + hex.EncodeToString(b)
}
