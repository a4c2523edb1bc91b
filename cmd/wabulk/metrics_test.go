package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store/storetest"
)

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// get fetches url and returns its status and body (status 0 when the
// request failed).
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric sums the samples of name in a Prometheus text exposition whose
// labels include every pair of want; ok false when none has.
func metric(text, name string, want map[string]string) (sum float64, ok bool) {
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, val := line[:sp], line[sp+1:]
		n, labels, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		have := map[string]string{}
		for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
			if k, v, found := strings.Cut(kv, "="); found {
				have[k] = strings.Trim(v, `"`)
			}
		}
		match := true
		for k, v := range want {
			if have[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err == nil {
			sum += f
			ok = true
		}
	}
	return sum, ok
}

// scrape reads one sum from url's /metrics.
func scrape(base, name string, want map[string]string) float64 {
	_, body := get(base + "/metrics")
	v, _ := metric(body, name, want)
	return v
}

// A campaign paused, then resumed and sent: the worker's /metrics shows
// the deferrals, sends, provider latency and limiter waits moving; serve's
// the API and webhook requests and the campaign's queued messages; both
// say they are ready.
func TestMetricsMoveDuringACampaign(t *testing.T) {
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
  - {name: tj, kind: tujenge, base_url: %q, api_key: api-key, rate: 200, webhook_secret_header: X-Hook, webhook_secret: hook-s3cret}
worker: {concurrency: 8, retry_base: 10ms, retry_max: 50ms, delayed_task_check_interval: 100ms, campaign_paused_recheck: 100ms}
serve:
  api_tokens: [%q]
`, r.Addr, r.Opt.DB, r.Prefix, simURL, cmdAPIToken))
	base, _ := startServe(t, "--config", cfg)

	// A campaign of 30, paused before any worker runs.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	sw, _ := mw.CreateFormFile("spec", "spec.yaml")
	_, _ = io.WriteString(sw, "id: metered\naccount: tj\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n")
	rw, _ := mw.CreateFormFile("recipients", "r.csv")
	_, _ = io.WriteString(rw, "phone,name\n")
	for i := range 30 {
		fmt.Fprintf(rw, "+2557124%05d,N%d\n", i, i)
	}
	_ = mw.Close()
	if code, b := apiCall(t, "POST", base+"/v1/campaigns", mw.FormDataContentType(), &buf, nil, nil); code != 201 {
		t.Fatalf("POST /v1/campaigns: %d %s", code, b)
	}
	if code, b := apiCall(t, "POST", base+"/v1/campaigns/metered/pause", "application/json", strings.NewReader(`{"reason":"metrics test"}`), nil, nil); code != 200 {
		t.Fatalf("pause: %d %s", code, b)
	}
	// A callback with a wrong secret is refused and counted.
	req, _ := http.NewRequest("POST", base+"/webhooks/tj", strings.NewReader(`{"statuses":[]}`))
	req.Header.Set("X-Hook", "wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("webhook with a wrong secret: %d, want 401", resp.StatusCode)
		}
	}

	admin := "http://" + freeAddr(t)
	wctx, stopWorker := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		c, _, _ := runCLI(t, wctx, "worker", "-c", cfg, "--admin-listen", strings.TrimPrefix(admin, "http://"))
		done <- c
	}()
	defer func() { stopWorker(); <-done }()

	sharedtest.WaitFor(t, func() float64 {
		return scrape(admin, "wabulk_deferrals_total", map[string]string{"account": "tj", "reason": "campaign_paused"})
	}, func(v float64) bool { return v >= 30 }, 20*time.Second, "deferrals of the paused campaign on the worker's /metrics")
	for _, c := range []struct {
		url, path string
		want      int
	}{{admin, "/healthz", 200}, {admin, "/readyz", 200}, {base, "/readyz", 200}} {
		if code, body := get(c.url + c.path); code != c.want {
			t.Errorf("%s%s: %d %q", c.url, c.path, code, body)
		}
	}
	_, serveMetrics := get(base + "/metrics")
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"wabulk_campaign_messages", map[string]string{"campaign": "metered", "state": "queued"}, 30},
		{"wabulk_queue_size", map[string]string{"lane": "normal"}, 30},
		{"wabulk_api_requests_total", map[string]string{"route": "POST /v1/campaigns", "code": "201"}, 1},
		{"wabulk_api_requests_total", map[string]string{"route": "POST /v1/campaigns/{id}/pause", "code": "200"}, 1},
		{"wabulk_webhook_requests_total", map[string]string{"account": "tj", "code": "401"}, 1},
		{"wabulk_ready", map[string]string{"process": "serve"}, 1},
		{"wabulk_build_info", nil, 1},
	} {
		if v, ok := metric(serveMetrics, c.name, c.labels); !ok || v < c.min {
			t.Errorf("serve /metrics: %s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.min)
		}
	}

	// campaign status tells the deferral from a failure.
	if code, out, errOut := runCLI(t, context.Background(), "campaign", "status", "metered", "-c", cfg); code != 0 ||
		!strings.Contains(out, "30 queued messages are deferred, not failing: the campaign is paused") {
		t.Errorf("campaign status of the paused campaign: exit %d\n%s%s", code, out, errOut)
	}

	// Resumed, it drains: the sends show up.
	if code, b := apiCall(t, "POST", base+"/v1/campaigns/metered/resume", "application/json", nil, nil, nil); code != 200 {
		t.Fatalf("resume: %d %s", code, b)
	}
	sharedtest.WaitFor(t, func() float64 {
		return scrape(admin, "wabulk_sends_total", map[string]string{"account": "tj", "outcome": "accepted"})
	}, func(v float64) bool { return v >= 30 }, 30*time.Second, "accepted sends on the worker's /metrics")
	_, workerMetrics := get(admin + "/metrics")
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"wabulk_provider_request_duration_seconds_count", map[string]string{"account": "tj", "result": "ok"}, 30},
		{"wabulk_limiter_wait_seconds_count", map[string]string{"account": "tj"}, 30},
		{"wabulk_ready", map[string]string{"process": "worker"}, 1},
		{"wabulk_breaker_open", map[string]string{"account": "tj"}, 0},
		{"wabulk_account_paused", map[string]string{"account": "tj"}, 0},
		{"go_goroutines", nil, 1},
	} {
		if v, ok := metric(workerMetrics, c.name, c.labels); !ok || v < c.min {
			t.Errorf("worker /metrics: %s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.min)
		}
	}
	// Deferrals are not failures: nothing failed or was retried.
	if v, _ := metric(workerMetrics, "wabulk_sends_total", map[string]string{"account": "tj", "outcome": "failed"}); v != 0 {
		t.Errorf("%v failed sends", v)
	}
}

// The scheduler answers its probes and shows its readiness on its admin
// listener.
func TestSchedulerAdminListener(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dir := t.TempDir()
	audience := filepath.Join(dir, "patients.csv")
	if err := os.WriteFile(audience, []byte("phone,name\n+255712345601,Amina\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: x}
schedules:
  - id: yearly
    cron: "0 9 1 1 *"
    timezone: UTC
    account: tj
    audience: %q
    message: {template: {name: hello, language: en, body: ["{{name}}"]}}
`, r.Addr, r.Opt.DB, r.Prefix, audience))
	admin := freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, ctx, "scheduler", "-c", cfg, "--admin-listen", admin); done <- c }()
	defer func() { stop(); <-done }()
	body := sharedtest.WaitFor(t, func() string { _, b := get("http://" + admin + "/metrics"); return b },
		func(b string) bool { return strings.Contains(b, `wabulk_ready{process="scheduler"} 1`) }, 20*time.Second, "the scheduler's /metrics")
	if _, ok := metric(body, "wabulk_build_info", nil); !ok {
		t.Error("no wabulk_build_info")
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, b := get("http://" + admin + p); code != 200 {
			t.Errorf("%s: %d %q", p, code, b)
		}
	}
}
