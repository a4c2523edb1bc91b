package modica_test

import (
	"context"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/providertest"
)

const (
	testUser = "wabulk-app"
	testPass = "mg-pass-7Q2x9LmN4pR8sV1w"
)

// okBody is the documented success: 201 and a bare array with the id.
const okBody = `[1234567]`

func newClient(t *testing.T, cfg modica.Config) *modica.Client {
	t.Helper()
	if cfg.Username == "" {
		cfg.Username = testUser
	}
	if cfg.Password == "" {
		cfg.Password = testPass
	}
	c, err := modica.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+64211234567", Account: "modica-nz", To: "+64211234567", Content: c}
}

func textMsg(body string) *message.Message {
	return msg(message.Content{Text: &message.Text{Body: body}})
}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, modica.Config{BaseURL: baseURL}).Send(context.Background(), textMsg("hi"))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *modica.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}
