package simulator_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
)

// What `wabulk provider check` concludes of each kind's account, over real
// HTTP: the simulator answers the call each adapter's Check makes
// (decisiontelecom's receive-whatsapp, meta's phone number node, socnet's
// Authentication method, tujenge's stickerpacks); kinds whose provider
// documents no such call (modica, taqnyat) are only reached.
var checkVerdicts = map[string]struct{ right, wrongKey providers.Verdict }{
	"decisiontelecom": {providers.VerdictWorks, providers.VerdictWrongCredentials},
	"meta":            {providers.VerdictWorks, providers.VerdictWrongCredentials},
	"socnet":          {providers.VerdictWorks, providers.VerdictWrongCredentials},
	"tujenge":         {providers.VerdictWorks, providers.VerdictWrongCredentials},
	"modica":          {providers.VerdictReachable, providers.VerdictReachable},
	"taqnyat":         {providers.VerdictReachable, providers.VerdictReachable},
}

func TestProviderCheckAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	for _, k := range providers.Kinds() {
		want, ok := checkVerdicts[k.Name]
		if !ok {
			t.Errorf("kind %s: no expected check verdict", k.Name)
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			_, key := k.Simulated("")
			sim, err := simulator.New(simulator.Config{Kind: k.Name, APIKey: key})
			if err != nil {
				t.Fatal(err)
			}
			root, err := sim.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sim.Close() })
			acct, _ := k.Simulated(root)
			ctx := context.Background()

			got := providers.CheckAccount(ctx, k, acct)
			if got.Verdict != want.right || got.URL != acct.BaseURL {
				t.Errorf("right credentials: %+v, want %q at %s", got, want.right, acct.BaseURL)
			}
			_, checks := mustNew(t, k, acct).(providers.Checker)
			if !checks && !strings.Contains(got.Detail, "credentials not checked") {
				t.Errorf("a kind without a check call must say what it did not check: %q", got.Detail)
			}

			wrong := withWrongSecrets(k, acct)
			got = providers.CheckAccount(ctx, k, wrong)
			t.Logf("wrong credentials: %s: %s", got.Verdict, got.Detail)
			if got.Verdict != want.wrongKey {
				t.Errorf("wrong credentials: %+v, want %q", got, want.wrongKey)
			}
			if strings.Contains(got.Detail, "wrong-") {
				t.Errorf("the detail shows a credential: %q", got.Detail)
			}
			if st := sim.Stats(); st.Accepted != 0 {
				t.Errorf("checks sent %d messages", st.Accepted)
			}
		})
	}
}

// A base_url where the provider's API does not answer (a web server's own
// 404 page) is a wrong URL for every kind that can tell; a port nothing
// listens on is unreachable for every kind.
func TestProviderCheckWrongURLAndUnreachable(t *testing.T) {
	t.Parallel()
	notAPI := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notAPI.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	_ = ln.Close()
	ctx := context.Background()
	for _, k := range providers.Kinds() {
		acct, _ := k.Simulated(notAPI.URL)
		want := providers.VerdictWrongURL
		if _, checks := mustNew(t, k, acct).(providers.Checker); !checks {
			want = providers.VerdictReachable // a 404 is an answer: reached, nothing more known
		}
		if got := providers.CheckAccount(ctx, k, acct); got.Verdict != want {
			t.Errorf("%s at a server that is not its API: %+v, want %q", k.Name, got, want)
		}
		acct, _ = k.Simulated(closed)
		got := providers.CheckAccount(ctx, k, acct)
		if got.Verdict != providers.VerdictUnreachable || got.Verdict.OK() || !strings.Contains(got.Detail, "refused") {
			t.Errorf("%s at a closed port: %+v, want unreachable (connection refused)", k.Name, got)
		}
	}
}

func mustNew(t *testing.T, k *providers.Kind, a providers.AccountConfig) providers.Provider {
	t.Helper()
	p, err := k.New(a)
	if err != nil {
		t.Fatalf("%s: New: %v", k.Name, err)
	}
	return p
}

// withWrongSecrets is a with every secret field of its kind replaced.
func withWrongSecrets(k *providers.Kind, a providers.AccountConfig) providers.AccountConfig {
	out := a
	out.Settings = map[string]string{}
	for name, v := range a.Settings {
		if f, ok := k.Field(name); ok && f.Secret {
			v = "wrong-" + name + "-0123456789abcdef0123456789"
		}
		out.Settings[name] = v
	}
	return out
}
