package decisiontelecom_test

import (
	"context"
	"encoding/base64"
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
	"github.com/wabulk/wabulk/providers/decisiontelecom"
)

// testKey is a User Hash Key; wantAuth is how it travels (curl's
// CURLOPT_USERPWD with the key as the user name and no password).
const (
	testKey    = "dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e"
	testSource = "Custom Company"
)

var wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"))

// recorded is one request the fake DecisionTelecom received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeDT is an httptest server that records every request and answers with
// respond.
type fakeDT struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeDT {
	t.Helper()
	f := &fakeDT{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake decisiontelecom: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDT) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeDT) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake decisiontelecom got %d requests, want 1", len(reqs))
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
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const okBody = `{"message_id":554}`

// dtError is the document's error object.
func dtError(name, msg string, code any, status any) string {
	b, _ := json.Marshal(map[string]any{"name": name, "message": msg, "code": code, "status": status})
	return string(b)
}

func newClient(t *testing.T, cfg decisiontelecom.Config) *decisiontelecom.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.Source == "" {
		cfg.Source = testSource
	}
	c, err := decisiontelecom.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+380631234567", Account: "dt-main", To: "+380631234567", Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "Message content"}}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *decisiontelecom.Client, m *message.Message) *providers.SendError {
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
		t.Fatalf("body is not JSON: %v\n%s", err, got)
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

// containsKey reports whether s holds the key, its wire form, or any
// 8-character piece of either (a truncated key is a leaked key).
func containsKey(s string) bool {
	for _, secret := range []string{testKey, strings.TrimPrefix(wantAuth, "Basic ")} {
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+8]) {
				return true
			}
		}
	}
	return false
}
