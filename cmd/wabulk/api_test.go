package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store/storetest"
)

const cmdAPIToken = "cmd-api-t0ken-0123456789"

// apiCall makes one API request with the token and decodes a JSON answer
// into v (when not nil).
func apiCall(t *testing.T, method, url, contentType string, body io.Reader, header http.Header, v any) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cmdAPIToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, b
}

// A transactional message and a campaign go in through `wabulk serve`'s
// API, a worker sends them through the simulator, and the API shows them
// sent.
func TestServeAPISendsThroughAWorker(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	sim, err := simulator.New(simulator.Config{APIKey: "api-key"})
	if err != nil {
		t.Fatal(err)
	}
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	cfg := writeConfig(t, fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, base_url: %q, api_key: api-key, rate: 100, webhook_secret_header: X-Hook, webhook_secret: hook-s3cret}
worker: {concurrency: 4, retry_base: 10ms, retry_max: 50ms, delayed_task_check_interval: 100ms}
serve:
  api_tokens: ["${CMD_API_TEST_TOKEN:-%s}"]
`, r.Addr, r.Opt.DB, r.Prefix, simURL, cmdAPIToken))
	base, stop := startServe(t, "--config", cfg)

	// One message, sent twice with its key: one message.
	body := `{"to": "0712 345 601", "content": {"template": {"name": "reminder", "language": "en", "body": ["Amina"]}}}`
	key := http.Header{"Idempotency-Key": {"appt-42"}}
	var first, again producer.SendResult
	if code, b := apiCall(t, "POST", base+"/v1/messages", "application/json", strings.NewReader(body), key, &first); code != 202 {
		t.Fatalf("POST /v1/messages: %d %s", code, b)
	}
	if code, b := apiCall(t, "POST", base+"/v1/messages", "application/json", strings.NewReader(body), key, &again); code != 200 || !again.IdempotentReplay || again.ID != first.ID {
		t.Fatalf("repeat: %d %s", code, b)
	}
	if first.ID != "api:appt-42" || first.Account != "tj" || first.To != "+255712345601" || first.Status != "queued" || first.Priority != "high" {
		t.Errorf("first answer %+v", first)
	}

	// A campaign: a spec and a CSV with one bad row.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	sw, _ := mw.CreateFormFile("spec", "spec.yaml")
	_, _ = io.WriteString(sw, "id: api-c1\naccount: tj\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n")
	rw, _ := mw.CreateFormFile("recipients", "r.csv")
	_, _ = io.WriteString(rw, "phone,name\n+255712345602,Baraka\nnope,Chausiku\n0712345603,Dora\n")
	_ = mw.Close()
	var up httpapi.CampaignUpload
	if code, b := apiCall(t, "POST", base+"/v1/campaigns", mw.FormDataContentType(), &buf, nil, &up); code != 201 {
		t.Fatalf("POST /v1/campaigns: %d %s", code, b)
	}
	if up.Accepted != 2 || up.Rejected != 1 || len(up.Rejects) != 1 || up.Rejects[0].Line != 3 {
		t.Errorf("upload %+v", up)
	}

	// A worker sends them.
	wctx, stopWorker := context.WithCancel(context.Background())
	defer stopWorker()
	done := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, wctx, "worker", "-c", cfg); done <- c }()
	type sent struct {
		m producer.MessageInfo
		c producer.CampaignProgress
	}
	got := sharedtest.WaitFor(t, func() (s sent) {
		apiCall(t, "GET", base+"/v1/messages/api:appt-42", "", nil, nil, &s.m)
		apiCall(t, "GET", base+"/v1/campaigns/api-c1", "", nil, nil, &s.c)
		return s
	}, func(s sent) bool { return s.m.Status == "accepted" && s.c.Total == 2 && s.c.Pending == 0 }, 20*time.Second,
		"the message and the campaign sent")
	if got.m.ProviderMessageID == "" || got.m.Attempts != 1 || got.c.Counts["accepted"] != 2 {
		t.Errorf("sent message %+v, campaign %+v", got.m, got.c)
	}
	stopWorker()
	if c := sharedtest.WaitOrTimeout(t, done, 30*time.Second, "the worker to exit"); c != 0 {
		t.Errorf("worker exit %d", c)
	}
	if s := sim.Stats(); s.Accepted != 3 || s.Duplicates != 0 {
		t.Errorf("simulator %+v, want 3 accepted, no duplicates", s)
	}
	code, b := apiCall(t, "GET", base+"/v1/campaigns/api-c1/report?format=csv", "", nil, nil, nil)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); code != 200 || len(lines) != 3 || !strings.Contains(lines[1], ",accepted,") {
		t.Errorf("report: %d\n%s", code, b)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}

// Without a token the API is off; with one, serve runs even when no
// account sends callbacks; tokens are checked and never printed.
func TestServeAPIConfig(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	redisLine := fmt.Sprintf("redis: {url: \"redis://%s/%d\", prefix: %q}\nlog: {level: error}\n", r.Addr, r.Opt.DB, r.Prefix)

	off := writeConfig(t, redisLine+"providers:\n  - {name: tj, kind: tujenge, webhook_insecure: true}\nserve: {api_tokens: [\"${CMD_API_TEST_UNSET}\"]}\n")
	base, _ := startServe(t, "--config", off)
	resp, err := http.Get(base + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("API off, yet GET /v1/openapi.yaml answers %d", resp.StatusCode)
	}

	only := writeConfig(t, redisLine+"providers:\n  - {name: sn, kind: socnet, api_key: k}\nserve: {api_tokens: [\""+cmdAPIToken+"\"]}\n")
	base, _ = startServe(t, "--config", only)
	if code, b := apiCall(t, "GET", base+"/v1/campaigns/none", "", nil, nil, nil); code != 404 || !strings.Contains(string(b), `"not_found"`) {
		t.Errorf("API alone: %d %s", code, b)
	}
	// No endpoint: answered as any unknown account (405 to a GET).
	if code, _ := apiCall(t, "GET", base+"/webhooks/sn", "", nil, nil, nil); code != 405 {
		t.Errorf("socnet got a webhook endpoint: %d", code)
	}

	lookup := func(k string) (string, bool) { return map[string]string{"TOK": cmdAPIToken}[k], k == "TOK" }
	cfg, err := config.Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: x}\nserve: {api_tokens: [\"${TOK}\", \"${UNSET_TOK}\"]}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Serve.Tokens(); len(got) != 1 || got[0] != cmdAPIToken {
		t.Errorf("tokens %v", len(got))
	}
	if s := fmt.Sprintf("%v %+v %#v", cfg.Serve, cfg.Serve, cfg.Serve); strings.Contains(s, cmdAPIToken) {
		t.Errorf("an API token leaks through fmt: %s", s)
	}
	for _, c := range []struct{ yaml, want string }{
		{"serve: {api_tokens: [short]}", "serve.api_tokens[0]: a token must be at least 16 characters"},
		{"serve: {api_tokens: [\"has a space in the middle\"]}", "serve.api_tokens[0]: a token must not contain spaces"},
	} {
		_, err := config.Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: x}\n"+c.yaml+"\n"), lookup)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.yaml, err, c.want)
		}
	}
	code, _, stderr := runCLI(t, context.Background(), "serve", "--listen", "127.0.0.1:0", "-c",
		writeConfig(t, redisLine+"providers:\n  - {name: sn, kind: socnet, api_key: k}\n"))
	if code != 1 || !strings.Contains(stderr, "nothing to serve") || !strings.Contains(stderr, "serve.api_tokens holds no token") {
		t.Errorf("nothing to serve: exit %d %s", code, stderr)
	}
}
