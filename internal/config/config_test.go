package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/receipts"
)

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
		{"embedded off loopback", good + "redis: {url: embedded, listen: \"0.0.0.0:6380\"}\n", "loopback only"},
		{"no providers", "redis: {url: embedded}\n", "at least one provider account is required"},
		{"duplicate names", "providers:\n  - {name: a, kind: tujenge, api_key: x}\n  - {name: a, kind: tujenge, api_key: y}\n", "name is used twice"},
		{"meta without phone number id", "providers:\n  - {name: m, kind: meta, token: t}\n", "phone_number_id is required for kind meta"},
		{"decisiontelecom without source", "providers:\n  - {name: d, kind: decisiontelecom, api_key: k}\n", "source is required for kind decisiontelecom"},
		{"bad lane", good + "worker:\n  queues: {urgent: 3}\n", `unknown lane "urgent"`},
		{"bad redis url", good + "redis: {url: \"http://x\"}\n", "redis.url"},
		{"bad base_url", "providers:\n  - {name: a, kind: tujenge, api_key: x, base_url: \"waba.example\"}\n", "must be an absolute http(s) URL"},
		{"short path token", "providers:\n  - {name: dt, kind: decisiontelecom, api_key: k, source: s, webhook_path_token: \"s3cret-but-short\"}\n",
			"providers[0] (dt): webhook_path_token must be at least 32 letters, digits, '-', '.', '_' or '~' (it has 16 characters; e.g. openssl rand -hex 32)"},
		{"path token with a slash", "providers:\n  - {name: dt, kind: decisiontelecom, api_key: k, source: s, webhook_path_token: \"0123456789abcdef/0123456789abcdef\"}\n",
			"webhook_path_token must be at least 32 letters, digits"},
		{"decisiontelecom host alone", "providers:\n  - {name: dt, kind: decisiontelecom, api_key: k, source: s, base_url: \"https://api.example\"}\n",
			`providers[0] (dt): base_url "https://api.example" must end in /v1/api for kind decisiontelecom (e.g. https://web.it-decision.com/v1/api)`},
		{"taqnyat host alone", "providers:\n  - {name: tq, kind: taqnyat, token: t, base_url: \"https://api.taqnyat.sa\"}\n",
			`providers[0] (tq): base_url "https://api.taqnyat.sa" must end in /wa/v1 for kind taqnyat (e.g. https://api.taqnyat.sa/wa/v1/)`},
		{"socnet without api.php", "providers:\n  - {name: sn, kind: socnet, api_key: k, base_url: \"https://www.socnetsolutions.com\"}\n",
			`providers[0] (sn): base_url "https://www.socnetsolutions.com" must end in /api.php for kind socnet`},
		{"tujenge with the endpoint", "providers:\n  - {name: tj, kind: tujenge, api_key: k, base_url: \"https://waba.tujenge.io/v1/messages\"}\n",
			`providers[0] (tj): base_url "https://waba.tujenge.io/v1/messages" must not end in /v1/messages (wabulk adds the endpoint's path itself) for kind tujenge (e.g. https://waba.tujenge.io)`},
		{"modica with half the endpoint", "providers:\n  - {name: md, kind: modica, username: u, base_url: \"https://api.modicagroup.com/rest/\"}\n",
			`providers[0] (md): base_url "https://api.modicagroup.com/rest/" must not end in /rest (wabulk adds`},
		{"meta with the endpoint", "providers:\n  - {name: mt, kind: meta, token: t, phone_number_id: \"1\", base_url: \"https://graph.facebook.com/v21.0/1/messages\"}\n",
			`providers[0] (mt): base_url "https://graph.facebook.com/v21.0/1/messages" must not end in /messages`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), lookup)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
	// Credentials: only the commands that send need them.
	noKey, err := Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: \"${UNSET_KEY}\"}\n"), lookup)
	if err != nil {
		t.Fatalf("a config whose credential is unset must load for import/campaign: %v", err)
	}
	if err := noKey.RequireCredentials(); err == nil || !strings.Contains(err.Error(), "api_key is required for kind tujenge (environment variable UNSET_KEY is not set)") {
		t.Errorf("RequireCredentials = %v", err)
	}
	modica, err := Parse([]byte("providers:\n  - {name: m, kind: modica, username: u}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if err := modica.RequireCredentials(); err == nil || !strings.Contains(err.Error(), "password is required for kind modica") {
		t.Errorf("modica without a password: RequireCredentials = %v", err)
	}
	// ${VAR:-default} in a number field is a number.
	num, err := Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: x}\nworker: {concurrency: \"${UNSET_N:-7}\"}\n"), lookup)
	if err != nil || num.Worker.Concurrency != 7 {
		t.Errorf("concurrency from ${UNSET_N:-7}: %v, %v", num, err)
	}
	if got := RedactURL("redis://user:s3cr%zzet@host:6379/0"); strings.Contains(got, "s3cr") {
		t.Errorf("redactURL leaks a password from an unparsable URL: %s", got)
	}
	cfg, err := Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: \"${KEY}\", rate: 50}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	if p.Setting("api_key") != "s3cret-value" || p.Burst != 5 || cfg.Redis.URL != "embedded" || cfg.Redis.Prefix != "wabulk:" {
		t.Errorf("expanded/defaulted config = %+v", cfg)
	}
	if s := fmt.Sprintf("%v %+v %#v", p, p, p); strings.Contains(s, "s3cret") {
		t.Errorf("the API key leaks through fmt: %s", s)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	t.Setenv("TUJENGE_API_KEY", "k")
	if _, err := Load("../../examples/wabulk.yaml"); err != nil {
		t.Fatal(err)
	}
}

