package receipts

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// Errors from NewReceiver, wrapped with the account's name.
var (
	ErrNoAuth       = errors.New("no authentication configured (a shared-secret header, HTTP Basic, or a signature the adapter checks); Account.Insecure accepts unauthenticated callbacks")
	ErrAuthConflict = errors.New("more than one way of authentication configured; a provider authenticates its callbacks one way, keep that one")
)

// How an account's POSTs are authenticated.
type authMethod int

const (
	authNone      authMethod = iota // Insecure
	authHeader                      // SecretHeader and SecretValue
	authBasic                       // BasicUser and BasicPassword
	authProvider                    // the parser's providers.CallbackAuthenticator
	authPathToken                   // PathToken, checked when the path is routed
)

// MinPathToken is the shortest Account.PathToken accepted: 32 characters
// of a random token (e.g. `openssl rand -hex 32` gives 64) cannot be
// guessed.
const MinPathToken = 32

// account is an Account checked by NewReceiver.
type account struct {
	name string
	Account
	method authMethod
	// auth is the parser's own authentication, set when method is
	// authProvider.
	auth providers.CallbackAuthenticator
	// handshake answers the provider's GET handshake; nil when the
	// provider makes none.
	handshake providers.CallbackHandshaker
	// commit stores the account's callbacks, grouped (committer).
	commit *committer
}

// checkAccount checks one account's configuration and says how its POSTs
// are authenticated.
func checkAccount(name string, a Account) (*account, error) {
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, errors.New("the name must be a non-empty URL path segment (no '/', '?' or '#')")
	}
	if a.Parser == nil {
		return nil, errors.New("no callback parser")
	}
	out := &account{name: name, Account: a}
	var ways []string
	switch {
	case a.SecretHeader != "" && a.SecretValue != "":
		if !validHeaderName(a.SecretHeader) {
			return nil, fmt.Errorf("secret header name %q is not a valid HTTP header name", a.SecretHeader)
		}
		ways = append(ways, "secret header")
	case a.SecretHeader != "":
		return nil, fmt.Errorf("secret header %s is named but has no secret value", a.SecretHeader)
	case a.SecretValue != "":
		return nil, errors.New("a secret value is set but no header to carry it")
	}
	switch {
	case a.BasicUser != "" && a.BasicPassword != "":
		if strings.Contains(a.BasicUser, ":") {
			return nil, errors.New("the HTTP Basic user must not contain ':'")
		}
		ways = append(ways, "HTTP Basic")
	case a.BasicUser != "":
		return nil, errors.New("an HTTP Basic user is set but no password")
	case a.BasicPassword != "":
		return nil, errors.New("an HTTP Basic password is set but no user")
	}
	if a.PathToken != "" {
		if err := checkPathToken(a.PathToken); err != nil {
			return nil, err
		}
		ways = append(ways, "path token")
	}
	if auth, ok := a.Parser.(providers.CallbackAuthenticator); ok {
		if way := auth.CallbackAuth(); way != "" {
			ways = append(ways, way)
			out.auth = auth
		}
	}
	if hs, ok := a.Parser.(providers.CallbackHandshaker); ok {
		out.handshake = hs
	}
	switch {
	case len(ways) > 1:
		return nil, fmt.Errorf("%w (%s)", ErrAuthConflict, strings.Join(ways, ", "))
	case len(ways) == 1 && a.Insecure:
		return nil, fmt.Errorf("both Insecure and %s are set: drop one", ways[0])
	case len(ways) == 0 && !a.Insecure:
		return nil, ErrNoAuth
	case a.Insecure:
		out.method = authNone
	case a.SecretHeader != "":
		out.method = authHeader
	case a.BasicUser != "":
		out.method = authBasic
	case a.PathToken != "":
		out.method = authPathToken
	default:
		out.method = authProvider
	}
	return out, nil
}

// checkPathToken checks that a path token is long enough to be unguessable
// and is one path segment as written (RFC 3986 unreserved characters). Its
// errors never show it.
func checkPathToken(tok string) error {
	if len(tok) < MinPathToken {
		return fmt.Errorf("the path token has %d characters, want at least %d (e.g. openssl rand -hex 32)", len(tok), MinPathToken)
	}
	for _, c := range []byte(tok) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return errors.New("the path token must be letters, digits, '-', '.', '_' or '~' (e.g. openssl rand -hex 32)")
		}
	}
	return nil
}

// pathMatches reports, in constant time, whether token (the path segment
// after the account's name, "" when there is none) is the account's: its
// PathToken, or none for an account without one.
func (a *account) pathMatches(token string) bool {
	if a.method != authPathToken {
		return token == ""
	}
	return equal(token, a.PathToken)
}

// WebhookPath is the path a provider posts account's callbacks to:
// /webhooks/{account}, or /webhooks/{account}/{token} with a path token.
func WebhookPath(account, token string) string {
	if token == "" {
		return "/webhooks/" + account
	}
	return "/webhooks/" + account + "/" + token
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkHeaders checks a shared-secret header or HTTP Basic credentials, in
// constant time, before the body is read.
func (a *account) checkHeaders(r *http.Request) error {
	switch a.method {
	case authHeader:
		got, ok := r.Header[http.CanonicalHeaderKey(a.SecretHeader)]
		if !ok {
			return fmt.Errorf("header %s is missing", a.SecretHeader)
		}
		if len(got) != 1 || !equal(got[0], a.SecretValue) {
			return fmt.Errorf("header %s has the wrong value", a.SecretHeader)
		}
	case authBasic:
		user, pass, ok := r.BasicAuth()
		if !ok {
			return errors.New("no HTTP Basic credentials")
		}
		// Both compared, whichever is wrong.
		if u, p := equal(user, a.BasicUser), equal(pass, a.BasicPassword); !u || !p {
			return errors.New("wrong HTTP Basic credentials")
		}
	}
	return nil
}

// checkBody lets the provider's own authentication check the headers and
// the raw body, when the account uses it.
func (a *account) checkBody(h http.Header, body []byte) error {
	if a.method != authProvider {
		return nil
	}
	return a.auth.AuthenticateCallback(h, body)
}

// equal compares two secrets in constant time, whatever their lengths.
func equal(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
