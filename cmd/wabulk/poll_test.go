package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/sharedtest"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store/storetest"
)

func TestPollConfig(t *testing.T) {
	t.Parallel()
	const dt = "providers:\n  - {name: d, kind: decisiontelecom, api_key: k, source: S"
	for _, c := range []struct {
		yaml   string
		rate   float64
		maxAge time.Duration
	}{
		{dt + "}\n", 10, 24 * time.Hour},
		{dt + ", poll_rate: 2.5, poll_max_age: 72h}\n", 2.5, 72 * time.Hour},
	} {
		cfg, err := config.Parse([]byte(c.yaml), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		pc := app.PollerConfig(cfg, &cfg.Providers[0], nil, zap.NewNop()).WithDefaults()
		if pc.Rate != c.rate || pc.MaxAge != c.maxAge || pc.Prefix != "wabulk:" || pc.PollTimeout != 15*time.Second {
			t.Errorf("%q: poller rate %v, max age %v, prefix %q, timeout %v; want %v, %v, wabulk:, the provider's 15s",
				c.yaml, pc.Rate, pc.MaxAge, pc.Prefix, pc.PollTimeout, c.rate, c.maxAge)
		}
	}
}

// `wabulk worker` polls DecisionTelecom's receipts: a campaign it sends
// ends read, with nothing but receive-whatsapp to tell it.
func TestWorkerPollsReceipts(t *testing.T) {
	if testing.Short() {
		t.Skip("the first poll comes 10s after a message is accepted")
	}
	t.Parallel()
	r := storetest.New(t)
	const key = "dt-cli-key-0123456789"
	sim, err := simulator.New(simulator.Config{Kind: "decisiontelecom", APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	cfgPath := write("wabulk.yaml", fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: UA
log: {level: error}
providers:
  - {name: dt, kind: decisiontelecom, base_url: "%s/v1/api", api_key: %q, source: wabulk, poll_rate: 50}
worker: {concurrency: 4, delayed_task_check_interval: 100ms}
`, r.Addr, r.Opt.DB, r.Prefix, base, key))
	spec := write("c.yaml", "id: poll-1\naccount: dt\nmessage:\n  template: {name: promo, language: uk}\n")
	csvPath := write("r.csv", "phone\n+380631234501\n+380631234502\n+380631234503\n")

	ctx := context.Background()
	if code, _, stderr := runCLI(t, ctx, "import", "-c", cfgPath, "--spec", spec, "--csv", csvPath, "--quiet"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, wctx, "worker", "-c", cfgPath); done <- c }()
	var out string
	polled := sharedtest.EventuallyErr(func() bool {
		_, out, _ = runCLI(t, ctx, "campaign", "status", "poll-1", "-c", cfgPath)
		return strings.Contains(out, "3 read (100.0%)")
	}, 60*time.Second, "receipts polled")
	stop()
	code := sharedtest.WaitOrTimeout(t, done, 30*time.Second, "the worker to exit")
	if polled != nil {
		t.Fatalf("%v:\n%s", polled, out)
	}
	if code != 0 {
		t.Errorf("worker exit %d after SIGTERM-like cancel", code)
	}
}

// The demo over a provider whose receipts are polled waits for them: its
// outcome table shows messages read, none left accepted.
func TestDemoWaitsForPolledReceipts(t *testing.T) {
	if testing.Short() {
		t.Skip("the first poll comes 10s after a message is accepted")
	}
	t.Parallel()
	code, out, stderr := runCLI(t, context.Background(), "demo", "--provider", "decisiontelecom", "--recipients", "100", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, want := range []string{"waiting up to 6s for receipts", ", 0 still waiting", "    read  "} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q\n%s", want, out)
		}
	}
}
