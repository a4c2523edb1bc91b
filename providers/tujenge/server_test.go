package tujenge_test

import (
	"context"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

const testKey = "tj-live-7Q2x9LmN4pR8sV1w"

const okBody = `{"messages":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}],"meta":{"api_status":"stable","version":"2.41.3"}}`

func newClient(t *testing.T, cfg tujenge.Config) *tujenge.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := tujenge.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+255712345678", Account: "tujenge-main", To: "+255712345678", Content: c}
}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, tujenge.Config{BaseURL: baseURL}).Send(context.Background(), msg(textMsg))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *tujenge.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}

// containsKey reports whether s holds the test key or a piece of it.
func containsKey(s string) bool { return providertest.Leaks(s, testKey) }
