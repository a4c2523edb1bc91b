package tujenge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/tujenge"
)

const testKey = "tj-live-7Q2x9LmN4pR8sV1w"

// recorded is one request the fake Tujenge received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeTujenge is an httptest server that records every request and answers
// with respond.
type fakeTujenge struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeTujenge {
	t.Helper()
	f := &fakeTujenge{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake tujenge: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTujenge) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeTujenge) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake tujenge got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// reply answers with status, body and header pairs ("Retry-After", "7").
func reply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		if json.Valid([]byte(body)) {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const okBody = `{"messages":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}],"meta":{"api_status":"stable","version":"2.41.3"}}`

func newClient(t *testing.T, cfg tujenge.Config) *tujenge.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := tujenge.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+255712345678", Account: "tujenge-main", To: "+255712345678", Content: c}
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *tujenge.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	return asSendError(t, r, err)
}

func asSendError(t *testing.T, r providers.Receipt, err error) *providers.SendError {
	t.Helper()
	if err == nil {
		t.Fatalf("Send succeeded with %+v, want an error", r)
	}
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send error %T %v is not a *providers.SendError", err, err)
	}
	return se
}

// jsonDiff compares two JSON documents by value.
func jsonDiff(t *testing.T, want string, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, got)
	}
	return cmp.Diff(w, g)
}

// outcome is the part of a SendError the worker acts on.
type outcome struct {
	Class      providers.Class
	Reason     providers.Reason
	Code       string
	HTTPStatus int
	Ambiguous  bool
}

func outcomeOf(se *providers.SendError) outcome {
	return outcome{Class: se.Class, Reason: se.Reason, Code: se.Code, HTTPStatus: se.HTTPStatus, Ambiguous: se.Ambiguous}
}
