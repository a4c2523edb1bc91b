package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// optout add/list/remove through run(), and an import that skips the
// opted-out contact and says so.
func TestCLIOptOut(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	cfgPath := write("wabulk.yaml", redisYAML(r)+`default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: k}
`)
	ctx := context.Background()

	code, out, stderr := runCLI(t, ctx, "optout", "add", "tj", "0712 345 601", "--reason", "asked by phone", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "+255712345601 opted out of tj") {
		t.Fatalf("optout add: exit %d, %q %q", code, out, stderr)
	}
	if code, out, stderr = runCLI(t, ctx, "optout", "list", "tj", "-c", cfgPath); code != 0 || out != "+255712345601\n" || !strings.Contains(stderr, "1 contact(s)") {
		t.Errorf("optout list: exit %d, %q %q", code, out, stderr)
	}
	// Contacts that stopped marketing messages (a worker records them from
	// the webhook) are listed after, marked; one opted out already is not
	// listed twice.
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	for _, c := range []string{"+255712345603", "+255712345601"} {
		if _, err := st.StopMarketingAt(ctx, "tj", c, "user_preferences stop", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, stderr = runCLI(t, ctx, "optout", "list", "tj", "-c", cfgPath); code != 0 || out != "+255712345601\n+255712345603 marketing\n" ||
		!strings.Contains(stderr, "1 contact(s) opted out of tj; 1 more stopped its marketing messages only") {
		t.Errorf("optout list with marketing stops: exit %d, %q %q", code, out, stderr)
	}
	if _, err := st.ResumeMarketingAt(ctx, "tj", "+255712345603", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ResumeMarketingAt(ctx, "tj", "+255712345601", time.Now()); err != nil {
		t.Fatal(err)
	}

	spec := write("c.yaml", "id: oo-1\naccount: tj\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n")
	csvPath := write("r.csv", "phone,name\n+255712345601,Amina\n+255712345602,Baraka\n")
	code, out, stderr = runCLI(t, ctx, "import", "-c", cfgPath, "--spec", spec, "--csv", csvPath, "--quiet")
	if code != 0 || !strings.Contains(out, "accepted  1") || !strings.Contains(out, "opted_out  1") {
		t.Errorf("import: exit %d, summary:\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.rejects.csv")); !os.IsNotExist(err) {
		t.Errorf("an opted-out row wrote a rejects file: %v", err)
	}

	if code, out, _ = runCLI(t, ctx, "optout", "remove", "tj", "+255712345601", "-c", cfgPath); code != 0 || !strings.Contains(out, "opted back in") {
		t.Errorf("optout remove: exit %d, %q", code, out)
	}
	if code, out, _ = runCLI(t, ctx, "optout", "remove", "tj", "+255712345601", "-c", cfgPath); code != 0 || !strings.Contains(out, "was not opted out") {
		t.Errorf("optout remove again: exit %d, %q", code, out)
	}
	if code, out, _ = runCLI(t, ctx, "optout", "list", "tj", "-c", cfgPath); code != 0 || out != "" {
		t.Errorf("optout list after remove: exit %d, %q", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"optout", "add", "tj"}, 2, "a provider account name and at least one contact"},
		{[]string{"optout", "add", "nope", "+255712345601"}, 1, `no provider account "nope"`},
		{[]string{"optout", "add", "tj", "12345"}, 2, "contact"},
		{[]string{"optout", "frob", "tj"}, 2, `unknown subcommand "frob"`},
	} {
		code, _, stderr := runCLI(t, ctx, append(c.args, "-c", cfgPath)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// For Taqnyat, add and remove also call its opt-in API (DELETE and POST
// /provision/optin/), here the simulator's; --local-only does not.
func TestCLIOptOutKeepsTaqnyatsListInStep(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	sim, err := simulator.New(simulator.Config{Kind: "taqnyat", APIKey: "tq-token-secret"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	dir := t.TempDir()
	config := func(name, token string) string {
		p := filepath.Join(dir, name)
		cfg := fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: SA
log: {level: error}
providers:
  - {name: tq, kind: taqnyat, base_url: %q, token: %q}
`, r.Addr, r.Opt.DB, r.Prefix, base+"/wa/v1/", token)
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noToken := config("no-token.yaml", "${WABULK_TEST_UNSET_TQ_TOKEN}")
	cfgPath := config("wabulk.yaml", "tq-token-secret")
	ctx := context.Background()
	a, b := "+966501234561", "+966501234562"

	// No token: nothing changes, and the error says why and what to do.
	code, _, stderr := runCLI(t, ctx, "optout", "add", "tq", a, "-c", noToken)
	if code == 0 || !strings.Contains(stderr, "token is required") || !strings.Contains(stderr, "--local-only") {
		t.Fatalf("add without a token: exit %d, %q", code, stderr)
	}
	if code, out, _ := runCLI(t, ctx, "optout", "list", "tq", "-c", cfgPath); code != 0 || out != "" {
		t.Fatalf("a refused add changed the list: %q", out)
	}

	code, out, stderr := runCLI(t, ctx, "optout", "add", "tq", a, "0501234562", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "tq's opt-out list updated for 2 contact(s)") {
		t.Fatalf("add: exit %d, %q %q", code, out, stderr)
	}
	for _, n := range []string{a, b} {
		if in, ins, outs := sim.TaqnyatOptIns(n); in || ins != 0 || outs != 1 {
			t.Errorf("%s at Taqnyat: opted in %v, %d opt-ins, %d opt-outs; want one opt-out", n, in, ins, outs)
		}
	}
	if code, out, _ = runCLI(t, ctx, "optout", "remove", "tq", a, "-c", cfgPath); code != 0 || !strings.Contains(out, "opt-in list updated for 1") {
		t.Fatalf("remove: exit %d, %q", code, out)
	}
	if in, ins, _ := sim.TaqnyatOptIns(a); !in || ins != 1 {
		t.Errorf("%s at Taqnyat after remove: opted in %v, %d opt-ins; want opted in", a, in, ins)
	}
	if code, out, _ = runCLI(t, ctx, "optout", "list", "tq", "-c", cfgPath); code != 0 || out != b+"\n" {
		t.Errorf("list: exit %d, %q; want only %s", code, out, b)
	}
	if code, _, _ = runCLI(t, ctx, "optout", "remove", "tq", b, "--local-only", "-c", cfgPath); code != 0 {
		t.Fatalf("remove --local-only: exit %d", code)
	}
	if _, ins, _ := sim.TaqnyatOptIns(b); ins != 0 {
		t.Errorf("--local-only called Taqnyat: %d opt-ins", ins)
	}

	// Taqnyat down: wabulk's list changes, the command fails and says so,
	// without the token.
	_ = sim.Close()
	code, _, stderr = runCLI(t, ctx, "optout", "add", "tq", b, "-c", cfgPath)
	if code == 0 || !strings.Contains(stderr, "wabulk's list is changed, but tq's opt-out API failed") || strings.Contains(stderr, "tq-token-secret") {
		t.Errorf("add with Taqnyat down: exit %d, %q", code, stderr)
	}
	if _, out, _ := runCLI(t, ctx, "optout", "list", "tq", "-c", cfgPath); out != b+"\n" {
		t.Errorf("list after a failed provider call: %q, want %s listed", out, b)
	}
}
