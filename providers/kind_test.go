package providers_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/wabulk/wabulk/providers"
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
)

// TestKindsSayWhatTheirAdaptersDo holds each registry entry against its
// adapter: the entry is what config, serve and the simulator trust.
func TestKindsSayWhatTheirAdaptersDo(t *testing.T) {
	want := []string{"decisiontelecom", "meta", "modica", "socnet", "taqnyat", "tujenge"}
	if got := providers.KindNames(); !slices.Equal(got, want) {
		t.Fatalf("registered kinds = %v, want %v", got, want)
	}
	for _, k := range providers.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			if k.Title == "" || k.BaseURL.Means == "" {
				t.Errorf("Title and BaseURL.Means must be set")
			}
			if u, err := url.Parse(k.BaseURL.Default); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("BaseURL.Default %q is not an absolute https URL", k.BaseURL.Default)
			}
			seen := map[string]bool{}
			for _, f := range k.Fields {
				if seen[f.Name] || f.Name == "" || f.Help == "" {
					t.Errorf("field %q: names must be unique and set, with help", f.Name)
				}
				seen[f.Name] = true
			}
			acct, key := k.Simulated("http://127.0.0.1:9")
			if key == "" {
				t.Errorf("Simulated gives no simulator credential")
			}
			if k.BaseURL.Rule() == "" {
				t.Errorf("BaseURL has no rule: a wrong base_url would pass the config and 404 on every send")
			}
			for _, u := range []string{k.BaseURL.Default, acct.BaseURL} {
				if pu, err := url.Parse(u); err != nil || k.BaseURL.CheckForm(pu) != nil {
					t.Errorf("base_url %q breaks the kind's own rule (%s)", u, k.BaseURL.Rule())
				}
			}
			for _, f := range k.Fields {
				if f.Required && acct.Get(f.Name) == "" {
					t.Errorf("Simulated account lacks required field %s", f.Name)
				}
			}
			for name := range acct.Settings {
				if _, ok := k.Field(name); !ok {
					t.Errorf("Simulated account sets %q, which is no field of the kind", name)
				}
			}
			p, err := k.New(acct)
			if err != nil {
				t.Fatalf("New(Simulated account): %v", err)
			}
			_, polls := p.(providers.StatusPoller)
			if polls != (k.Receipts == providers.ReceiptsPoll) {
				t.Errorf("adapter is a StatusPoller: %v, but Receipts is %q", polls, k.Receipts)
			}
			_, parses := p.(providers.CallbackParser)
			if parses != (len(k.Webhook) > 0) {
				t.Errorf("adapter parses callbacks: %v, but Webhook lists %v", parses, k.Webhook)
			}
			auth, signs := p.(providers.CallbackAuthenticator)
			if signs != slices.Contains(k.Webhook, providers.WebhookSigned) {
				t.Errorf("adapter authenticates callbacks itself: %v, but Webhook lists %v", signs, k.Webhook)
			}
			if signs && auth.CallbackAuth() != "" {
				t.Errorf("adapter without a secret says it authenticates callbacks: %s", auth.CallbackAuth())
			}
			if _, reg := p.(providers.OptInRegistry); reg != k.OptInList {
				t.Errorf("adapter keeps an opt-in list: %v, but OptInList is %v", reg, k.OptInList)
			}
			if signed := slices.Contains(k.Webhook, providers.WebhookSigned); signed != (k.SigningSecret != "") {
				t.Errorf("SigningSecret %q, but Webhook lists %v", k.SigningSecret, k.Webhook)
			}
			for _, f := range []string{k.SigningSecret, k.HandshakeToken} {
				if fd, ok := k.Field(f); f != "" && (!ok || !fd.Secret) {
					t.Errorf("%q is no secret field of the kind", f)
				}
			}
			if k.SigningSecret != "" {
				signed := acct
				signed.Settings = map[string]string{k.SigningSecret: "s"}
				for n, v := range acct.Settings {
					signed.Settings[n] = v
				}
				p, err := k.New(signed)
				if err != nil {
					t.Fatal(err)
				}
				if a, ok := p.(providers.CallbackAuthenticator); !ok || a.CallbackAuth() == "" {
					t.Errorf("an account with %s set does not authenticate its callbacks", k.SigningSecret)
				}
			}
			if k.Receipts == providers.ReceiptsNone && len(k.Webhook) > 0 {
				t.Errorf("a kind without receipts lists webhook authentication %v", k.Webhook)
			}
			for _, f := range k.Fields {
				if !f.Required {
					continue
				}
				missing := providers.AccountConfig{BaseURL: acct.BaseURL, Settings: map[string]string{}}
				for n, v := range acct.Settings {
					if n != f.Name {
						missing.Settings[n] = v
					}
				}
				if _, err := k.New(missing); err == nil {
					t.Errorf("New without required %s succeeded", f.Name)
				}
			}
		})
	}
}

func TestLookupKindNamesTheKnownOnes(t *testing.T) {
	if _, err := providers.LookupKind("tujenge"); err != nil {
		t.Fatal(err)
	}
	_, err := providers.LookupKind("twilio")
	if err == nil || err.Error() != `unknown provider kind "twilio" (known: decisiontelecom, meta, modica, socnet, taqnyat, tujenge)` {
		t.Fatalf("LookupKind(twilio) error = %v", err)
	}
}

func TestBaseURLCheckForm(t *testing.T) {
	t.Parallel()
	dt := providers.BaseURL{Suffix: "/v1/api"}
	tj := providers.BaseURL{NotSuffixes: []string{"/v1/messages", "/v1"}}
	tests := []struct {
		rule providers.BaseURL
		url  string
		want string // the error; "" for none
	}{
		{dt, "https://web.it-decision.com/v1/api", ""},
		{dt, "https://web.it-decision.com/v1/api/", ""},
		{dt, "https://proxy.example/dt/v1/api", ""},
		{dt, "https://web.it-decision.com", "must end in /v1/api"},
		{dt, "https://web.it-decision.com/v1/api/send-whatsapp", "must end in /v1/api"},
		{dt, "https://web.it-decision.com/xv1/api", "must end in /v1/api"},
		{tj, "https://waba.tujenge.io", ""},
		{tj, "https://gw.example/tenant/", ""},
		{tj, "https://waba.tujenge.io/v1/messages/", "must not end in /v1/messages (wabulk adds the endpoint's path itself)"},
		{tj, "https://waba.tujenge.io/v1", "must not end in /v1 (wabulk adds the endpoint's path itself)"},
		{tj, "https://waba.tujenge.io/xv1", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := tt.rule.CheckForm(u); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%+v.CheckForm(%s) = %q, want %q", tt.rule, tt.url, got, tt.want)
		}
	}
	if got, want := tj.Rule(), "must not end in /v1/messages or /v1 (wabulk adds the endpoint's path itself)"; got != want {
		t.Errorf("Rule() = %q, want %q", got, want)
	}
}
