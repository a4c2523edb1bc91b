package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wabulk.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startServe runs `wabulk serve` with args until the returned stop is
// called, and returns its base URL (it listens on a free port) and stop,
// which reports serve's exit code.
func startServe(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errOut strings.Builder
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), pw, &errOut)
		_ = pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err != nil {
		cancel()
		code := <-done
		t.Fatalf("serve did not start: exit %d: %s", code, errOut.String())
	}
	_, addr, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		cancel()
		t.Fatalf("serve's first line is %q, want it to say where it listens", line)
	}
	var stopped bool
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

func hmacSHA256(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestServeAcceptsASignedCallbackAndStops(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	cfg := writeConfig(t, fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
log: {level: error}
providers:
  - {name: mt, kind: meta, phone_number_id: "123456789012345", app_secret: "${SERVE_TEST_APP_SECRET:-app-s3cret}", verify_token: vt-s3cret}
  - {name: tj, kind: tujenge, webhook_secret_header: X-Hook-Secret, webhook_secret: hook-s3cret}
  - {name: sn, kind: socnet, api_key: k}
`, r.Addr, r.Opt.DB, r.Prefix))
	// No send credentials for mt and tj: serve never sends.
	base, stop := startServe(t, "--config", cfg)

	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.s","status":"read","timestamp":"1739321024","recipient_id":"255712345678"}]}}]}]}`
	post := func(path, body string, header http.Header) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code := post("/webhooks/mt", body, http.Header{"X-Hub-Signature-256": {hmacSHA256("app-s3cret", body)}}); code != 200 {
		t.Errorf("signed Meta callback: status %d, want 200", code)
	}
	if code := post("/webhooks/mt", body, http.Header{"X-Hub-Signature-256": {hmacSHA256("wrong", body)}}); code != 401 {
		t.Errorf("badly signed Meta callback: status %d, want 401", code)
	}
	if code := post("/webhooks/tj", `{"statuses":[]}`, http.Header{"X-Hook-Secret": {"hook-s3cret"}}); code != 200 {
		t.Errorf("Tujenge callback with the secret header: status %d, want 200", code)
	}
	if code := post("/webhooks/sn", body, nil); code != 404 {
		t.Errorf("socnet has no callbacks, yet /webhooks/sn answers %d", code)
	}
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt-s3cret"}, "hub.challenge": {"42"}}
	if code, got := get("/webhooks/mt?" + q.Encode()); code != 200 || got != "42" {
		t.Errorf("Meta handshake: %d %q, want 200 \"42\"", code, got)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := get(path); code != 200 {
			t.Errorf("%s: status %d", path, code)
		}
	}

	infos, err := asynq.NewInspectorFromRedisClient(r.Client).ListPendingTasks(receipts.Queue(r.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Type != receipts.TypeEvents {
		t.Fatalf("queued %+v, want one events task", infos)
	}
	var b receipts.Batch
	if err := json.Unmarshal(infos[0].Payload, &b); err != nil {
		t.Fatal(err)
	}
	if b.Account != "mt" || len(b.Events) != 1 || b.Events[0].ProviderMessageID != "wamid.s" || b.Events[0].Status != message.Read || b.Received.IsZero() {
		t.Errorf("queued batch %+v", b)
	}

	if code := stop(); code != 0 {
		t.Errorf("serve exit %d after a SIGTERM-like stop, want 0", code)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("serve still answers after it stopped")
	}
}

func TestServeRefusesAccountsWithoutWebhookAuthentication(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	redisLine := fmt.Sprintf("redis: {url: \"redis://%s/%d\", prefix: %q}\nlog: {level: error}\n", r.Addr, r.Opt.DB, r.Prefix)
	tests := []struct {
		name, providers string
		want            []string
	}{
		{
			name:      "no authentication",
			providers: "  - {name: tj, kind: tujenge}\n",
			want:      []string{`webhook account "tj"`, "no authentication configured", "webhook_secret_header + webhook_secret", "webhook_insecure: true"},
		},
		{
			name:      "secret from an unset environment variable",
			providers: "  - {name: tj, kind: tujenge, webhook_secret_header: X-S, webhook_secret: \"${SERVE_TEST_UNSET_SECRET}\"}\n",
			want:      []string{`webhook account "tj"`, "no secret value", "SERVE_TEST_UNSET_SECRET is not set"},
		},
		{
			name:      "two ways at once",
			providers: "  - {name: md, kind: modica, username: u, webhook_user: a, webhook_password: b, webhook_secret_header: X-S, webhook_secret: c}\n",
			want:      []string{`webhook account "md"`, "more than one way", "secret header, HTTP Basic"},
		},
		{
			name:      "only socnet",
			providers: "  - {name: sn, kind: socnet, api_key: k}\n",
			want:      []string{"no provider account sends callbacks (sn: kind socnet has none)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := writeConfig(t, redisLine+"providers:\n"+tt.providers)
			code, _, stderr := runCLI(t, context.Background(), "serve", "--listen", "127.0.0.1:0", "-c", cfg)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("error lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestWebhookConfig(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"HOOK": "hook-s3cret", "VT": "vt-s3cret"}[k]
		return v, ok
	}
	cfg, err := ParseConfig([]byte(`
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
	tj, md, mt, tq := cfg.Providers[0], cfg.Providers[1], cfg.Providers[2], cfg.Providers[3]
	if tj.WebhookSecretHeader != "X-Webhook-Secret" || tj.WebhookSecret.Reveal() != "hook-s3cret" || md.WebhookUser != "hooks" ||
		md.WebhookPassword.Reveal() != "" || mt.VerifyToken.Reveal() != "vt-s3cret" || !tq.WebhookInsecure {
		t.Errorf("webhook fields: %+v", cfg.Providers)
	}
	if s := fmt.Sprintf("%v %+v %#v", cfg.Providers, cfg.Providers, cfg.Providers); strings.Contains(s, "s3cret") {
		t.Errorf("a webhook secret leaks through fmt: %s", s)
	}
	accounts, none, err := webhookAccounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 4 || len(none) != 0 {
		t.Fatalf("accounts %v, without endpoint %v", sortedKeys(accounts), none)
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

	good := "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"verify_token off meta", "providers:\n  - {name: a, kind: tujenge, verify_token: v}\n", "app_secret and verify_token are Meta's webhook settings"},
		{"app_secret off meta", "providers:\n  - {name: a, kind: modica, username: u, app_secret: s}\n", "app_secret and verify_token are Meta's webhook settings"},
		{"bad header name", "providers:\n  - {name: a, kind: tujenge, webhook_secret_header: \"X Secret\"}\n", `webhook_secret_header "X Secret" is not an HTTP header name`},
		{"colon in webhook_user", "providers:\n  - {name: a, kind: tujenge, webhook_user: \"a:b\"}\n", "webhook_user must not contain ':'"},
		{"bad listen", good + "serve: {listen: \"8080\"}\n", `serve.listen "8080": want host:port`},
		{"unknown serve field", good + "serve: {port: 8080}\n", `line 3: unknown field "port"`},
	} {
		if _, err := ParseConfig([]byte(c.yaml), lookup); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