// Each schedule problem is named with its job, all at once.
func TestScheduleConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	audience := filepath.Join(dir, "patients.csv")
	if err := os.WriteFile(audience, []byte("phone,name\n+255712345601,Amina\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf(`
providers:
  - {name: tj, kind: tujenge, api_key: x}
schedules:
  - id: ok
    cron: "0 9 * * MON-FRI"
    timezone: Africa/Dar_es_Salaam
    account: tj
    audience: %[1]q
    message: {template: {name: appointment_reminder, language: en, body: ["{{name}}"]}}
    ttl: 2h
    quiet_hours: {start: "21:00", end: "08:00"}
  - id: bad-cron
    cron: "0 25 * * *"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
  - id: bad-zone
    cron: "0 9 * * *"
    timezone: Africa/Dar
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
  - id: bad-account
    cron: "0 9 * * *"
    account: tujenge-main
    audience: %[1]q
    message: {text: {body: hi}}
  - id: no-file
    cron: "0 9 * * *"
    account: tj
    audience: %[2]q
    message: {text: {body: hi}}
  - id: bad-quiet
    cron: "0 9 * * *"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
    quiet_hours: {start: "21:00", end: "8am"}
  - id: ok
    cron: "@every 1h"
    account: tj
    audience: %[1]q
    message: {text: {body: hi}}
`, audience, filepath.Join(dir, "missing.csv"))
	cfg, err := Parse([]byte(cfgText), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the schedules are checked by the scheduler, not at load: %v", err)
	}
	_, err = cfg.ScheduleJobs()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`schedules[1] (bad-cron): cron "0 25 * * *"`,
		`schedules[2] (bad-zone): timezone "Africa/Dar" is not a known IANA time zone`,
		`schedules[3] (bad-account): account: no provider account "tujenge-main" in the config (have: tj)`,
		`schedules[4] (no-file): audience: open ` + filepath.Join(dir, "missing.csv"),
		`schedules[5] (bad-quiet): quiet_hours.end: "8am"`,
		`schedules[6] (ok): id is used twice`,
		`schedules[6] (ok): cron "@every 1h": @every is not supported`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "schedules[0]") {
		t.Errorf("the good job is blamed:\n%v", err)
	}
	// A misspelt field is an error at load, with its line.
	_, err = Parse([]byte("providers:\n  - {name: tj, kind: tujenge, api_key: x}\nschedules:\n  - id: x\n    crn: \"0 9 * * *\"\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `line 5: unknown field "crn"`) {
		t.Errorf("misspelt field: %v", err)
	}
}

func TestPollConfig(t *testing.T) {
	t.Parallel()
	const dt = "providers:\n  - {name: d, kind: decisiontelecom, api_key: k, source: S"
	for _, c := range []struct{ name, yaml, want string }{
		{"negative rate", dt + ", poll_rate: -1}\n", "poll_rate -1: want a positive number of status requests per second"},
		{"max age off", dt + ", poll_max_age: \"off\"}\n", "poll_max_age cannot be off"},
		{"bad max age", dt + ", poll_max_age: soon}\n", `"soon" is not a duration`},
		{"not a polled kind", "providers:\n  - {name: a, kind: tujenge, api_key: x, poll_rate: 5}\n",
			"poll_rate and poll_max_age are for kinds whose statuses are polled (decisiontelecom); kind tujenge pushes its receipts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}

}

// Each account's window policy: its own when set, else its kind's default
// (enforce where the provider delivers inbound messages, provider where it
// does not); a wrong value names the choices and the default.
func TestWindowConfig(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	cfg, err := Parse([]byte(`providers:
  - {name: tj, kind: tujenge, api_key: x}
  - {name: tq, kind: taqnyat, token: x}
  - {name: mo, kind: modica, username: u, password: p}
  - {name: me, kind: meta, token: x, phone_number_id: "1"}
  - {name: sn, kind: socnet, api_key: x}
  - {name: dt, kind: decisiontelecom, api_key: x, source: S}
  - {name: mo-no-mo, kind: modica, username: u, password: p, window: provider}
  - {name: sn-strict, kind: socnet, api_key: x, window: enforce}
`), none)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]providers.WindowPolicy{"tj": "enforce", "tq": "enforce", "mo": "enforce", "me": "enforce",
		"sn": "provider", "dt": "provider", "mo-no-mo": "provider", "sn-strict": "enforce"}
	got := map[string]providers.WindowPolicy{}
	for i := range cfg.Providers {
		got[cfg.Providers[i].Name] = cfg.Providers[i].WindowPolicy()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("window policies (-want +got):\n%s", diff)
	}
	_, err = Parse([]byte("providers:\n  - name: s\n    kind: socnet\n    api_key: x\n    window: off\n"), none)
	if want := `line 5: providers[0] (s): window "off": want enforce or provider (leave it unset for kind socnet's default, provider)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("window: off: error = %v, want it to contain %q", err, want)
	}
}

func TestWebhookConfig(t *testing.T) {
	t.Parallel()
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{"HOOK": "hook-s3cret", "VT": "vt-s3cret"}[k]
		return v, ok
	}
	cfg, err := Parse([]byte(`
providers:
  - {name: tj, kind: tujenge, api_key: k, webhook_secret_header: X-Webhook-Secret, webhook_secret: "${HOOK}"}
  - {name: md, kind: modica, username: u, password: p, webhook_user: hooks, webhook_password: "${UNSET_HOOK_PASSWORD}"}
  - {name: mt, kind: meta, token: t, phone_number_id: "1", app_secret: a, verify_token: "${VT}"}
  - {name: tq, kind: taqnyat, token: t, webhook_insecure: true}
`), lookup)
	if err != nil {
		t.Fatalf("a config whose webhook credential is unset must still load: %v", err)
	}
	if cfg.Serve.Listen != "127.0.0.1:8080" {
		t.Errorf("serve.listen defaults to %q", cfg.Serve.Listen)
	}
	tj, md, mt, tq := cfg.Providers[0], cfg.Providers[1], cfg.Providers[2], cfg.Providers[3]
	if tj.WebhookSecretHeader != "X-Webhook-Secret" || tj.WebhookSecret.Reveal() != "hook-s3cret" || md.WebhookUser != "hooks" ||
		md.WebhookPassword.Reveal() != "" || mt.Setting("verify_token") != "vt-s3cret" || !tq.WebhookInsecure {
		t.Errorf("webhook fields: %+v", cfg.Providers)
	}
	if s := fmt.Sprintf("%v %+v %#v", cfg.Providers, cfg.Providers, cfg.Providers); strings.Contains(s, "s3cret") {
		t.Errorf("a webhook secret leaks through fmt: %s", s)
	}
	good := "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"verify_token off meta", "providers:\n  - {name: a, kind: tujenge, verify_token: v}\n", `unknown field "verify_token" for kind tujenge (its own fields: api_key, namespace; examples/wabulk.yaml lists every field); verify_token is a field of kind meta`},
		{"app_secret off meta", "providers:\n  - {name: a, kind: modica, username: u, app_secret: s}\n", `line 2: providers[0] (a): unknown field "app_secret" for kind modica`},
		{"bad header name", "providers:\n  - {name: a, kind: tujenge, webhook_secret_header: \"X Secret\"}\n", `webhook_secret_header "X Secret" is not an HTTP header name`},
		{"colon in webhook_user", "providers:\n  - {name: a, kind: tujenge, webhook_user: \"a:b\"}\n", "webhook_user must not contain ':'"},
		{"bad listen", good + "serve: {listen: \"8080\"}\n", `serve.listen "8080": want host:port`},
		{"unknown serve field", good + "serve: {port: 8080}\n", `line 3: unknown field "port"`},
	} {
		if _, err := Parse([]byte(c.yaml), lookup); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// A kind's own fields are the kind's: a number is read as its text, a
// misspelt one is named with its line and the fields the kind takes.
func TestProviderFieldsAreTheKinds(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	cfg, err := Parse([]byte("providers:\n  - name: m\n    kind: meta\n    token: t\n    phone_number_id: 109876543210987\n"), none)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Providers[0].Account().Get("phone_number_id"); got != "109876543210987" {
		t.Errorf("phone_number_id = %q", got)
	}
	_, err = Parse([]byte("providers:\n  - name: d\n    kind: decisiontelecom\n    api_kye: k\n    source: S\n"), none)
	want := `line 4: providers[0] (d): unknown field "api_kye" for kind decisiontelecom (its own fields: api_key, source, callback_url; examples/wabulk.yaml lists every field); did you mean api_key?`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("misspelt field: %v, want it to contain %q", err, want)
	}
	// Only the kind's Secret fields may stay unset: a ${VAR} elsewhere must be set.
	_, err = Parse([]byte("providers:\n  - {name: d, kind: decisiontelecom, api_key: k, source: \"${UNSET_SOURCE}\"}\n"), none)
	if err == nil || !strings.Contains(err.Error(), "line 2: environment variable UNSET_SOURCE is not set") {
		t.Errorf("unset non-secret field: %v", err)
	}
}

