package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/store/storetest"
)

// optout add/list/remove through run(), and an import that skips the
// opted-out contact and says so.
func TestCLIOptOut(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfgPath := write("wabulk.yaml", fmt.Sprintf(`
redis: {url: "redis://%s/%d", prefix: %q}
default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: k}
`, r.Addr, r.Opt.DB, r.Prefix))
	ctx := context.Background()

	code, out, stderr := runCLI(t, ctx, "optout", "add", "tj", "0712 345 601", "--reason", "asked by phone", "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "+255712345601 opted out of tj") {
		t.Fatalf("optout add: exit %d, %q %q", code, out, stderr)
	}
	if code, out, stderr = runCLI(t, ctx, "optout", "list", "tj", "-c", cfgPath); code != 0 || out != "+255712345601\n" || !strings.Contains(stderr, "1 contact(s)") {
		t.Errorf("optout list: exit %d, %q %q", code, out, stderr)
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
		{[]string{"optout", "add", "tj"}, 2, "a provider account name and a contact"},
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
