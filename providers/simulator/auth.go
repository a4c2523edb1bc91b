package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// Credential extractors for format.credential. Each returns the credential
// in the form Config.APIKey holds it for formats using that scheme.

// headerCredential reads a key header such as Tujenge's WA-API-KEY.
// Config.APIKey: the header value.
func headerCredential(r *http.Request, name string) (string, bool) {
	v := r.Header.Get(name)
	return v, v != ""
}

// bearerCredential reads "Authorization: Bearer <token>" (scheme matched
// case-insensitively), as Taqnyat and Meta use. Config.APIKey: the token.
// Another scheme, or a bare token, counts as present but wrong.
func bearerCredential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true // present but not a bearer token: never matches
	}
	return strings.TrimSpace(token), true
}

// basicCredential reads HTTP Basic auth, as Modica and DecisionTelecom use.
// Config.APIKey: "user:pass". A malformed Authorization header counts as
// present but wrong.
func basicCredential(r *http.Request) (string, bool) {
	if r.Header.Get("Authorization") == "" {
		return "", false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", true
	}
	return user + ":" + pass, true
}

// jsonFieldCredential reads a string field of a JSON object body, as
// Socnet's api_key. Config.APIKey: the field's value. A body that is not a
// JSON object, or a field that is not a string, counts as absent.
func jsonFieldCredential(body []byte, field string) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", false
	}
	var v string
	if raw, ok := m[field]; !ok || json.Unmarshal(raw, &v) != nil || v == "" {
		return "", false
	}
	return v, true
}

// credentialMatches compares in constant time. An empty want accepts any
// credential that is present.
func credentialMatches(got, want string) bool {
	return want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// hubSignature256 is Meta's X-Hub-Signature-256 value for body:
// "sha256=" + hex(HMAC-SHA256(secret, body)).
func hubSignature256(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
