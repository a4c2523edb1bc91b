package meta_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers/meta"
)

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := `{"object":"whatsapp_business_account","entry":[]}`
	good := sign(testSecret, body)
	tests := []struct {
		name   string
		secret string
		body   string
		header string
		want   error
	}{
		{"valid", testSecret, body, good, nil},
		{"valid with upper-case hex", testSecret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), nil},
		{"valid with upper-case prefix and spaces", testSecret, body, "  SHA256=" + strings.TrimPrefix(good, "sha256=") + " ", nil},
		{"empty body signed", testSecret, "", sign(testSecret, ""), nil},
		{"no app secret", "", body, good, meta.ErrNoAppSecret},
		{"missing header", testSecret, body, "", meta.ErrSignatureMissing},
		{"blank header", testSecret, body, "   ", meta.ErrSignatureMissing},
		{"no prefix", testSecret, body, strings.TrimPrefix(good, "sha256="), meta.ErrSignatureMalformed},
		{"sha1 prefix", testSecret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), meta.ErrSignatureMalformed},
		{"not hex", testSecret, body, "sha256=" + strings.Repeat("g", 64), meta.ErrSignatureMalformed},
		{"too short", testSecret, body, good[:len(good)-2], meta.ErrSignatureMalformed},
		{"too long", testSecret, body, good + "00", meta.ErrSignatureMalformed},
		{"prefix only", testSecret, body, "sha256=", meta.ErrSignatureMalformed},
		{"another secret", "another-secret", body, good, meta.ErrSignatureMismatch},
		{"altered body", testSecret, body + " ", good, meta.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := meta.VerifySignature(tt.secret, []byte(tt.body), tt.header)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifySignature = %v, want %v", err, tt.want)
			}
			if err != nil && (containsSecret(err.Error()) || strings.Contains(err.Error(), strings.TrimPrefix(good, "sha256=")[:16])) {
				t.Errorf("error %q echoes the secret or the signature", err)
			}
		})
	}
}

func TestVerifyChallenge(t *testing.T) {
	t.Parallel()
	const token = "wabulk-verify-7c1d"
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name  string
		q     url.Values
		token string
		want  string
		err   error
	}{
		{"handshake", q("hub.mode", "subscribe", "hub.verify_token", token, "hub.challenge", "1158201444"), token, "1158201444", nil},
		{"no verify token configured", q("hub.mode", "subscribe", "hub.verify_token", "", "hub.challenge", "1"), "", "", meta.ErrNoVerifyToken},
		{"wrong mode", q("hub.mode", "unsubscribe", "hub.verify_token", token, "hub.challenge", "1"), token, "", meta.ErrNotSubscribe},
		{"no mode", q("hub.verify_token", token, "hub.challenge", "1"), token, "", meta.ErrNotSubscribe},
		{"wrong token", q("hub.mode", "subscribe", "hub.verify_token", "guess", "hub.challenge", "1"), token, "", meta.ErrVerifyToken},
		{"token prefix", q("hub.mode", "subscribe", "hub.verify_token", token[:5], "hub.challenge", "1"), token, "", meta.ErrVerifyToken},
		{"no token given", q("hub.mode", "subscribe", "hub.challenge", "1"), token, "", meta.ErrVerifyToken},
		{"no challenge", q("hub.mode", "subscribe", "hub.verify_token", token), token, "", meta.ErrChallengeMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := meta.VerifyChallenge(tt.q, tt.token)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("VerifyChallenge = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error %q echoes the verify token", err)
			}
		})
	}
}

// The Client authenticates its webhook for the receiver with the app
// secret and answers the handshake with the verify token of its Config;
// without them it names no way and refuses every handshake.
func TestClientAuthenticatesItsWebhook(t *testing.T) {
	t.Parallel()
	const token = "verify-t0ken-value"
	body := `{"object":"whatsapp_business_account","entry":[]}`
	signed := http.Header{meta.SignatureHeader: {sign(testSecret, body)}}
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}

	c := newClient(t, meta.Config{AppSecret: testSecret, VerifyToken: token})
	if got := c.CallbackAuth(); got != "X-Hub-Signature-256 (Meta app secret)" {
		t.Errorf("CallbackAuth = %q, want %q", got, "X-Hub-Signature-256 (Meta app secret)")
	}
	if err := c.AuthenticateCallback(signed, []byte(body)); err != nil {
		t.Errorf("signed body: %v", err)
	}
	if err := c.AuthenticateCallback(signed, []byte(body+" ")); !errors.Is(err, meta.ErrSignatureMismatch) {
		t.Errorf("altered body: %v, want %v", err, meta.ErrSignatureMismatch)
	}
	if err := c.AuthenticateCallback(http.Header{}, []byte(body)); !errors.Is(err, meta.ErrSignatureMissing) {
		t.Errorf("unsigned body: %v, want %v", err, meta.ErrSignatureMissing)
	}
	if got, err := c.CallbackHandshake(q); got != "1158201444" || err != nil {
		t.Errorf("CallbackHandshake = %q, %v; want the challenge", got, err)
	}

	bare := newClient(t, meta.Config{})
	if got := bare.CallbackAuth(); got != "" {
		t.Errorf("without an app secret CallbackAuth = %q, want none", got)
	}
	if err := bare.AuthenticateCallback(signed, []byte(body)); !errors.Is(err, meta.ErrNoAppSecret) {
		t.Errorf("without an app secret: %v, want %v", err, meta.ErrNoAppSecret)
	}
	if got, err := bare.CallbackHandshake(q); got != "" || !errors.Is(err, meta.ErrNoVerifyToken) {
		t.Errorf("without a verify token: %q, %v; want %v", got, err, meta.ErrNoVerifyToken)
	}
}
