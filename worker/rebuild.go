package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// decode returns the message a send task stands for: the payload's for a
// full task, and for a compact one (a campaign's message: no payload, the
// task ID is the message ID) the message its import enqueued, rendered
// again from its record and its campaign's spec (producer.CampaignMessages).
// A task that can never be sent is a *message.PayloadError (named after
// its message when there is one); any other error is Redis trouble, worth
// trying again.
//
// For a compact task the record is read together with its recipient's
// suppression (store.GetForSend), which decode returns for the guards; nil
// when it did not read it (a full task).
func (s *Sender) decode(ctx context.Context, t *asynq.Task) (*message.Message, *store.Suppressed, error) {
	if !message.IsCompactSendTask(t.Payload()) {
		m, err := message.DecodeSendTask(t.Payload())
		return m, nil, err
	}
	id, ok := asynq.GetTaskID(ctx)
	if !ok || id == "" {
		return nil, nil, &message.PayloadError{Err: errors.New("compact send task without a task ID: nothing names its message")}
	}
	bad := func(err error) error { return &message.PayloadError{ID: id, Err: err} }
	rec, sup, err := s.store.GetForSend(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, bad(fmt.Errorf("compact send task: message %s has no record to render it from", id))
	case err != nil:
		return nil, nil, err
	case rec.CampaignID == "":
		return nil, nil, bad(fmt.Errorf("compact send task: message %s belongs to no campaign", id))
	}
	cm, err := s.campaigns.messages(ctx, rec.CampaignID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, bad(fmt.Errorf("compact send task: campaign %s has no record to render message %s from", rec.CampaignID, id))
	case errors.Is(err, errBadSpec):
		return nil, nil, bad(fmt.Errorf("compact send task: %w", err))
	case err != nil:
		return nil, nil, err
	}
	m, err := cm.Queued(rec)
	if err != nil {
		return nil, nil, bad(fmt.Errorf("compact send task: %w", err))
	}
	return m, &sup, nil
}

// errBadSpec marks a campaign whose stored spec cannot render messages.
var errBadSpec = errors.New("campaign spec unusable")

// specCacheFor is how long a worker keeps a campaign's parsed spec. A
// spec never changes once saved (store.SaveCampaign only creates); the
// bound only limits how long a campaign removed and created again under
// the same id would still render from its predecessor's spec.
const specCacheFor = 10 * time.Minute

// specCacheMax bounds the parsed specs a worker keeps.
const specCacheMax = 1000

// specCache holds parsed campaign specs by campaign id; its zero value is
// ready to use.
type specCache struct {
	mu sync.Mutex
	m  map[string]cachedSpec
}

type cachedSpec struct {
	msgs *producer.CampaignMessages
	at   time.Time
}

// messages returns campaign id's renderer, reading and parsing its spec
// at most once per specCacheFor. A missing campaign is store.ErrNotFound,
// one whose spec cannot be used wraps errBadSpec; neither is kept.
func (c *campaigns) messages(ctx context.Context, id string) (*producer.CampaignMessages, error) {
	now := time.Now()
	sc := &c.specs
	sc.mu.Lock()
	e, ok := sc.m[id]
	sc.mu.Unlock()
	if ok && now.Sub(e.at) < specCacheFor {
		return e.msgs, nil
	}
	camp, err := c.store.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	cm, err := producer.NewCampaignMessages(camp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadSpec, err)
	}
	sc.mu.Lock()
	if sc.m == nil || len(sc.m) >= specCacheMax {
		sc.m = map[string]cachedSpec{}
	}
	sc.m[id] = cachedSpec{msgs: cm, at: now}
	sc.mu.Unlock()
	return cm, nil
}
