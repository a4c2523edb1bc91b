package taqnyat_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

const testToken = "tq-live-9Fh3kQ7xLmP2sW8v"

// recorded is one request the fake Taqnyat received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeTaqnyat is an httptest server that records every request and answers
// with respond.
type fakeTaqnyat struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeTaqnyat {
	t.Helper()
	f := &fakeTaqnyat{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake taqnyat: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTaqnyat) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeTaqnyat) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake taqnyat got %d requests, want 1", len(reqs))
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

const okID = "01DPNXZ0WCF9XD19MH84XD0P62"

// okBody is Taqnyat's answer to a send: a delivery report in state queued.
const okBody = `{"type":"whatsapp","statuses":[{"message_id":"` + okID + `","recipient":"+966501234567","status":"success","state":"queued"}]}`

// report is a send answer whose one report has status and state.
func report(status, state, details string) string {
	b, _ := json.Marshal(map[string]any{"type": "whatsapp", "statuses": []any{map[string]any{
		"message_id": okID, "recipient": "966501234567", "status": status, "state": state, "details": details,
	}}})
	return string(b)
}

// apiError is the error body of the API the document reproduces.
func apiError(msg, details string) string {
	b, _ := json.Marshal(map[string]any{"message": msg, "details": details})
	return string(b)
}

func newClient(t *testing.T, cfg taqnyat.Config) *taqnyat.Client {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	c, err := taqnyat.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+966501234567", Account: "taqnyat-main", To: "+966501234567", Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "مرحبا"}}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *taqnyat.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	if err == nil {
		t.Fatalf("Send succeeded with %+v, want an error", r)
	}
	return asSendError(t, err)
}

func asSendError(t *testing.T, err error) *providers.SendError {
	t.Helper()
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not a *providers.SendError", err, err)
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

// containsToken reports whether s holds the test token or any 8-character
// piece of it (a truncated token is a leaked token).
func containsToken(s string) bool {
	for i := 0; i+8 <= len(testToken); i++ {
		if strings.Contains(s, testToken[i:i+8]) {
			return true
		}
	}
	return false
}
