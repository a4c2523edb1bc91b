package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// authenticate lets a request through with one of the tokens.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wabulk"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "no bearer token: send the header Authorization: Bearer TOKEN (a token from serve.api_tokens)")
			return
		}
		ok, readOnly := a.validToken(tok)
		if !ok {
			a.log.Warn("api: wrong bearer token", zap.String("remote", r.RemoteAddr), zap.String("method", r.Method), zap.String("path", r.URL.Path))
			w.Header().Set("WWW-Authenticate", `Bearer realm="wabulk", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "the bearer token is not one of serve.api_tokens")
			return
		}
		if readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
			a.log.Info("api: read-only token refused an action", zap.String("method", r.Method), zap.String("path", r.URL.Path))
			writeError(w, http.StatusForbidden, "read_only", "", "this token is read-only (serve.api_tokens role read-only): it may read, not act")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validToken compares tok with every token, in constant time whatever
// their lengths and whichever matches, and says whether it is read-only.
func (a *API) validToken(tok string) (ok, readOnly bool) {
	got := sha256.Sum256([]byte(tok))
	match, ro := 0, 0
	for i, t := range a.tokens {
		eq := subtle.ConstantTimeCompare(got[:], t[:])
		match |= eq
		if a.readOnly[i] {
			ro |= eq
		}
	}
	return match == 1, ro == 1
}
