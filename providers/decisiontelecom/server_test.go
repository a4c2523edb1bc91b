package decisiontelecom_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

// testKey is a User Hash Key; wantAuth is how it travels (curl's
// CURLOPT_USERPWD with the key as the user name and no password).
const (
	testKey    = "dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e"
	testSource = "Custom Company"
)

var wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"))

const okBody = `{"message_id":554}`

// dtError is the document's error object.
func dtError(name, msg string, code any, status any) string {
	b, _ := json.Marshal(map[string]any{"name": name, "message": msg, "code": code, "status": status})
	return string(b)
}

func newClient(t testing.TB, cfg decisiontelecom.Config) *decisiontelecom.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.Source == "" {
		cfg.Source = testSource
	}
	c, err := decisiontelecom.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+380631234567", Account: "dt-main", To: "+380631234567", Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "Message content"}}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, decisiontelecom.Config{BaseURL: baseURL}).Send(context.Background(), msg(textMsg))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *decisiontelecom.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}

// containsKey reports whether s holds the key, its wire form, or a piece
// of either.
func containsKey(s string) bool {
	return providertest.Leaks(s, testKey, strings.TrimPrefix(wantAuth, "Basic "))
}