// Mistakes around a kind's fields are named at their line, with the field
// meant when it is close.
func TestProviderFieldMistakes(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	for _, c := range []struct{ name, yaml, want string }{
		{"misspelt kind key", "providers:\n  - name: a\n    knd: tujenge\n    api_key: x\n",
			`line 3: providers[0] (a): unknown field "knd"; did you mean kind?`},
		{"no kind", "providers:\n  - name: a\n    api_key: x\n", "providers[0] (a): kind is required (known: decisiontelecom"},
		{"shared field typo", "providers:\n  - name: a\n    kind: tujenge\n    api_key: x\n    rat: 5\n",
			`line 5: providers[0] (a): unknown field "rat" for kind tujenge (its own fields: api_key, namespace; examples/wabulk.yaml lists every field); did you mean rate?`},
		{"list value", "providers:\n  - name: a\n    kind: tujenge\n    api_key: x\n    queus: [a, b]\n",
			"line 5: want a single value here, not a list or a map"},
	} {
		_, err := Parse([]byte(c.yaml), none)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

// A shutdown shorter than the slowest send is a problem for the processes
// that send only: the file loads (serve, import and campaign use it), and
// ValidateSending names the file and the fields.
func TestShutdownTimeoutIsCheckedWhereMessagesAreSent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wabulk.yaml")
	body := "providers:\n  - {name: a, kind: tujenge, api_key: x, timeout: 20s}\nworker: {shutdown_timeout: 10s, max_limiter_wait: 2s}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load refused a config only senders must refuse: %v", err)
	}
	want := path + ": worker.shutdown_timeout 10s is shorter than the slowest provider timeout (20s) plus worker.max_limiter_wait (2s): a shutdown would cut sends off mid-request"
	if err := cfg.ValidateSending(); err == nil || err.Error() != want {
		t.Errorf("ValidateSending = %v\nwant %s", err, want)
	}

	// The defaults (30s shutdown, 15s timeout, 5s limiter wait) fit.
	ok, err := Parse([]byte("providers:\n  - {name: a, kind: tujenge, api_key: x}\n"), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := ok.ValidateSending(); err != nil {
		t.Errorf("defaults: ValidateSending = %v", err)
	}
	// A config built in code has no file to name.
	ok.Providers[0].Timeout = Duration(time.Minute)
	if err := ok.ValidateSending(); err == nil || !strings.HasPrefix(err.Error(), "worker.shutdown_timeout 30s is shorter than the slowest provider timeout (1m0s)") {
		t.Errorf("built in code: ValidateSending = %v", err)
	}
}

