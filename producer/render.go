package producer

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// CampaignMessages renders a campaign's messages again from its stored
// spec and the row values each message record keeps: how a worker turns a
// compact send task (message.NewCompactSendTask) back into its message,
// and how RetryFailed builds the messages it sends again. A campaign's
// stored spec never changes once saved (store.SaveCampaign only creates,
// and an import with another spec is refused), so one CampaignMessages
// serves the campaign for good. It is safe for concurrent use.
type CampaignMessages struct {
	spec Spec // normalized
	tmpl *template
	lane message.Lane
}

// NewCampaignMessages reads campaign c's stored spec.
func NewCampaignMessages(c *store.Campaign) (*CampaignMessages, error) {
	var spec Spec
	if err := json.Unmarshal(c.Spec, &spec); err != nil {
		return nil, fmt.Errorf("campaign %s: read its stored spec: %w", c.ID, err)
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("campaign %s: its stored spec cannot be used: %w", c.ID, err)
	}
	s := spec.normalized()
	tmpl, err := compileTemplate(&body{Message: s.Message, Fallback: s.FallbackTemplate})
	if err != nil {
		return nil, fmt.Errorf("campaign %s: message: %w", c.ID, err)
	}
	lane, _ := message.ParseLane(s.Priority)
	return &CampaignMessages{spec: s, tmpl: tmpl, lane: lane}, nil
}

// Queued returns rec's message as its import enqueued it: rendered from
// the row's values, created when the record was, and expiring the spec's
// TTL after its send_at or, without one, after the record's creation (as
// Import counts it).
func (cm *CampaignMessages) Queued(rec *store.Record) (*message.Message, error) {
	if rec.CreatedAt.IsZero() {
		return nil, fmt.Errorf("record %s has no creation time to count its TTL from", rec.ID)
	}
	m, err := cm.render(rec, rec.CreatedAt)
	if err != nil {
		return nil, err
	}
	m.ExpiresAt = cm.spec.expiresAt(rec.CreatedAt)
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return &m, nil
}

// render builds rec's message, created at created, from the spec and the
// record's values; the caller sets ExpiresAt and validates.
func (cm *CampaignMessages) render(rec *store.Record, created time.Time) (message.Message, error) {
	vals := rec.Values
	if vals == nil && len(cm.tmpl.cols) == 0 {
		vals = []string{} // a message without placeholders needs none
	}
	if vals == nil || len(vals) != len(cm.tmpl.cols) {
		return message.Message{}, fmt.Errorf("record %s: %w", rec.ID, errNoValues)
	}
	b, err := cm.tmpl.render(vals)
	if err != nil {
		return message.Message{}, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	m := cm.spec.newMessage(rec.To, b, created)
	if m.ID != rec.ID {
		return message.Message{}, fmt.Errorf("record %s does not belong to campaign %s", rec.ID, cm.spec.ID)
	}
	return m, nil
}

// errNoValues: a record without the row values its campaign's message
// needs (imported by a wabulk that did not keep them).
var errNoValues = errors.New("no stored values to render its message from")
