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
	if code := post("/webhooks/sn", body, nil); code != 401 {
		t.Errorf("socnet has no callbacks, yet /webhooks/sn answers %d (want 401, as any unknown account)", code)
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
			want:      []string{"no provider account sends callbacks (sn: kind socnet sends none)"},
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

func TestLoadtestWebhooksRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"webhooks", "--provider", "socnet"}, "socnet sends no callbacks"},
		{[]string{"webhooks", "--rate", "5"}, "unknown flag: --rate"},
		{[]string{"webhooks", "--workers", "3"}, "unknown flag: --workers"},
		{[]string{"webhooks", "-n", "0"}, "must be positive"},
	} {
		code, _, stderr := runCLI(t, context.Background(), append([]string{"loadtest"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("loadtest %v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// worker.shutdown_timeout must outlast a send, but serve never sends: it
// starts with a config whose accounts are slower than the shutdown, and
// the worker refuses the same file, naming it and the fields.
func TestShutdownTimeoutStopsTheWorkerOnly(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	cfg := writeConfig(t, fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: k, timeout: 40s, webhook_secret_header: X-Hook-Secret, webhook_secret: hook-s3cret}
worker: {shutdown_timeout: 20s}
`, r.Addr, r.Opt.DB, r.Prefix))

	base, stop := startServe(t, "--config", cfg)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("serve /healthz: %d", resp.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d, want 0", code)
	}

	code, _, stderr := runCLI(t, context.Background(), "worker", "-c", cfg, "--admin-listen", "off")
	want := cfg + ": worker.shutdown_timeout 20s is shorter than the slowest provider timeout (40s) plus worker.max_limiter_wait (5s): a shutdown would cut sends off mid-request"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("worker: exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}

// A DecisionTelecom account's callbacks come to /webhooks/{name}/{token}
// when it has a webhook_path_token; a wrong token is answered as an
// unknown account.
func TestServeWebhookPathToken(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	const token = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
	cfg := writeConfig(t, fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
log: {level: error}
providers:
  - {name: dt, kind: decisiontelecom, source: wabulk, webhook_path_token: "${SERVE_TEST_PATH_TOKEN:-%s}"}
`, r.Addr, r.Opt.DB, r.Prefix, token))
	base, _ := startServe(t, "--config", cfg)
	post := func(path string) int {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(`{"message_id":554,"status":7}`))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{
		"/webhooks/dt/" + token:                  200,
		"/webhooks/dt/" + strings.ToUpper(token): 401,
		"/webhooks/dt":                           401,
		"/webhooks/nobody/" + token:              401,
	} {
		if got := post(path); got != want {
			t.Errorf("POST %s: %d, want %d", path, got, want)
		}
	}
	infos, err := asynq.NewInspectorFromRedisClient(r.Client).ListPendingTasks(receipts.Queue(r.Prefix))
	if err != nil || len(infos) != 1 {
		t.Fatalf("queued %d events tasks (%v), want 1", len(infos), err)
	}

	unset := writeConfig(t, fmt.Sprintf("redis: {url: \"redis://%s/%d\", prefix: %q}\nproviders:\n  - {name: dt, kind: decisiontelecom, source: s, webhook_path_token: \"${SERVE_TEST_UNSET_TOKEN}\"}\n",
		r.Addr, r.Opt.DB, r.Prefix))
	code, _, stderr := runCLI(t, context.Background(), "serve", "--listen", "127.0.0.1:0", "-c", unset)
	for _, want := range []string{"no authentication configured", "webhook_path_token (callbacks at /webhooks/NAME/TOKEN)", "SERVE_TEST_UNSET_TOKEN is not set"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("serve with the token unset: exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
}