// Each kind's base_url in the form its rule asks for loads, trailing slash
// or not, with a base path where the provider allows one.
func TestBaseURLFormsThatLoad(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"{name: dt, kind: decisiontelecom, api_key: k, source: s, base_url: \"https://web.it-decision.com/v1/api/\"}",
		"{name: dt, kind: decisiontelecom, api_key: k, source: s, base_url: \"http://127.0.0.1:8089/v1/api\"}",
		"{name: tq, kind: taqnyat, token: t, base_url: \"https://api.taqnyat.sa/wa/v1\"}",
		"{name: sn, kind: socnet, api_key: k, base_url: \"https://www.socnetsolutions.com/projects/bulk/whatsapp/api.php\"}",
		"{name: tj, kind: tujenge, api_key: k, base_url: \"https://gw.example/tenant-7/\"}",
		"{name: md, kind: modica, username: u, base_url: \"https://api.modicagroup.com\"}",
		"{name: md, kind: modica, username: u, base_url: \"https://api.modicagroup.com/rest/gateway/messages\"}", // the adapter strips it
		"{name: tj, kind: tujenge, api_key: k, base_url: \"https://waba.tujenge.io/v1\"}",                        // the adapter strips it
		"{name: mt, kind: meta, token: t, phone_number_id: \"1\", base_url: \"https://graph.facebook.com/v21.0\"}",
	} {
		if _, err := Parse([]byte("providers:\n  - "+line+"\n"), os.LookupEnv); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

// webhook_path_token is a credential: a ${VAR} left unset loads (import and
// campaign never serve webhooks), and the config's limit is the receiver's.
func TestWebhookPathToken(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("providers:\n  - {name: dt, kind: decisiontelecom, api_key: k, source: s, webhook_path_token: \"${UNSET_PATH_TOKEN}\"}\n"), os.LookupEnv)
	if err != nil {
		t.Fatalf("an unset path token must load: %v", err)
	}
	if got := cfg.UnsetCredentials(); len(got) != 1 || got[0] != "UNSET_PATH_TOKEN" {
		t.Errorf("unset credentials %v", got)
	}
	tok := strings.Repeat("a1", 16)
	cfg, err = Parse([]byte("providers:\n  - {name: dt, kind: decisiontelecom, api_key: k, source: s, webhook_path_token: \""+tok+"\"}\n"), os.LookupEnv)
	if err != nil || cfg.Providers[0].WebhookPathToken.Reveal() != tok {
		t.Fatalf("a 32-character token: %v", err)
	}
	if minPathToken != receipts.MinPathToken {
		t.Errorf("the config takes path tokens of %d characters, the receiver %d", minPathToken, receipts.MinPathToken)
	}
}

