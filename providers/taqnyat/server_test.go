package taqnyat_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

const testToken = "tq-live-9Fh3kQ7xLmP2sW8v"

const okID = "01DPNXZ0WCF9XD19MH84XD0P62"

// okBody is Taqnyat's answer to a send: a delivery report in state queued.
const okBody = `{"type":"whatsapp","statuses":[{"message_id":"` + okID + `","recipient":"+966501234567","status":"success","state":"queued"}]}`

// report is a send answer whose one report has status and state.
func report(status, state, details string) string {
	b, _ := json.Marshal(map[string]any{"type": "whatsapp", "statuses": []any{map[string]any{
		"message_id": okID, "recipient": "966501234567", "status": status, "state": state, "details": details,
	}}})
	return string(b)
}

// apiError is the error body of the API the document reproduces.
func apiError(msg, details string) string {
	b, _ := json.Marshal(map[string]any{"message": msg, "details": details})
	return string(b)
}

func newClient(t *testing.T, cfg taqnyat.Config) *taqnyat.Client {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	c, err := taqnyat.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+966501234567", Account: "taqnyat-main", To: "+966501234567", Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "مرحبا"}}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, taqnyat.Config{BaseURL: baseURL}).Send(context.Background(), msg(textMsg))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *taqnyat.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}

// containsToken reports whether s holds the test token or a piece of it.
func containsToken(s string) bool { return providertest.Leaks(s, testToken) }
