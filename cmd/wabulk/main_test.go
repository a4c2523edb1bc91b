package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store/storetest"
)

func runCLI(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestConfigErrorsAreClear(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KEY": "s3cret-value"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	good := "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"
	cases := []struct{ name, yaml, want string }{
		{"unknown kind", "providers:\n  - {name: a, kind: twilio, api_key: x}\n", `unknown kind "twilio" (known: decisiontelecom, meta, modica, socnet, taqnyat, tujenge)`},
		{"bad duration", good + "worker:\n  retry_base: soon\n", `line 4: "soon" is not a duration`},
		{"unset env", "providers:\n  - {name: a, kind: tujenge, api_key: x, base_url: \"${MISSING_URL}\"}\n", "line 2: environment variable MISSING_URL is not set"},
		{"unknown field", good + "wrker: {}\n", `line 3: unknown field "wrker"`},
		{"unknown nested field", "providers:\n  - {name: a, kind: tujenge, api_key: x}\nworker:\n  concurency: 3\n", `line 4: unknown field "concurency"`},
		{"all lanes off", good + "worker:\n  queues: {high: 0, normal: 0}\n", "every lane has weight 0"},
		{"shutdown too short", "providers:\n  - {name: a, kind: tujenge, api_key: x, timeout: 20s}\nworker: {shutdown_timeout: 10s}\n", "shutdown_timeout 10s is shorter"},
		{"embedded off loopback", good + "redis: {url: embedded, listen: \"0.0.0.0:6380\"}\n", "loopback only"},
		{"no providers", "redis: {url: embedded}\n", "at least one provider account is required"},
		{"duplicate names", "providers:\n  - {name: a, kind: tujenge, api_key: x}\n  - {name: a, kind: tujenge, api_key: y}\n", "name is used twice"},
		{"meta without phone number id", "providers:\n  - {name: m, kind: meta, token: t}\n", "phone_number_id is required for kind meta"},
		{"decisiontelecom without source", "providers:\n  - {name: d, kind: decisiontelecom, api_key: k}\n", "source is required for kind decisiontelecom"},
		{"bad lane", good + "worker:\n  queues: {urgent: 3}\n", `unknown lane "urgent"`},
		{"bad redis url", good + "redis: {url: \"http://x\"}\n", "redis.url"},
		{"bad base_url", "providers:\n  - {name: a, kind: tujenge, api_key: x, base_url: \"waba.example\"}\n", "must be an absolute http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.yaml), lookup)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
	// Credentials: only the commands that send need them.
	noKey, err := ParseConfig([]byte("providers:\n  - {name: a, kind: tujenge, api_key: \"${UNSET_KEY}\"}\n"), lookup)
	if err != nil {
		t.Fatalf("a config whose credential is unset must load for import/campaign: %v", err)
	}
	if err := noKey.RequireCredentials(); err == nil || !strings.Contains(err.Error(), "api_key is required for kind tujenge (environment variable UNSET_KEY is not set)") {
		t.Errorf("RequireCredentials = %v", err)
	}
	modica, err := ParseConfig([]byte("providers:\n  - {name: m, kind: modica, username: u}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if err := modica.RequireCredentials(); err == nil || !strings.Contains(err.Error(), "password is required for kind modica") {
		t.Errorf("modica without a password: RequireCredentials = %v", err)
	}
	// ${VAR:-default} in a number field is a number.
	num, err := ParseConfig([]byte("providers:\n  - {name: a, kind: tujenge, api_key: x}\nworker: {concurrency: \"${UNSET_N:-7}\"}\n"), lookup)
	if err != nil || num.Worker.Concurrency != 7 {
		t.Errorf("concurrency from ${UNSET_N:-7}: %v, %v", num, err)
	}
	if got := redactURL("redis://user:s3cr%zzet@host:6379/0"); strings.Contains(got, "s3cr") {
		t.Errorf("redactURL leaks a password from an unparsable URL: %s", got)
	}
	cfg, err := ParseConfig([]byte("providers:\n  - {name: a, kind: tujenge, api_key: \"${KEY}\", rate: 50}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	if p.APIKey.Reveal() != "s3cret-value" || p.Burst != 5 || cfg.Redis.URL != "embedded" || cfg.Redis.Prefix != "wabulk:" {
		t.Errorf("expanded/defaulted config = %+v", cfg)
	}
	if s := fmt.Sprintf("%v %+v %#v", p, p, p); strings.Contains(s, "s3cret") {
		t.Errorf("the API key leaks through fmt: %s", s)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	t.Setenv("TUJENGE_API_KEY", "k")
	if _, err := LoadConfig("../../examples/wabulk.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		code, _, stderr := runCLI(t, context.Background(), c.name, "--help")
		if code != 0 || (c.name != "version" && !strings.Contains(stderr, "Usage: wabulk "+c.name)) {
			t.Errorf("%s --help: exit %d, output %q", c.name, code, stderr)
		}
	}
	if code, _, _ := runCLI(t, context.Background(), "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, stderr := runCLI(t, context.Background(), "import", "--spec", "x.yaml"); code != 2 || !strings.Contains(stderr, "--csv are required") {
		t.Errorf("import without --csv: exit %d, %q", code, stderr)
	}
}

// The newcomer's path through the CLI: import, worker, status, report,
// re-import — against a real Redis in CI and the simulator.
func TestCLIImportWorkerStatusReport(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	sim, err := simulator.New(simulator.Config{APIKey: "cli-key"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.Script("+255712345606", 503, 200)

	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	cfgPath := write("wabulk.yaml", fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, base_url: %q, api_key: "${CLI_TEST_KEY:-cli-key}", rate: 100}
worker: {concurrency: 4, retry_base: 10ms, retry_max: 50ms, delayed_task_check_interval: 100ms}
`, r.Addr, r.Opt.DB, r.Prefix, base))
	spec := write("c.yaml", "id: cli-1\naccount: tj\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n")
	csvPath := write("r.csv", "phone,name\n+255712345601,Amina\n0712 345 602,Baraka\n12345,Eshe\n+255712345601,Amina\n+255712345606,Faraji\n")

	ctx := context.Background()
	code, out, stderr := runCLI(t, ctx, "import", "-c", cfgPath, "--spec", spec, "--csv", csvPath, "--quiet")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"accepted  3", "duplicate  1", "rejected  1"} {
		if !strings.Contains(out, want) {
			t.Errorf("import summary lacks %q:\n%s", want, out)
		}
	}
	rej, err := os.ReadFile(filepath.Join(dir, "r.rejects.csv"))
	if err != nil || !strings.Contains(string(rej), "4,") {
		t.Errorf("rejects file: %q, %v; want line 4 rejected", rej, err)
	}

	wctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, wctx, "worker", "-c", cfgPath); done <- c }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, out, _ = runCLI(t, ctx, "campaign", "status", "cli-1", "-c", cfgPath)
		if strings.Contains(out, "done: 3 of 3") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign did not drain:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if c := <-done; c != 0 {
		t.Errorf("worker exit %d after SIGTERM-like stop", c)
	}

	code, out, stderr = runCLI(t, ctx, "campaign", "report", "cli-1", "--format", "jsonl", "-c", cfgPath)
	if code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("report has %d rows, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if row["status"] != "accepted" || row["provider_message_id"] == "" || row["campaign_id"] != "cli-1" {
			t.Errorf("report row %v", row)
		}
		if row["recipient"] == "+255712345606" && row["attempts"].(float64) != 2 {
			t.Errorf("the 503-then-200 recipient shows %v attempts, want 2", row["attempts"])
		}
	}

	// Operators pause and resume an account.
	if code, out, stderr := runCLI(t, ctx, "provider", "pause", "tj", "--reason", "invoice dispute", "-c", cfgPath); code != 0 || !strings.Contains(out, "tj paused") {
		t.Fatalf("provider pause: exit %d %s %s", code, out, stderr)
	}
	if _, out, _ := runCLI(t, ctx, "provider", "status", "-c", cfgPath); !strings.Contains(out, "tj: PAUSED") || !strings.Contains(out, "invoice dispute") {
		t.Errorf("provider status after pause: %q", out)
	}
	if code, _, _ := runCLI(t, ctx, "provider", "resume", "tj", "-c", cfgPath); code != 0 {
		t.Errorf("provider resume: exit %d", code)
	}
	if _, out, _ := runCLI(t, ctx, "provider", "status", "tj", "-c", cfgPath); strings.TrimSpace(out) != "tj: sending" {
		t.Errorf("provider status after resume: %q", out)
	}
	if code, _, stderr := runCLI(t, ctx, "provider", "pause", "nope", "-c", cfgPath); code != 1 || !strings.Contains(stderr, `no provider account "nope"`) {
		t.Errorf("pause of an unknown account: exit %d %q", code, stderr)
	}

	// Re-import: nothing new is queued or sent.
	code, out, _ = runCLI(t, ctx, "import", "-c", cfgPath, "--spec", spec, "--csv", csvPath, "--quiet")
	if code != 0 || !strings.Contains(out, "accepted  0") || !strings.Contains(out, "already-present  3") || !strings.Contains(out, "duplicate  1") {
		t.Errorf("re-import: exit %d\n%s", code, out)
	}
	if s := sim.Stats(); s.Accepted != 3 || s.Duplicates != 0 {
		t.Errorf("provider stats %+v, want 3 accepted and no duplicates", s)
	}
	if code, _, stderr := runCLI(t, ctx, "campaign", "status", "nope", "-c", cfgPath); code != 1 || !strings.Contains(stderr, `no campaign "nope"`) {
		t.Errorf("status of a missing campaign: exit %d, %q", code, stderr)
	}
}

// The demo is the newcomer's first command; a small one runs over every
// provider kind the simulator speaks, in every test run.
func TestDemoDrainsEveryPath(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a few seconds per provider")
	}
	t.Parallel()
	for _, kind := range publicKinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			code, out, stderr := runCLI(t, context.Background(), "demo", "--provider", kind, "--recipients", "300", "--out", t.TempDir())
			if code != 0 {
				t.Fatalf("demo over %s: exit %d\nstdout:\n%s\nstderr:\n%s", kind, code, out, stderr)
			}
			for _, want := range []string{"window_closed", "expired", "failed", "accepted", "OK: every recipient has exactly one outcome"} {
				if !strings.Contains(out, want) {
					t.Errorf("demo over %s: output lacks %q\n%s", kind, want, out)
				}
			}
		})
	}
}

// writeFile writes body to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// redisYAML is the config's redis line for test Redis r, under r's prefix.
func redisYAML(r *storetest.Redis) string {
	return fmt.Sprintf("redis: {url: \"redis://%s/%d\", prefix: %q}\n", r.Addr, r.Opt.DB, r.Prefix)
}
