package meta_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers/meta"
)

// FuzzVerifySignature: a body signed with the secret verifies; changing
// any one byte of it, or adding one, fails with ErrSignatureMismatch; and
// a header verifies only when it is that signature (case and surrounding
// spaces aside). Seeded with the signature tests' cases.
func FuzzVerifySignature(f *testing.F) {
	body := `{"object":"whatsapp_business_account","entry":[]}`
	good := sign(testSecret, body)
	for _, c := range [][3]string{
		{testSecret, body, good},
		{testSecret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256="))},
		{testSecret, body, "  SHA256=" + strings.TrimPrefix(good, "sha256=") + " "},
		{testSecret, "", sign(testSecret, "")},
		{"", body, good},
		{testSecret, body, ""},
		{testSecret, body, strings.TrimPrefix(good, "sha256=")},
		{testSecret, body, "sha1=" + strings.TrimPrefix(good, "sha256=")},
		{testSecret, body, "sha256=" + strings.Repeat("g", 64)},
		{testSecret, body, good[:len(good)-2]},
		{testSecret, body, good + "00"},
		{testSecret, body, "sha256="},
		{"another-secret", body, good},
		{testSecret, body + " ", good},
	} {
		f.Add(c[0], []byte(c[1]), c[2])
	}
	f.Fuzz(func(t *testing.T, secret string, body []byte, header string) {
		err := meta.VerifySignature(secret, body, header)
		if secret == "" {
			if !errors.Is(err, meta.ErrNoAppSecret) {
				t.Fatalf("no secret: %v, want %v", err, meta.ErrNoAppSecret)
			}
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if err == nil && !strings.EqualFold(strings.TrimSpace(header), want) {
			t.Fatalf("header %q verified body %q, whose signature is %s", header, body, want)
		}
		if err := meta.VerifySignature(secret, body, want); err != nil {
			t.Fatalf("the body's own signature: %v", err)
		}
		// Every single-byte change (up to 256 positions, spread over the
		// body) and one byte more must fail.
		altered := make([]byte, len(body))
		step := max(1, len(body)/256)
		for i := 0; i < len(body); i += step {
			copy(altered, body)
			altered[i] ^= 1 + byte(i%255)
			if err := meta.VerifySignature(secret, altered, want); !errors.Is(err, meta.ErrSignatureMismatch) {
				t.Fatalf("byte %d changed (%q): %v, want %v", i, altered, err, meta.ErrSignatureMismatch)
			}
		}
		if err := meta.VerifySignature(secret, append(body[:len(body):len(body)], ' '), want); !errors.Is(err, meta.ErrSignatureMismatch) {
			t.Fatalf("a byte added: %v, want %v", err, meta.ErrSignatureMismatch)
		}
		if len(body) > 0 {
			if err := meta.VerifySignature(secret, body[:len(body)-1], want); !errors.Is(err, meta.ErrSignatureMismatch) {
				t.Fatalf("a byte removed: %v, want %v", err, meta.ErrSignatureMismatch)
			}
		}
	})
}

// FuzzVerifyChallenge: the handshake succeeds exactly when a verify token
// is configured, hub.mode is "subscribe", hub.verify_token is the token
// and hub.challenge is set, and then answers hub.challenge as given.
func FuzzVerifyChallenge(f *testing.F) {
	const token = "wabulk-verify-7c1d"
	for _, c := range [][2]string{
		{"hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=1158201444", token},
		{"hub.mode=subscribe&hub.verify_token=&hub.challenge=1", ""},
		{"hub.mode=unsubscribe&hub.verify_token=" + token + "&hub.challenge=1", token},
		{"hub.verify_token=" + token + "&hub.challenge=1", token},
		{"hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", token},
		{"hub.mode=subscribe&hub.verify_token=" + token[:5] + "&hub.challenge=1", token},
		{"hub.mode=subscribe&hub.challenge=1", token},
		{"hub.mode=subscribe&hub.verify_token=" + token, token},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, rawQuery, token string) {
		q, _ := url.ParseQuery(rawQuery) // what parsed; the receiver reads the same
		got, err := meta.VerifyChallenge(q, token)
		ok := token != "" && q.Get("hub.mode") == "subscribe" && q.Get("hub.verify_token") == token && q.Get("hub.challenge") != ""
		if (err == nil) != ok {
			t.Fatalf("query %q, token %q: %q, %v; want accepted %v", rawQuery, token, got, err, ok)
		}
		if err == nil && got != q.Get("hub.challenge") {
			t.Fatalf("query %q: challenge %q, want %q", rawQuery, got, q.Get("hub.challenge"))
		}
		if err != nil && got != "" {
			t.Fatalf("query %q: challenge %q alongside error %v", rawQuery, got, err)
		}
	})
}
