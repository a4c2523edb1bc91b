package receipts_test

import (
	"net/http"
	"strings"
	"testing"
)

// An unknown account answers exactly as a known one whose authentication
// fails, for a callback, a handshake and another method alike: the
// accounts cannot be listed by probing.
func TestUnknownAccountsAnswerAsFailedAuthentication(t *testing.T) {
	t.Parallel()
	k := newHooks(t)
	call := func(method, path string) answer {
		t.Helper()
		req, err := http.NewRequest(method, k.srv.URL+path, strings.NewReader(tujengeDLR))
		must(t, err)
		req.Header.Set(hookHeader, "not-the-secret")
		return do(t, req)
	}
	for _, c := range []struct{ method, query string }{
		{http.MethodPost, ""},
		{http.MethodGet, "?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1"},
		{http.MethodPut, ""},
	} {
		known, unknown := call(c.method, "/webhooks/tj"+c.query), call(c.method, "/webhooks/nope"+c.query)
		if known.status != unknown.status || known.body != unknown.body {
			t.Errorf("%s: known account %d %q, unknown %d %q", c.method, known.status, known.body, unknown.status, unknown.body)
		}
		for _, h := range []string{"WWW-Authenticate", "Content-Type", "Allow", "Content-Length"} {
			if known.header.Get(h) != unknown.header.Get(h) {
				t.Errorf("%s: header %s %q for a known account, %q for an unknown one", c.method, h, known.header.Get(h), unknown.header.Get(h))
			}
		}
	}
	if got := k.events(t); len(got) != 0 {
		t.Errorf("%d events recorded", len(got))
	}
}
