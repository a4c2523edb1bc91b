package receipts

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wabulk/wabulk/providers"
)

// nopParser is a CallbackParser with no authentication of its own.
type nopParser struct{}

func (nopParser) ParseCallback(http.Header, []byte) ([]providers.Event, error) { return nil, nil }

// FuzzSecretHeader: a shared-secret header passes exactly when it carries
// the configured value, byte for byte.
func FuzzSecretHeader(f *testing.F) {
	f.Add("s3cret-value", "s3cret-value")
	f.Add("s3cret-value", "s3cret-valu")
	f.Add("s3cret-value", "S3CRET-VALUE")
	f.Add("s3cret-value", "s3cret-value ")
	f.Add("s3cret-value", "")
	f.Fuzz(func(t *testing.T, secret, got string) {
		a, err := checkAccount("acct", Account{Parser: nopParser{}, SecretHeader: "X-Webhook-Secret", SecretValue: secret})
		if err != nil {
			return // an empty secret is a configuration error
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acct", nil)
		if !validValue(got) {
			return
		}
		r.Header.Set("X-Webhook-Secret", got)
		err = a.checkHeaders(r)
		if want := got == secret; (err == nil) != want {
			t.Fatalf("secret %q, header %q: error %v, want it accepted %v", secret, got, err, want)
		}
	})
}

// FuzzBasicAuth: HTTP Basic credentials pass exactly when they are the
// configured ones ("user:password" as sent equals the configured pair).
func FuzzBasicAuth(f *testing.F) {
	f.Add("u", "p", "u", "p")
	f.Add("hook", "pa:ss", "hook", "pa:ss")
	f.Add("hook", "pass", "hook", "pas")
	f.Add("hook", "pass", "Hook", "pass")
	f.Add("hook", "pass", "", "")
	f.Fuzz(func(t *testing.T, user, pass, gotUser, gotPass string) {
		a, err := checkAccount("acct", Account{Parser: nopParser{}, BasicUser: user, BasicPassword: pass})
		if err != nil {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acct", nil)
		r.SetBasicAuth(gotUser, gotPass)
		err = a.checkHeaders(r)
		if want := gotUser+":"+gotPass == user+":"+pass; (err == nil) != want {
			t.Fatalf("user %q pass %q, sent %q %q: error %v, want it accepted %v", user, pass, gotUser, gotPass, err, want)
		}
	})
}

// validValue reports whether v can be sent as a header value.
func validValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
