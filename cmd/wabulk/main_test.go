package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store/storetest"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// worker, server and scheduler a command starts stops with its context,
// every simulator is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runCLI(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Every command and subcommand answers --help with its own usage line.
func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			n++
			args := append(strings.Fields(strings.TrimPrefix(sub.CommandPath(), "wabulk ")), "--help")
			code, out, _ := runCLI(t, context.Background(), args...)
			if code != 0 || !strings.Contains(out, "Usage:\n  "+sub.CommandPath()) || !strings.Contains(out, sub.Short) {
				t.Errorf("%s: exit %d, output %q", strings.Join(args, " "), code, out)
			}
			walk(sub)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	if n < 25 {
		t.Errorf("walked %d commands; the tree lost some", n)
	}
	if code, _, _ := runCLI(t, context.Background(), "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, stderr := runCLI(t, context.Background(), "import", "--spec", "x.yaml"); code != 2 || !strings.Contains(stderr, "--csv are required") {
		t.Errorf("import without --csv: exit %d, %q", code, stderr)
	}
}

// Each subcommand takes its own flags only: one of a sibling's is refused
// (exit 2), not ignored.
func TestSubcommandsRefuseFlagsTheyDoNotUse(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"campaign", "retry-failed", "x", "--reason", "r"},
		{"campaign", "retry-failed", "x", "--wait", "1s"},
		{"campaign", "resume", "x", "--reason", "r"},
		{"campaign", "pause", "x", "--wait", "1s"},
		{"campaign", "list", "--watch"},
		{"campaign", "report", "x", "--interval", "1s"},
		{"optout", "list", "a", "--local-only"},
		{"optout", "list", "a", "--reason", "r"},
		{"optout", "remove", "a", "+255712345678", "--reason", "r"},
		{"provider", "status", "--reason", "r"},
		{"provider", "resume", "a", "--reason", "r"},
		{"loadtest", "--workers", "3"},
		{"loadtest", "webhooks", "--rate", "5"},
		{"loadtest", "lanes", "--provider", "meta"},
		{"loadtest", "fleet", "--bare"},
		{"worker", "--listen", ":1"},
	} {
		code, _, stderr := runCLI(t, context.Background(), args...)
		if code != 2 || !strings.Contains(stderr, "unknown flag") {
			t.Errorf("%v: exit %d, %q; want 2 and an unknown flag", args, code, stderr)
		}
	}
	for _, args := range [][]string{
		{"provider", "status", "a", "b"},
		{"campaign", "status"},
		{"campaign", "frobnicate"},
		{"optout", "add", "a"},
		{"version", "extra"},
	} {
		if code, _, _ := runCLI(t, context.Background(), args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// Built without ldflags, version says what the build recorded.
func TestVersionWithoutLdflags(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, context.Background(), "version")
	if code != 0 || !strings.HasPrefix(out, "wabulk ") || strings.Contains(out, "dev\n") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: exit %d, %q", code, out)
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
	defer stop()
	done := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, wctx, "worker", "-c", cfgPath); done <- c }()
	sharedtest.WaitFor(t, func() string { _, out, _ := runCLI(t, ctx, "campaign", "status", "cli-1", "-c", cfgPath); return out },
		func(out string) bool { return strings.Contains(out, "done: 3 of 3") }, 20*time.Second, "the campaign drained")
	stop()
	if c := sharedtest.WaitOrTimeout(t, done, 30*time.Second, "the worker to exit"); c != 0 {
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
	if _, out, _ := runCLI(t, ctx, "provider", "status", "tj", "-c", cfgPath); !strings.HasPrefix(out, "tj: sending\n    rate ") || !strings.Contains(out, "0 in flight") {
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
	for _, kind := range simulatedKinds() {
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
