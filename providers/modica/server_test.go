package modica_test

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
	"github.com/wabulk/wabulk/providers/modica"
)

const (
	testUser = "wabulk-app"
	testPass = "mg-pass-7Q2x9LmN4pR8sV1w"
)

// recorded is one request the fake gateway received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeGateway is an httptest server that records every request and answers
// with respond.
type fakeGateway struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeGateway {
	t.Helper()
	f := &fakeGateway{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake gateway: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGateway) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeGateway) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake gateway got %d requests, want 1", len(reqs))
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

// okBody is the documented success: 201 and a bare array with the id.
const okBody = `[1234567]`

func newClient(t *testing.T, cfg modica.Config) *modica.Client {
	t.Helper()
	if cfg.Username == "" {
		cfg.Username = testUser
	}
	if cfg.Password == "" {
		cfg.Password = testPass
	}
	c, err := modica.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+64211234567", Account: "modica-nz", To: "+64211234567", Content: c}
}

func textMsg(body string) *message.Message {
	return msg(message.Content{Text: &message.Text{Body: body}})
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *modica.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
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
