package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// CookieName is the session cookie.
const CookieName = "wabulk_session"

// session is a signed-in browser: the role of its token and its CSRF
// token. Redis keeps it under <prefix>session:<sha256 of the id>, a hash
// with the role, the token's fingerprint (never the token) and the CSRF
// token, expiring SessionTTL after the sign-in.
type session struct {
	key  string // Redis key
	Role Role
	CSRF string
}

// ReadOnly reports whether the session may only look.
func (s *session) ReadOnly() bool { return s == nil || s.Role != RoleFull }

type sessionKey struct{}

func sessionFrom(ctx context.Context) (*session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*session)
	return s, ok
}

// Fingerprint is what a session keeps of its token: the hex of
// sha256("wabulk-session|"+token), first 16 bytes.
func Fingerprint(token string) string {
	h := sha256.Sum256([]byte("wabulk-session|" + token))
	return hex.EncodeToString(h[:16])
}

func newTokenEntry(t string, role Role) tokenEntry {
	return tokenEntry{hash: sha256.Sum256([]byte(t)), fingerprint: Fingerprint(t), role: role}
}

// match compares tok with every configured token, in constant time
// whichever matches, and returns the matching one.
func (c *Console) match(tok string) (tokenEntry, bool) {
	got := sha256.Sum256([]byte(tok))
	var found tokenEntry
	ok := 0
	for _, t := range c.tokens {
		if subtle.ConstantTimeCompare(got[:], t.hash[:]) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1
}

// roleOf returns the role of the configured token with fingerprint fp;
// false when no configured token has it any more.
func (c *Console) roleOf(fp string) (Role, bool) {
	var role Role
	ok := false
	for _, t := range c.tokens {
		if subtle.ConstantTimeCompare([]byte(fp), []byte(t.fingerprint)) == 1 {
			role, ok = t.role, true
		}
	}
	return role, ok
}

func (c *Console) sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return c.cfg.Prefix + "session:" + hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errNoSession: the request carries no live session.
var errNoSession = errors.New("no session")

// loadSession reads the request's session: errNoSession when it has none
// (or its token is no longer configured), another error when Redis
// failed.
func (c *Console) loadSession(r *http.Request) (*session, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return nil, errNoSession
	}
	key := c.sessionKey(ck.Value)
	vals, err := c.cfg.Redis.HMGet(r.Context(), key, "role", "fp", "csrf").Result()
	if err != nil {
		return nil, err
	}
	fp, _ := vals[1].(string)
	csrf, _ := vals[2].(string)
	if fp == "" || csrf == "" {
		return nil, errNoSession
	}
	role, ok := c.roleOf(fp)
	if !ok {
		// The token was taken out of the config: its sessions end.
		_ = c.cfg.Redis.Del(r.Context(), key).Err()
		return nil, errNoSession
	}
	return &session{key: key, Role: role, CSRF: csrf}, nil
}

// withSession runs next with the request's session, or sends the browser
// to the sign-in page.
func (c *Console) withSession(next http.HandlerFunc, api bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.loadSession(r)
		switch {
		case errors.Is(err, errNoSession):
			if api {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.errorPage(w, r, http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again, then repeat what you were doing.")
			return
		case err != nil:
			c.storeFailed(w, r, "session not read", err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	})
}

// page is a read: any signed-in role.
func (c *Console) page(h http.HandlerFunc) http.Handler {
	return c.withSession(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	}, false)
}

// json is a read for the pages' scripts: without a session it is a 401,
// not a redirect.
func (c *Console) json(h http.HandlerFunc) http.Handler {
	return c.withSession(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	}, true)
}

// action is a change: it needs a full-role session, a same-origin
// request, and the session's CSRF token in the form (csrf) or the
// X-CSRF-Token header.
func (c *Console) action(h http.HandlerFunc) http.Handler {
	return c.withSession(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s, _ := sessionFrom(r.Context())
		if !c.sameOrigin(r) {
			c.forbidden(w, r, "This request came from another site, so it was refused.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		tok := r.Header.Get("X-CSRF-Token")
		if tok == "" {
			tok = r.PostFormValue("csrf")
		}
		if !validCSRF(s, tok) {
			c.log.Warn("console: request without a valid CSRF token", zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr))
			c.forbidden(w, r, "This form has expired or did not come from this console (its CSRF token is missing or wrong). Reload the page and try again.")
			return
		}
		if r.URL.Path != Prefix+"signout" && s.ReadOnly() {
			c.refuseReadOnly(w, r)
			return
		}
		h(w, r)
	}, false)
}

