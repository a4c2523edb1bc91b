package message_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
)

// validMessage is a sendable message; tests copy and break it.
func validMessage() message.Message {
	return message.Message{
		ID:         message.CampaignMessageID("spring-sale", "+255712345678"),
		CampaignID: "spring-sale",
		Account:    "tujenge-main",
		From:       "+255222000111",
		To:         "+255712345678",
		Content: message.Content{Template: &message.Template{
			Name: "spring_sale", Language: "sw", Body: []string{"Amina"},
		}},
	}
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*message.Message)
		wantErr string // "" means valid
	}{
		{"valid", func(*message.Message) {}, ""},
		{"no from", func(m *message.Message) { m.From = "" }, ""},
		{"no campaign", func(m *message.Message) { m.CampaignID = "" }, ""},
		{"missing id", func(m *message.Message) { m.ID = "" }, "message: id is required"},
		{"missing account", func(m *message.Message) { m.Account = "" }, "message: account is required"},
		{"missing to", func(m *message.Message) { m.To = "" }, "message: recipient"},
		{"national to", func(m *message.Message) { m.To = "0712345678" }, `recipient "0712345678" is not in E.164 form`},
		{"to without plus", func(m *message.Message) { m.To = "255712345678" }, "message: recipient"},
		{"to with spaces", func(m *message.Message) { m.To = "+255 712 345 678" }, "message: recipient"},
		{"bad from", func(m *message.Message) { m.From = "0222000111" }, `sender "0222000111" is not in E.164 form`},
		{"no content", func(m *message.Message) { m.Content = message.Content{} }, "message: content must set exactly one"},
		{"bad content", func(m *message.Message) { m.Content.Template.Language = "" }, "message: template: language is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validMessage()
			tt.edit(&m)
			err := m.Validate()
			checkValidateErr(t, err, tt.wantErr)
		})
	}
}

func TestMessageExpired(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		expiresAt time.Time
		now       time.Time
		want      bool
	}{
		{"zero never expires", time.Time{}, at, false},
		{"zero never expires, far future", time.Time{}, at.AddDate(100, 0, 0), false},
		{"zero never expires, zero now", time.Time{}, time.Time{}, false},
		{"before", at, at.Add(-time.Nanosecond), false},
		{"exactly at", at, at, true},
		{"exactly at in another zone", at, at.In(time.FixedZone("EAT", 3*60*60)), true},
		{"after", at, at.Add(time.Nanosecond), true},
	}
	for _, tt := range tests {
		m := validMessage()
		m.ExpiresAt = tt.expiresAt
		if got := m.Expired(tt.now); got != tt.want {
			t.Errorf("%s: Expired(%v) with ExpiresAt %v = %v, want %v", tt.name, tt.now, tt.expiresAt, got, tt.want)
		}
	}
}

func TestCampaignMessageID(t *testing.T) {
	t.Parallel()
	if got, want := message.CampaignMessageID("spring-sale", "+255712345678"), "spring-sale:+255712345678"; got != want {
		t.Errorf("CampaignMessageID = %q, want %q", got, want)
	}
}

// checkValidateErr wants err nil when want is "", else an error mentioning want.
func checkValidateErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("Validate() = %v, want nil", err)
	case want != "" && err == nil:
		t.Errorf("Validate() = nil, want an error mentioning %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("Validate() = %q, want it to mention %q", err, want)
	}
}
