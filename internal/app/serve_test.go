package app

import (
	"maps"
	"slices"
	"testing"

	"github.com/wabulk/wabulk/internal/config"
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)

// Each account's webhook authentication reaches the receiver.
func TestWebhookConfig(t *testing.T) {
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
	if cfg.Serve.Listen != "127.0.0.1:8080" {
		t.Errorf("serve.listen defaults to %q", cfg.Serve.Listen)
	}
	accounts, none, err := WebhookAccounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 4 || len(none) != 0 {
		t.Fatalf("accounts %v, without endpoint %v", slices.Sorted(maps.Keys(accounts)), none)
	}
	if a := accounts["mt"]; a.AppSecret != "a" || a.VerifyToken != "vt-s3cret" || a.SecretHeader != "" {
		t.Errorf("meta's webhook account: app secret and verify token not passed on")
	}
	if a := accounts["tj"]; a.SecretHeader != "X-Webhook-Secret" || a.SecretValue != "hook-s3cret" || a.AppSecret != "" {
		t.Errorf("tujenge's webhook account: secret header not passed on")
	}

}
