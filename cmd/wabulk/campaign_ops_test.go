package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// opsEnv is a config on a test Redis, with files in a temp dir.
type opsEnv struct {
	t   *testing.T
	r   *storetest.Redis
	dir string
	cfg string
}

func newOpsEnv(t *testing.T, providerExtra string) *opsEnv {
	t.Helper()
	e := &opsEnv{t: t, r: storetest.New(t), dir: t.TempDir()}
	e.cfg = e.write("wabulk.yaml", fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: k%s}
worker: {concurrency: 4, delayed_task_check_interval: 100ms}
`, e.r.Addr, e.r.Opt.DB, e.r.Prefix, providerExtra))
	return e
}

func (e *opsEnv) write(name, body string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *opsEnv) store() *store.Store {
	return store.New(e.r.Client, store.Config{Prefix: e.r.Prefix})
}

// campaign writes a spec and a CSV of n recipients from +2557123400{first}.
func (e *opsEnv) campaign(id, ttl string, first, n int) (spec, csv string) {
	var b strings.Builder
	b.WriteString("phone,name\n")
	for i := range n {
		fmt.Fprintf(&b, "+2557123%05d,Name%d\n", first+i, i)
	}
	return e.write(id+".yaml", fmt.Sprintf("id: %s\naccount: tj\nttl: %s\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n", id, ttl)),
		e.write(id+".csv", b.String())
}

// `wabulk campaign retry-failed` requeues the retryable failures and the
// expired messages, says what it skipped and why, requeues nothing the
// second time, and refuses a cancelled campaign.
func TestCLIRetryFailed(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t, "")
	ctx := context.Background()
	spec, csv := e.campaign("rf-1", "24h", 1, 4)
	if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", spec, "--csv", csv, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	// What a worker would have recorded: one accepted, one refused for
	// good, one given up after transient failures, one expired.
	st := e.store()
	moves := []struct {
		to   message.Status
		upd  store.Update
		send bool
	}{
		{message.Accepted, store.Update{ProviderMessageID: "wamid.1"}, true},
		{message.Failed, store.Update{ErrorCode: "400", Error: "bad request"}, true},
		{message.Failed, store.Update{ErrorCode: "503", Error: "gave up after 10 transient failures", Retryable: true}, true},
		{message.Expired, store.Update{ErrorCode: "ttl"}, false},
	}
	for i, m := range moves {
		ref := store.Ref{ID: message.CampaignMessageID("rf-1", fmt.Sprintf("+2557123%05d", 1+i)), CampaignID: "rf-1", Account: "tj"}
		if m.send {
			if _, err := st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Transition(ctx, ref, m.to, m.upd); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runCLI(t, ctx, "campaign", "retry-failed", "rf-1", "-c", e.cfg)
	if code != 0 {
		t.Fatalf("retry-failed: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"campaign rf-1: 2 messages requeued", "1 skipped: the provider took them", "1 skipped: failed for good"} {
		if !strings.Contains(out, want) {
			t.Errorf("retry-failed output lacks %q:\n%s", want, out)
		}
	}
	_, status, _ := runCLI(t, ctx, "campaign", "status", "rf-1", "-c", e.cfg)
	if !regexp.MustCompile(`(?m)^\s*queued\s+2\s`).MatchString(status) {
		t.Errorf("status after retry-failed:\n%s", status)
	}
	if _, out, _ := runCLI(t, ctx, "campaign", "retry-failed", "rf-1", "-c", e.cfg); !strings.Contains(out, "0 messages requeued") ||
		!strings.Contains(out, "2 skipped: still queued") {
		t.Errorf("second retry-failed:\n%s", out)
	}
	if code, _, _ := runCLI(t, ctx, "campaign", "cancel", "rf-1", "-c", e.cfg); code != 0 {
		t.Fatal("cancel failed")
	}
	if code, _, stderr := runCLI(t, ctx, "campaign", "retry-failed", "rf-1", "-c", e.cfg); code != 1 || !strings.Contains(stderr, "cancelled") {
		t.Errorf("retry-failed of a cancelled campaign: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, ctx, "campaign", "retry-failed", "nope", "-c", e.cfg); code != 1 || !strings.Contains(stderr, `no campaign "nope"`) {
		t.Errorf("retry-failed of an unknown campaign: exit %d, %s", code, stderr)
	}
}

// Admission control at import: from what is queued for the account and
// its rate, a campaign that would not drain within its TTL gets a warning
// saying by how much; --strict refuses it before importing anything.
func TestCLIImportAdmission(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t, ", rate: 0.001") // one message every 1000 s
	ctx := context.Background()
	specA, csvA := e.campaign("adm-a", "1h", 1, 2)
	code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", specA, "--csv", csvA)
	if code != 0 || !strings.Contains(stderr, "campaign adm-a: at 0.001/s, these 2 messages of account tj drain in 33m20s, within the 1h TTL") {
		t.Fatalf("import of a campaign that fits: exit %d\n%s", code, stderr)
	}
	specB, csvB := e.campaign("adm-b", "1h", 100, 3)
	const verdict = "at 0.001/s, the 2 messages already queued for account tj plus these 3 drain in 1h23m, 23m20s past the 1h TTL: " +
		"about 2 of them would still be queued then and end expired"
	code, out, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", specB, "--csv", csvB, "--strict", "--quiet")
	if code != 1 || !strings.Contains(stderr, "campaign adm-b refused (--strict): "+verdict) || out != "" {
		t.Errorf("--strict import: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
	if _, err := e.store().Campaign(ctx, "adm-b"); err == nil {
		t.Error("a refused campaign was saved")
	}
	code, out, stderr = runCLI(t, ctx, "import", "-c", e.cfg, "--spec", specB, "--csv", csvB, "--quiet")
	if code != 0 || !strings.Contains(stderr, "warning: campaign adm-b: "+verdict) || !strings.Contains(out, "accepted  3") {
		t.Errorf("import without --strict: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
}

// `wabulk campaign status --watch` on a non-terminal prints one line per
// interval while a worker sends the campaign and returns, with the outcome
// table, once nothing is pending.
func TestCLIStatusWatch(t *testing.T) {
	t.Parallel()
	sim, err := simulator.New(simulator.Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e := newOpsEnv(t, fmt.Sprintf(", base_url: %q, rate: 50", base))
	ctx := context.Background()
	spec, csv := e.campaign("w-1", "24h", 1, 40)
	if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", spec, "--csv", csv, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	_, status, _ := runCLI(t, ctx, "campaign", "status", "w-1", "-c", e.cfg)
	if !strings.Contains(status, "rate: 0/s over the last minute; 40 pending, ETA - (nothing sent in the last minute)") {
		t.Errorf("status before any send:\n%s", status)
	}

	// The watch starts before the worker: its first line has all 40 pending.
	type result struct {
		code     int
		out, err string
	}
	watched := make(chan result, 1)
	go func() {
		c, o, e := runCLI(t, ctx, "campaign", "status", "w-1", "--watch", "--interval", "100ms", "-c", e.cfg)
		watched <- result{c, o, e}
	}()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	worker := make(chan int, 1)
	go func() { c, _, _ := runCLI(t, wctx, "worker", "-c", e.cfg); worker <- c }()
	res := sharedtest.WaitOrTimeout(t, watched, 60*time.Second, "status --watch to return after the campaign drained")
	stop()
	sharedtest.WaitOrTimeout(t, worker, 30*time.Second, "the worker to exit")
	if res.code != 0 {
		t.Fatalf("watch: exit %d: %s", res.code, res.err)
	}
	lines := regexp.MustCompile(`(?m)^campaign w-1 .*$`).FindAllString(res.out, -1)
	if len(lines) < 2 || !strings.Contains(lines[0], "/40  active") || !strings.Contains(lines[len(lines)-1], "100.0% 40/40  active") ||
		!strings.Contains(lines[len(lines)-1], "ETA done") {
		t.Errorf("watch lines:\n%s", res.out)
	}
	if !strings.Contains(res.out, "done: 40 of 40 have an outcome") {
		t.Errorf("watch output lacks the outcome table:\n%s", res.out)
	}
}

// campaign status says why a campaign is not moving: its account paused
// (with the reason), an open breaker, quiet hours; nothing when nothing
// holds it.
func TestCLIStatusSaysWhyItWaits(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t, "")
	ctx := context.Background()
	spec, csv := e.campaign("why-1", "24h", 1, 3)
	if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", spec, "--csv", csv, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	status := func() string {
		t.Helper()
		code, out, stderr := runCLI(t, ctx, "campaign", "status", "why-1", "-c", e.cfg)
		if code != 0 {
			t.Fatalf("status: exit %d: %s", code, stderr)
		}
		return out
	}
	if out := status(); strings.Contains(out, "deferred") {
		t.Errorf("nothing holds it, yet:\n%s", out)
	}
	if code, _, stderr := runCLI(t, ctx, "provider", "pause", "tj", "-c", e.cfg, "--reason", "credit: insufficient balance"); code != 0 {
		t.Fatalf("pause: %s", stderr)
	}
	if out := status(); !strings.Contains(out, "3 queued messages are deferred, not failing: account tj is paused (credit: insufficient balance) ('wabulk provider resume tj'") {
		t.Errorf("paused account:\n%s", out)
	}
	if code, _, stderr := runCLI(t, ctx, "provider", "resume", "tj", "-c", e.cfg); code != 0 {
		t.Fatalf("resume: %s", stderr)
	}
	if err := e.store().OpenBreaker(ctx, "tj", time.Now().Add(time.Hour), "transient failures reached 50% of sends"); err != nil {
		t.Fatal(err)
	}
	if out := status(); !strings.Contains(out, "account tj's circuit breaker is open until") {
		t.Errorf("open breaker:\n%s", out)
	}

	qs, qcsv := e.campaign("why-2", "24h", 10, 2)
	e.write("why-2.yaml", strings.Replace(mustRead(t, qs), "ttl: 24h\n", "ttl: 24h\nquiet_hours: {start: \"21:00\", end: \"08:00\"}\n", 1))
	if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", qs, "--csv", qcsv, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	if code, out, _ := runCLI(t, ctx, "campaign", "status", "why-2", "-c", e.cfg); code != 0 || !strings.Contains(out, "quiet hours 21:00–08:00 at the recipients") {
		t.Errorf("quiet hours:\n%s", out)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A pause reason with escape sequences, BEL and newlines (set through the
// API by anyone with a token) is shown escaped by campaign status and
// provider status, never sent raw to the terminal.
func TestCLIStatusEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t, "")
	ctx := context.Background()
	spec, csv := e.campaign("esc-1", "24h", 1, 1)
	if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", spec, "--csv", csv, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	evil := "\x1b[2J\x1b]0;owned\x07bye\nFAKE LINE"
	if _, err := e.store().SetCampaignState(ctx, "esc-1", store.CampaignPaused, evil); err != nil {
		t.Fatal(err)
	}
	if err := e.store().PauseAccount(ctx, "tj", evil); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"campaign", "status", "esc-1"}, {"provider", "status", "tj"}} {
		_, out, _ := runCLI(t, ctx, append(args, "-c", e.cfg)...)
		if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "\nFAKE LINE") || !strings.Contains(out, `\x1b[2J\x1b]0;owned\abye\nFAKE LINE`) {
			t.Errorf("%v printed control characters raw:\n%q", args, out)
		}
	}
}

// campaign list reads producer.ListCampaigns: state and account filters,
// newest first.
func TestCampaignListFilters(t *testing.T) {
	t.Parallel()
	e := newOpsEnv(t, "")
	ctx := context.Background()
	for _, id := range []string{"list-a", "list-b"} {
		spec, csv := e.campaign(id, "24h", 2, 1)
		if code, _, stderr := runCLI(t, ctx, "import", "-c", e.cfg, "--spec", spec, "--csv", csv, "--quiet"); code != 0 {
			t.Fatalf("import %s: %s", id, stderr)
		}
	}
	if code, _, stderr := runCLI(t, ctx, "campaign", "pause", "list-b", "-c", e.cfg); code != 0 {
		t.Fatalf("pause: %s", stderr)
	}
	code, out, stderr := runCLI(t, ctx, "campaign", "list", "--state", "paused", "-c", e.cfg)
	if code != 0 || !strings.Contains(out, "list-b") || strings.Contains(out, "list-a") || !strings.Contains(out, "paused") {
		t.Errorf("list --state paused: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, ctx, "campaign", "list", "-c", e.cfg)
	if code != 0 || !strings.Contains(out, "list-b") || !strings.Contains(out, "list-a") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, ctx, "campaign", "list", "--account", "nobody", "-c", e.cfg); code != 0 || strings.Contains(out, "list-") {
		t.Errorf("list --account nobody: exit %d\n%s", code, out)
	}
	if code, _, stderr = runCLI(t, ctx, "campaign", "list", "--state", "sleeping", "-c", e.cfg); code != 2 || !strings.Contains(stderr, "want active, paused") {
		t.Errorf("list --state sleeping: exit %d %q", code, stderr)
	}
}