func TestAPITokenRoles(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FULL": "full-token-0123456789", "VIEW": "view-token-0123456789"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	good := "providers:\n  - {name: a, kind: tujenge, api_key: x}\n"
	cfg, err := Parse([]byte(good+"serve:\n  api_tokens:\n    - ${FULL}\n    - {token: \"${VIEW}\", role: read-only}\n    - {token: \"${UNSET_TOKEN}\", role: read-only}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	full, ro := cfg.Serve.TokensByRole()
	if diff := cmp.Diff([]string{"full-token-0123456789"}, full); diff != "" {
		t.Errorf("full tokens (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"view-token-0123456789"}, ro); diff != "" {
		t.Errorf("read-only tokens (-want +got):\n%s", diff)
	}
	if !cfg.Serve.ConsoleOn() {
		t.Error("console off with tokens set and no serve.console")
	}
	if got := cfg.UnsetCredentials(); len(got) != 1 || got[0] != "UNSET_TOKEN" {
		t.Errorf("unset credentials %v, want [UNSET_TOKEN]", got)
	}
	off, err := Parse([]byte(good+"serve:\n  console: false\n  api_tokens: [\"${FULL}\"]\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if off.Serve.ConsoleOn() {
		t.Error("console on with serve.console: false")
	}
	for name, c := range map[string]struct{ yaml, want string }{
		"bad role":      {"serve:\n  api_tokens:\n    - {token: \"${VIEW}\", role: admin}\n", `role "admin": want full or read-only`},
		"unknown field": {"serve:\n  api_tokens:\n    - {tokn: \"${VIEW}\"}\n", `line 5: unknown field "tokn" in an api_tokens entry`},
		"short":         {"serve:\n  api_tokens:\n    - {token: short, role: read-only}\n", "at least 16 characters"},
	} {
		_, err := Parse([]byte(good+c.yaml), lookup)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}
