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
		if !a.validToken(tok) {
			a.log.Warn("api: wrong bearer token", zap.String("remote", r.RemoteAddr), zap.String("method", r.Method), zap.String("path", r.URL.Path))
			w.Header().Set("WWW-Authenticate", `Bearer realm="wabulk", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "", "the bearer token is not one of serve.api_tokens")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validToken compares tok with every token, in constant time whatever
// their lengths and whichever matches.
func (a *API) validToken(tok string) bool {
	got := sha256.Sum256([]byte(tok))
	ok := 0
	for _, t := range a.tokens {
		ok |= subtle.ConstantTimeCompare(got[:], t[:])
	}
	return ok == 1
}
