package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)

// Each account's webhook authentication reaches the receiver.
func TestWebhookAccounts(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"HOOK": "hook-s3cret", "VT": "vt-s3cret"}[k]
		return v, ok
	}
	cfg, err := config.Parse([]byte(`
providers:
  - {name: tj, kind: tujenge, api_key: k, webhook_secret_header: X-Webhook-Secret, webhook_secret: "${HOOK}"}
  - {name: md, kind: modica, username: u, password: p, webhook_user: hooks, webhook_password: "${UNSET_HOOK_PASSWORD}"}
  - {name: mt, kind: meta, token: t, phone_number_id: "1", app_secret: a, verify_token: "${VT}"}
  - {name: tq, kind: taqnyat, token: t, webhook_insecure: true}
`), lookup)
	if err != nil {
		t.Fatalf("a config whose webhook credential is unset must still load: %v", err)
	}
	accounts, none, err := WebhookAccounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 4 || len(none) != 0 {
		t.Fatalf("accounts %v, without endpoint %v", slices.Sorted(maps.Keys(accounts)), none)
	}
	// Meta's adapter authenticates its callbacks with the app secret and
	// answers the handshake with the verify token: both passed on to it.
	mtAuth, okAuth := accounts["mt"].Parser.(providers.CallbackAuthenticator)
	mtHandshake, okHandshake := accounts["mt"].Parser.(providers.CallbackHandshaker)
	if !okAuth || !okHandshake || accounts["mt"].SecretHeader != "" ||
		mtAuth.AuthenticateCallback(http.Header{"X-Hub-Signature-256": {hmacSHA256("a", "{}")}}, []byte("{}")) != nil {
		t.Errorf("meta's webhook account: app secret not passed on")
	} else if c, err := mtHandshake.CallbackHandshake(url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt-s3cret"}, "hub.challenge": {"1"}}); c != "1" || err != nil {
		t.Errorf("meta's webhook account: verify token not passed on: %q, %v", c, err)
	}
	if a := accounts["tj"]; a.SecretHeader != "X-Webhook-Secret" || a.SecretValue != "hook-s3cret" {
		t.Errorf("tujenge's webhook account: secret header not passed on")
	}
	if auth, ok := accounts["tj"].Parser.(providers.CallbackAuthenticator); ok && auth.CallbackAuth() != "" {
		t.Errorf("tujenge's webhook account authenticates a second way: %s", auth.CallbackAuth())
	}

}

func hmacSHA256(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
