package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Fake is a stand-in provider for adapter tests: an httptest server that
// records every request and answers with a handler. It closes when the
// test ends.
//
//	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"messages":[{"id":"wamid.1"}]}`))
//	c := newClient(t, tujenge.Config{BaseURL: f.URL})
//	... c.Send(ctx, m) ...
//	req := f.Only(t) // exactly one request: check its path, header, body
type Fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []Recorded
}

// Recorded is one request a Fake received, its body read in full.
type Recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// NewFake starts a Fake that records each request, then hands it to
// respond (whose r.Body is already read).
func NewFake(t testing.TB, respond http.HandlerFunc) *Fake {
	t.Helper()
	f := &Fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake provider: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, Recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// Requests returns the requests f received so far, in order.
func (f *Fake) Requests() []Recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Recorded(nil), f.reqs...)
}

// Only returns the one request f received, and fails t unless there was
// exactly one.
func (f *Fake) Only(t testing.TB) Recorded {
	t.Helper()
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake provider got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// Request rebuilds r as an *http.Request, for checks that want its methods
// (BasicAuth, URL.Query).
func (r Recorded) Request() *http.Request {
	return &http.Request{
		Method: r.Method,
		URL:    &url.URL{Path: r.Path, RawQuery: r.RawQuery},
		Header: r.Header.Clone(),
		Body:   io.NopCloser(bytes.NewReader(r.Body)),
	}
}

// Respond answers with status, body and header pairs ("Retry-After", "7").
// A body that is valid JSON goes with Content-Type application/json unless
// the pairs name another.
func Respond(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if w.Header().Get("Content-Type") == "" && json.Valid([]byte(body)) {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// Reply is a canned HTTP answer from the provider.
type Reply struct {
	Status int
	Header http.Header // optional
	Body   string
}

// serve starts a Fake that answers every request with rep.
func serve(t *testing.T, rep Reply) *Fake {
	t.Helper()
	return NewFake(t, rep.handler)
}

// handler answers with rep: its status (200 when 0), its header, and
// Content-Type application/json unless the header names another.
func (rep Reply) handler(w http.ResponseWriter, _ *http.Request) {
	for k, vs := range rep.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rep.Body)
}

// Hang is a handler that reads the request and never answers: the client
// gives up (a timeout after the request was written, which is ambiguous).
func Hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// Drop returns a handler that reads the request and closes the connection
// without answering.
func Drop(t testing.TB) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
}
