package socnet_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/socnet"
)

// testKey is a 32-byte key, as the document describes.
const testKey = "5f3c9a1e7b2d4c6a8e0f1a3b5c7d9e2f"

// apiPath is the path of the document's request URL.
const apiPath = "/projects/bulk/whatsapp/api.php"

// endpoint is f's URL with the document's path.
func endpoint(f *providertest.Fake) string { return f.URL + apiPath }

// The document's two success shapes.
const (
	channel1 = `{"sent":"true","from":"256701234567@c.us","message_type":"chat","messageId":"3EB002BAE9545124A5B7B2","cost":"90"}`
	channel2 = `{"messaging_product":"whatsapp","contacts":[{"input":"256701234567","wa_id":"256701234567"}],"messages":[{"id":"wamid.HBgMMjU2NzAxMjM0NTY3FQIAERgSQjE0","message_status":"accepted"}],"cost":0}`
)

// general is the document's general response format.
func general(status any, text string) string {
	b, _ := json.Marshal(map[string]any{"message": text, "status": status})
	return string(b)
}

func newClient(t *testing.T, cfg socnet.Config) *socnet.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := socnet.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

const ugandan = "+256701234567"

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:" + ugandan, Account: "socnet-main", To: ugandan, Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "Oli otya"}}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, socnet.Config{URL: baseURL + apiPath}).Send(context.Background(), msg(textMsg))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *socnet.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}

// containsKey reports whether s holds the test key or a piece of it.
func containsKey(s string) bool { return providertest.Leaks(s, testKey) }
