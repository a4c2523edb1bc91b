package providers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
)

// shortTimeout keeps the timeout test quick; nothing asserts on durations.
var shortTimeout = providers.HTTPConfig{Timeout: 100 * time.Millisecond}

const secret = "SECRET-0f9e8d7c"

// newServer starts h and closes it when the test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// closedAddr returns a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// hangUp reads the whole request, then drops the connection without a word.
func hangUp(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("server reading the request: %v", err)
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
}

// stall reads the whole request, then answers nothing until the client
// goes away or the test ends.
func stall(t *testing.T) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("server reading the request: %v", err)
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

func post(t *testing.T, ctx context.Context, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(`{"to":"255712345678","type":"text"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	return req
}

// outcome is the part of a *SendError these tests pin down.
type outcome struct {
	Class      providers.Class
	Reason     providers.Reason
	HTTPStatus int
	Ambiguous  bool
	Message    string
	HasErr     bool
}

func outcomeOf(t *testing.T, err error) outcome {
	t.Helper()
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	return outcome{Class: se.Class, Reason: se.Reason, HTTPStatus: se.HTTPStatus, Ambiguous: se.Ambiguous, Message: se.Message, HasErr: se.Err != nil}
}

func TestDoReturnsTheAnswer(t *testing.T) {
	t.Parallel()
	var gotBody atomic.Value
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody.Store(r.Method + " " + r.URL.Path + " " + string(b))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"messages":[{"id":"wamid.1"}]}`)
	})
	resp, err := providers.Do(providers.NewHTTPClient(providers.HTTPConfig{}), post(t, t.Context(), srv.URL+"/v1/messages"))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	want := &providers.Response{
		Status: http.StatusCreated,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}},
		Body:   []byte(`{"messages":[{"id":"wamid.1"}]}`),
	}
	got := &providers.Response{
		Status: resp.Status,
		Header: http.Header{"Content-Type": resp.Header.Values("Content-Type"), "X-Request-Id": resp.Header.Values("X-Request-Id")},
		Body:   resp.Body,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	if g, w := gotBody.Load(), `POST /v1/messages {"to":"255712345678","type":"text"}`; g != w {
		t.Errorf("server saw %q, want %q", g, w)
	}
}

func TestDoBodyLimits(t *testing.T) {
	t.Parallel()
	body := func(n int) []byte { return bytes.Repeat([]byte("a"), n) }
	tests := []struct {
		name     string
		status   int
		body     []byte
		wantBody []byte   // when the answer comes back
		want     *outcome // when it does not
	}{
		{name: "2xx at the limit", status: 200, body: body(providers.MaxBodyBytes), wantBody: body(providers.MaxBodyBytes)},
		{name: "2xx over the limit", status: 200, body: body(providers.MaxBodyBytes + 1), want: &outcome{
			Class: providers.Transient, Reason: providers.ReasonMalformed, HTTPStatus: 200, Ambiguous: true,
			Message: "answer larger than 1048576 bytes",
		}},
		{name: "2xx far over the limit", status: 202, body: body(3 * providers.MaxBodyBytes), want: &outcome{
			Class: providers.Transient, Reason: providers.ReasonMalformed, HTTPStatus: 202, Ambiguous: true,
			Message: "answer larger than 1048576 bytes",
		}},
		{name: "4xx over the limit is cut", status: 400, body: body(providers.MaxBodyBytes + 1), wantBody: body(providers.MaxBodyBytes)},
		{name: "5xx far over the limit is cut", status: 503, body: body(3 * providers.MaxBodyBytes), wantBody: body(providers.MaxBodyBytes)},
		{name: "empty 2xx", status: 204, body: nil, wantBody: []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(tt.status)
				w.Write(tt.body)
			})
			resp, err := providers.Do(providers.NewHTTPClient(providers.HTTPConfig{}), post(t, t.Context(), srv.URL))
			if tt.want != nil {
				if err == nil {
					t.Fatalf("Do = status %d, %d bytes; want an error", resp.Status, len(resp.Body))
				}
				if diff := cmp.Diff(*tt.want, outcomeOf(t, err)); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != tt.status {
				t.Errorf("Status = %d, want %d", resp.Status, tt.status)
			}
			if len(resp.Body) != len(tt.wantBody) || !bytes.Equal(resp.Body, tt.wantBody) {
				t.Errorf("Body is %d bytes, want %d", len(resp.Body), len(tt.wantBody))
			}
		})
	}
}

func TestDoTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		config providers.HTTPConfig
		ctx    func(t *testing.T) context.Context
		want   outcome
	}{
		{
			name: "connection refused",
			url:  func(t *testing.T) string { return "http://" + closedAddr(t) + "/send" },
			want: outcome{Class: providers.Transient, Message: "connection failed", HasErr: true},
		},
		{
			name: "context cancelled before sending",
			url: func(t *testing.T) string {
				return newServer(t, func(http.ResponseWriter, *http.Request) { t.Error("the request reached the server") }).URL
			},
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			want: outcome{Class: providers.Transient, Message: "cancelled", HasErr: true},
		},
		{
			name: "connection closed after the request was read",
			url:  func(t *testing.T) string { return newServer(t, hangUp(t)).URL + "/send" },
			want: outcome{Class: providers.Transient, Ambiguous: true, Message: "connection failed", HasErr: true},
		},
		{
			name:   "timeout after the request was read",
			url:    func(t *testing.T) string { return newServer(t, stall(t)).URL + "/send" },
			config: shortTimeout,
			want:   outcome{Class: providers.Transient, Ambiguous: true, Message: "timed out", HasErr: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			u := tt.url(t) + "?token=" + secret
			resp, err := providers.Do(providers.NewHTTPClient(tt.config), post(t, ctx, u))
			if err == nil {
				t.Fatalf("Do = status %d, want an error", resp.Status)
			}
			if resp != nil {
				t.Errorf("Do returned a response alongside %v", err)
			}
			if diff := cmp.Diff(tt.want, outcomeOf(t, err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error text carries the secret: %q", err)
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("error still wraps a *url.Error (%q), which names the URL", ue)
			}
		})
	}
}

func TestNewHTTPClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/send", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	resp, err := providers.Do(providers.NewHTTPClient(providers.HTTPConfig{}), post(t, t.Context(), srv.URL+"/send"))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Status != http.StatusFound {
		t.Errorf("Status = %d, want %d", resp.Status, http.StatusFound)
	}
	if loc := resp.Header.Get("Location"); loc != "/elsewhere" {
		t.Errorf("Location = %q, want /elsewhere", loc)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestNewHTTPClientDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cfg          providers.HTTPConfig
		wantTimeout  time.Duration
		wantMaxConns int
	}{
		{"zero", providers.HTTPConfig{}, 15 * time.Second, 64},
		{"negative", providers.HTTPConfig{Timeout: -time.Second, MaxConns: -1}, 15 * time.Second, 64},
		{"set", providers.HTTPConfig{Timeout: 3 * time.Second, MaxConns: 8}, 3 * time.Second, 8},
	}
	for _, tt := range tests {
		c := providers.NewHTTPClient(tt.cfg)
		if c.Timeout != tt.wantTimeout {
			t.Errorf("%s: Timeout = %v, want %v", tt.name, c.Timeout, tt.wantTimeout)
		}
		tr, ok := c.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("%s: Transport is %T, want *http.Transport", tt.name, c.Transport)
		}
		if tr.MaxConnsPerHost != tt.wantMaxConns || tr.MaxIdleConnsPerHost != tt.wantMaxConns {
			t.Errorf("%s: MaxConnsPerHost = %d, MaxIdleConnsPerHost = %d, want %d", tt.name, tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tt.wantMaxConns)
		}
		if tr.ResponseHeaderTimeout != tt.wantTimeout {
			t.Errorf("%s: ResponseHeaderTimeout = %v, want %v", tt.name, tr.ResponseHeaderTimeout, tt.wantTimeout)
		}
	}
	if providers.NewHTTPClient(providers.HTTPConfig{}).Transport == providers.NewHTTPClient(providers.HTTPConfig{}).Transport {
		t.Error("two clients share a transport; each account needs its own pool")
	}
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	ascii200 := strings.Repeat("x", 200)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"nil", "", ""},
		{"short", `{"error":"bad"}`, `{"error":"bad"}`},
		{"collapses whitespace onto one line", "  upstream\n\terror \r\n  503  ", "upstream error 503"},
		{"200 bytes kept whole", ascii200, ascii200},
		{"201 bytes cut", ascii200 + "y", ascii200 + "…"},
		{"cut after collapsing", strings.Repeat("a ", 150), strings.TrimSpace(strings.Repeat("a ", 100)) + " …"},
		{"2-byte runes cut on a boundary", strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
		{"3-byte runes never split", strings.Repeat("€", 100), strings.Repeat("€", 66) + "…"},
		{"4-byte runes never split", "x" + strings.Repeat("🎉", 60), "x" + strings.Repeat("🎉", 49) + "…"},
		{"4-byte rune ending at the cut", strings.Repeat("x", 196) + strings.Repeat("🎉", 2), strings.Repeat("x", 196) + "🎉…"},
		{"binary body backs off at most 3 bytes", strings.Repeat("\x80", 300), strings.Repeat("\x80", 197) + "…"},
	}
	for _, tt := range tests {
		got := providers.Snippet([]byte(tt.in))
		if got != tt.want {
			t.Errorf("%s: Snippet =\n%q, want\n%q", tt.name, got, tt.want)
		}
		if utf8.ValidString(tt.in) && !utf8.ValidString(got) {
			t.Errorf("%s: Snippet of valid UTF-8 is invalid UTF-8: %q", tt.name, got)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"no secrets", "key=abcd1234", nil, "key=abcd1234"},
		{"one secret, twice", "key=abcd1234&again=abcd1234", []string{"abcd1234"}, "key=[redacted]&again=[redacted]"},
		{"several secrets", "user=amina pass=hunter22", []string{"amina", "hunter22"}, "user=[redacted] pass=[redacted]"},
		{"secret absent", "all clear", []string{"abcd1234"}, "all clear"},
		{"empty secret ignored", "all clear", []string{""}, "all clear"},
		{"secret under 4 characters ignored", "id=abc", []string{"abc"}, "id=abc"},
		{"4-character secret redacted", "id=abcd", []string{"abcd"}, "id=[redacted]"},
		{"empty input", "", []string{"abcd1234"}, ""},
	}
	for _, tt := range tests {
		if got := providers.Redact(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("%s: Redact(%q, %q) = %q, want %q", tt.name, tt.in, tt.secrets, got, tt.want)
		}
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A request written on a kept-alive connection the provider had closed
// while it was idle (the transport says "server closed idle connection")
// never reached it: a plain transient failure, not an ambiguous one. A
// connection broken after the request was written stays ambiguous.
func TestDoClosedIdleConnectionIsNotAmbiguous(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err       error
		ambiguous bool
	}{
		{errors.New("http: server closed idle connection"), false},
		{io.ErrUnexpectedEOF, true},
	} {
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			tr := httptrace.ContextClientTrace(r.Context())
			tr.GotConn(httptrace.GotConnInfo{Reused: true})
			tr.WroteRequest(httptrace.WroteRequestInfo{})
			return nil, c.err
		})}
		_, err := providers.Do(client, post(t, t.Context(), "http://provider.invalid/send"))
		se := providers.AsSendError(err)
		if se.Class != providers.Transient || se.Ambiguous != c.ambiguous {
			t.Errorf("%v: class %v ambiguous %v, want transient, ambiguous %v", c.err, se.Class, se.Ambiguous, c.ambiguous)
		}
	}
}
