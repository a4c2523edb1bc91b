package message

import (
	"errors"
	"fmt"
	"time"
)

// Message is one message to one recipient: the unit of work in wabulk.
type Message struct {
	// ID is stable across retries and re-imports: campaign ID + ":" + E.164
	// recipient for campaigns, an idempotency key or generated ID otherwise.
	ID         string `json:"id"`
	CampaignID string `json:"campaign_id,omitempty"`
	// Account is the provider account (config name) that sends it.
	Account string `json:"account"`
	// From is the business sender number in E.164; it keys the 24-hour
	// window together with To. Optional when the account has one number.
	From    string  `json:"from,omitempty"`
	To      string  `json:"to"`
	Content Content `json:"content"`
	// Fallback, when set, is the template sent instead of a free-form
	// Content when the contact's 24-hour window is closed (a campaign's
	// fallback_template). Only a template may go out outside the window.
	Fallback *Template `json:"fallback,omitempty"`
	// ExpiresAt is when the message stops being worth sending; zero means never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// QuietHours, when set, is the daily window of the recipient's local
	// time (from their number) in which the message waits instead of going
	// out (a campaign's quiet_hours).
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
}

// Validate reports the first thing that makes m unsendable.
func (m *Message) Validate() error {
	if m.ID == "" {
		return errors.New("message: id is required")
	}
	if m.Account == "" {
		return errors.New("message: account is required")
	}
	if !IsE164(m.To) {
		return fmt.Errorf("message: recipient %q is not in E.164 form", m.To)
	}
	if m.From != "" && !IsE164(m.From) {
		return fmt.Errorf("message: sender %q is not in E.164 form", m.From)
	}
	if err := m.Content.Validate(); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if m.Fallback != nil {
		if !m.Content.FreeForm() {
			return errors.New("message: a fallback template is only for free-form content (this message is a template already)")
		}
		fb := Content{Template: m.Fallback}
		if err := fb.Validate(); err != nil {
			return fmt.Errorf("message: fallback: %w", err)
		}
	}
	if m.QuietHours != nil {
		if err := m.QuietHours.Validate(); err != nil {
			return fmt.Errorf("message: %w", err)
		}
	}
	return nil
}

// WithFallback returns a copy of m that carries its fallback template as
// its content, for sending when the 24-hour window is closed. ok is false
// when m has no fallback.
func (m *Message) WithFallback() (fb *Message, ok bool) {
	if m.Fallback == nil {
		return m, false
	}
	c := *m
	c.Content = Content{Template: m.Fallback}
	c.Fallback = nil
	return &c, true
}

// Expired reports whether m's TTL has passed at now.
func (m *Message) Expired(now time.Time) bool {
	return !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt)
}

// CampaignMessageID is the ID of a campaign's message to one recipient.
func CampaignMessageID(campaignID, e164 string) string { return campaignID + ":" + e164 }