func (c *Console) refuseReadOnly(w http.ResponseWriter, r *http.Request) {
	c.log.Info("console: read-only session refused an action", zap.String("path", r.URL.Path))
	c.forbidden(w, r, "Your token is read-only: you can see everything, but not pause, resume, cancel, retry, import or change anything. Sign in with a token that has the full role to act.")
}

func validCSRF(s *session, tok string) bool {
	return s != nil && tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) == 1
}

// sameOrigin refuses a request that says it comes from another site
// (Sec-Fetch-Site, Origin); a request that says nothing passes (the CSRF
// token still guards it).
func (c *Console) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// signInPage shows the sign-in form.
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, http.StatusOK, "signin", pageData{Title: "Sign in", Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

type signInData struct {
	Next  string
	Error string
}

// safeNext keeps a next address inside the console.
func safeNext(n string) string {
	if !strings.HasPrefix(n, Prefix) || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n") {
		return Prefix
	}
	return n
}

// signIn checks the token and starts a session.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !c.sameOrigin(r) {
		c.forbidden(w, r, "This request came from another site, so it was refused.")
		return
	}
	ip := clientIP(r)
	if c.throttle.blocked(ip) {
		c.log.Warn("console: sign-in throttled", zap.String("remote", ip))
		w.Header().Set("Retry-After", "60")
		c.render(w, r, http.StatusTooManyRequests, "signin", pageData{Title: "Sign in", Data: signInData{Next: Prefix,
			Error: "Too many wrong tokens from your address: wait a minute, then try again."}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	t, ok := c.match(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		c.throttle.fail(ip)
		c.log.Warn("console: wrong sign-in token", zap.String("remote", ip))
		c.render(w, r, http.StatusUnauthorized, "signin", pageData{Title: "Sign in", Data: signInData{Next: next,
			Error: "That token is not one of the API tokens this server takes (serve.api_tokens)."}})
		return
	}
	id, csrf := randomToken(), randomToken()
	key := c.sessionKey(id)
	_, err := c.cfg.Redis.TxPipelined(r.Context(), func(p redis.Pipeliner) error {
		p.HSet(r.Context(), key, "role", string(t.role), "fp", t.fingerprint, "csrf", csrf, "at", c.cfg.Now().UTC().Format(time.RFC3339))
		p.PExpire(r.Context(), key, c.cfg.SessionTTL)
		return nil
	})
	if err != nil {
		c.storeFailed(w, r, "session not saved", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.cfg.SecureCookies, MaxAge: int(c.cfg.SessionTTL / time.Second)})
	c.log.Info("console: signed in", zap.String("role", string(t.role)), zap.String("remote", ip))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session everywhere.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	if err := c.cfg.Redis.Del(r.Context(), s.key).Err(); err != nil {
		c.storeFailed(w, r, "session not ended", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.cfg.SecureCookies, MaxAge: -1})
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// setFlash leaves a message for the session's next page.
func (c *Console) setFlash(r *http.Request, kind, msg string) {
	s, _ := sessionFrom(r.Context())
	if s == nil {
		return
	}
	if err := c.cfg.Redis.HSet(r.Context(), s.key, "flash", kind+"|"+msg).Err(); err != nil {
		c.log.Warn("console: flash not saved", zap.Error(err))
	}
}

// takeFlash returns and forgets the session's message.
func (c *Console) takeFlash(r *http.Request) (kind, msg string) {
	s, _ := sessionFrom(r.Context())
	if s == nil {
		return "", ""
	}
	var get *redis.StringCmd
	_, err := c.cfg.Redis.TxPipelined(r.Context(), func(p redis.Pipeliner) error {
		get = p.HGet(r.Context(), s.key, "flash")
		p.HDel(r.Context(), s.key, "flash")
		return nil
	})
	if err != nil {
		return "", ""
	}
	kind, msg, _ = strings.Cut(get.Val(), "|")
	return kind, msg
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttle counts wrong sign-ins per address: past maxFails within a
// minute, the address waits.
type throttle struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string][]time.Time
}

const maxFails = 10

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, fails: map[string][]time.Time{}}
}

func (t *throttle) recent(ip string) []time.Time {
	cut := t.now().Add(-time.Minute)
	fs := t.fails[ip]
	i := 0
	for i < len(fs) && fs[i].Before(cut) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, ip)
	} else {
		t.fails[ip] = fs
	}
	return fs
}

func (t *throttle) blocked(ip string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(ip)) >= maxFails
}

func (t *throttle) fail(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > 10_000 { // bounded memory whatever the traffic
		t.fails = map[string][]time.Time{}
	}
	t.fails[ip] = append(t.recent(ip), t.now())
}
