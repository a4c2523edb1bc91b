package meta_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/providertest"
)

const (
	testToken     = "EAAGm0PX4ZCpsBAtestTOKEN7Q2x9LmN4pR8sV1w"
	testSecret    = "app-secret-5f4dcc3b5aa765d61d8327deb882cf99"
	testPhoneID   = "106540352242922"
	testWamid     = "wamid.HBgMMjU1NzEyMzQ1Njc4FQIAERgSNzE2QjNGQjY4RDM4RkE5NkY4AA=="
	messagesPath  = "/v21.0/" + testPhoneID + "/messages"
	okBody        = `{"messaging_product":"whatsapp","contacts":[{"input":"+255712345678","wa_id":"255712345678"}],"messages":[{"id":"` + testWamid + `"}]}`
	okBodyPacing  = `{"messaging_product":"whatsapp","contacts":[{"input":"255712345678","wa_id":"255712345678"}],"messages":[{"id":"` + testWamid + `","message_status":"accepted"}]}`
	defaultSender = "+15550783881"
)

// graphError is the Graph API error body for code with Meta's usual
// message, details and trace id.
func graphError(code any, message, details string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": "OAuthException", "code": code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "AazLKqW9Rp0CEZYOcdIw6Jd",
	}})
	return string(b)
}

// newClient returns a Client against base + "/v21.0" with the test
// credentials unless cfg sets its own.
func newClient(t *testing.T, cfg meta.Config) *meta.Client {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.PhoneNumberID == "" {
		cfg.PhoneNumberID = testPhoneID
	}
	c, err := meta.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// clientFor is a Client whose BaseURL is f's URL + "/v21.0".
func clientFor(t *testing.T, f *providertest.Fake) *meta.Client {
	t.Helper()
	return newClient(t, meta.Config{BaseURL: f.URL + "/v21.0"})
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+255712345678", Account: "meta-main", From: defaultSender, To: "+255712345678", Content: c}
}

// sendText sends a text message through a client against baseURL (a
// Fake's URL): what the providertest table runners send.
func sendText(t *testing.T, baseURL string) error {
	t.Helper()
	_, err := newClient(t, meta.Config{BaseURL: baseURL + "/v21.0"}).Send(context.Background(), msg(textMsg))
	return err
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *meta.Client, m *message.Message) *providers.SendError {
	t.Helper()
	_, err := c.Send(context.Background(), m)
	return providertest.AsSendError(t, err)
}

// sign returns the X-Hub-Signature-256 value Meta would send for body.
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// signed returns headers carrying body's signature with the test secret.
func signed(body string) http.Header {
	return http.Header{"X-Hub-Signature-256": {sign(testSecret, body)}, "Content-Type": {"application/json"}}
}

// containsSecret reports whether s holds the token or app secret, or a
// piece of either.
func containsSecret(s string) bool { return providertest.Leaks(s, testToken, testSecret) }

// newClientWithSecret is clientFor with the test app secret configured.
func newClientWithSecret(t *testing.T, f *providertest.Fake) *meta.Client {
	t.Helper()
	return newClient(t, meta.Config{BaseURL: f.URL + "/v21.0", AppSecret: testSecret})
}
