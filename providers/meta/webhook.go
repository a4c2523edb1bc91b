package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// SignatureHeader is the header carrying Meta's signature of a webhook
// body: "sha256=" + hex(HMAC-SHA256(app secret, raw body)).
const SignatureHeader = "X-Hub-Signature-256"

// Errors from VerifySignature and VerifyChallenge. They never carry the
// app secret, the verify token or the signature.
var (
	ErrNoAppSecret        = errors.New("meta webhook: no app secret configured to check signatures with")
	ErrSignatureMissing   = errors.New("meta webhook: X-Hub-Signature-256 header is missing")
	ErrSignatureMalformed = errors.New(`meta webhook: X-Hub-Signature-256 header is malformed (want "sha256=" and 64 hex digits)`)
	ErrSignatureMismatch  = errors.New("meta webhook: X-Hub-Signature-256 does not match the body (wrong app secret, or the body was altered)")

	ErrNoVerifyToken    = errors.New("meta webhook: no verify token configured")
	ErrNotSubscribe     = errors.New(`meta webhook: hub.mode is not "subscribe"`)
	ErrVerifyToken      = errors.New("meta webhook: hub.verify_token does not match")
	ErrChallengeMissing = errors.New("meta webhook: hub.challenge is missing")
)

// VerifySignature checks header (the X-Hub-Signature-256 value) against
// body, the raw request body exactly as received, signed with appSecret.
// The comparison is constant-time. It returns nil or one of
// ErrNoAppSecret, ErrSignatureMissing, ErrSignatureMalformed,
// ErrSignatureMismatch.
func VerifySignature(appSecret string, body []byte, header string) error {
	if appSecret == "" {
		return ErrNoAppSecret
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrSignatureMissing
	}
	const prefix = "sha256="
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return ErrSignatureMalformed
	}
	got, err := hex.DecodeString(header[len(prefix):])
	if err != nil || len(got) != sha256.Size {
		return ErrSignatureMalformed
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignatureMismatch
	}
	return nil
}

// VerifyChallenge answers the GET handshake Meta makes when a webhook is
// configured: hub.mode must be "subscribe" and hub.verify_token must equal
// verifyToken (compared in constant time); the answer is hub.challenge,
// which the receiver writes back as the text/plain body of a 200. It
// returns one of ErrNoVerifyToken, ErrNotSubscribe, ErrVerifyToken,
// ErrChallengeMissing otherwise (the receiver answers 403).
func VerifyChallenge(q url.Values, verifyToken string) (challenge string, err error) {
	if verifyToken == "" {
		return "", ErrNoVerifyToken
	}
	if q.Get("hub.mode") != "subscribe" {
		return "", ErrNotSubscribe
	}
	// Hash both sides so the comparison takes the same time whatever the
	// lengths.
	got, want := sha256.Sum256([]byte(q.Get("hub.verify_token"))), sha256.Sum256([]byte(verifyToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return "", ErrVerifyToken
	}
	challenge = q.Get("hub.challenge")
	if challenge == "" {
		return "", ErrChallengeMissing
	}
	return challenge, nil
}

// CallbackAuth is "X-Hub-Signature-256 (Meta app secret)" when Config.AppSecret is set: the
// receiver then checks each POST with AuthenticateCallback. It is ""
// without one, and the account needs another way.
func (c *Client) CallbackAuth() string {
	if c.appSecret == "" {
		return ""
	}
	return "X-Hub-Signature-256 (Meta app secret)"
}

// AuthenticateCallback checks a webhook POST's X-Hub-Signature-256 against
// its raw body with Config.AppSecret (VerifySignature).
func (c *Client) AuthenticateCallback(h http.Header, body []byte) error {
	return VerifySignature(c.appSecret, body, h.Get(SignatureHeader))
}

// CallbackHandshake answers Meta's GET handshake with Config.VerifyToken
// (VerifyChallenge): hub.challenge, or an error when the request is not a
// subscription with the right token, or no token is configured.
func (c *Client) CallbackHandshake(q url.Values) (challenge string, err error) {
	return VerifyChallenge(q, c.verifyToken)
}
