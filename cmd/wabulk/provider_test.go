package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers/simulator"
)

// startSim starts a simulator of kind expecting key and returns its root.
func startSim(t *testing.T, kind, key string) string {
	t.Helper()
	sim, err := simulator.New(simulator.Config{Kind: kind, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	root, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return root
}

// `wabulk provider check` against the simulators, over real HTTP: one
// line of verdict per account, exit 1 when one fails, 0 for one that works.
func TestProviderCheck(t *testing.T) {
	t.Parallel()
	tj := startSim(t, "tujenge", "tj-key")
	sn := startSim(t, "socnet", "sn-key-0123456789abcdef0123456789")
	dt := startSim(t, "decisiontelecom", "dt-key")
	tq := startSim(t, "taqnyat", "tq-token")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()
	cfg := writeConfig(t, fmt.Sprintf(`
log: {level: error}
providers:
  - {name: tj, kind: tujenge, base_url: %q, api_key: "${CHECK_TEST_TJ_KEY:-tj-key}"}
  - {name: sn, kind: socnet, base_url: "%s/projects/bulk/whatsapp/api.php", api_key: not-the-key}
  - {name: dt, kind: decisiontelecom, base_url: "%s/v1/api", api_key: dt-key, source: wabulk}
  - {name: tq, kind: taqnyat, base_url: "%s/wa/v1/", token: tq-token}
  - {name: gone, kind: tujenge, base_url: %q, api_key: k}
`, tj, sn, dt, tq, closed))

	code, out, stderr := runCLI(t, context.Background(), "provider", "check", "-c", cfg)
	if code != 1 || !strings.Contains(stderr, "2 of 5 account(s) failed the check: sn, gone") {
		t.Errorf("exit %d, stderr %q; want 1 naming sn and gone", code, stderr)
	}
	for _, want := range []string{
		"tj (tujenge): works\n    " + tj + ": the provider accepted the credentials\n",
		"sn (socnet): wrong credentials\n    " + sn + "/projects/bulk/whatsapp/api.php: account error 401: Invalid user credentials\n",
		"dt (decisiontelecom): works\n",
		"tq (taqnyat): reachable\n    " + tq + "/wa/v1/: the server answered HTTP 404; credentials not checked",
		"gone (tujenge): unreachable\n    " + closed + ": connection failed: dial tcp " + strings.TrimPrefix(closed, "http://") + ": connect: connection refused\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not-the-key") {
		t.Errorf("output shows a credential:\n%s", out)
	}

	if code, out, stderr := runCLI(t, context.Background(), "provider", "check", "tj", "-c", cfg); code != 0 || !strings.HasPrefix(out, "tj (tujenge): works\n") || strings.Contains(out, "sn (") {
		t.Errorf("check tj: exit %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), "provider", "check", "nope", "-c", cfg); code != 1 || !strings.Contains(stderr, `no provider account "nope"`) {
		t.Errorf("check nope: exit %d, %q", code, stderr)
	}
	unset := writeConfig(t, "providers:\n  - {name: tj, kind: tujenge, base_url: \""+tj+"\", api_key: \"${CHECK_TEST_UNSET_KEY}\"}\n")
	if code, out, _ := runCLI(t, context.Background(), "provider", "check", "-c", unset); code != 1 ||
		!strings.Contains(out, "tj (tujenge): wrong credentials\n    not set: providers[0] (tj): api_key is required for kind tujenge (environment variable CHECK_TEST_UNSET_KEY is not set)") {
		t.Errorf("unset key: exit %d, %q", code, out)
	}
}

// `wabulk provider kinds` says each kind's base_url rule and what
// `provider check` can verify for it.
func TestProviderKindsSayTheRules(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, context.Background(), "provider", "kinds")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"      checked at start: must end in /v1/api\n    provider check: base_url and credentials",
		"      checked at start: must end in /wa/v1\n    provider check: reaches base_url only",
		"      checked at start: must end in /api.php\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
