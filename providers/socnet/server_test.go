package socnet_test

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
	"github.com/wabulk/wabulk/providers/socnet"
)

// testKey is a 32-byte key, as the document describes.
const testKey = "5f3c9a1e7b2d4c6a8e0f1a3b5c7d9e2f"

// recorded is one request the fake Socnet received.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// fakeSocnet is an httptest server that records every request and answers
// with respond.
type fakeSocnet struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeSocnet {
	t.Helper()
	f := &fakeSocnet{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake socnet: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSocnet) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeSocnet) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake socnet got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// endpoint is the fake's URL with the document's path.
func (f *fakeSocnet) endpoint() string { return f.URL + "/projects/bulk/whatsapp/api.php" }

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

// The document's two success shapes.
const (
	channel1 = `{"sent":"true","from":"256701234567@c.us","message_type":"chat","messageId":"3EB002BAE9545124A5B7B2","cost":"90"}`
	channel2 = `{"messaging_product":"whatsapp","contacts":[{"input":"256701234567","wa_id":"256701234567"}],"messages":[{"id":"wamid.HBgMMjU2NzAxMjM0NTY3FQIAERgSQjE0","message_status":"accepted"}],"cost":0}`
)

// general is the document's general response format.
func general(status any, text string) string {
	b, _ := json.Marshal(map[string]any{"message": text, "status": status})
	return string(b)
}

func newClient(t *testing.T, cfg socnet.Config) *socnet.Client {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	c, err := socnet.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

const ugandan = "+256701234567"

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:" + ugandan, Account: "socnet-main", To: ugandan, Content: c}
}

var textMsg = message.Content{Text: &message.Text{Body: "Oli otya"}}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *socnet.Client, m *message.Message) *providers.SendError {
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

// containsKey reports whether s holds the test key or any 8-character piece
// of it (a truncated key is a leaked key).
func containsKey(s string) bool {
	for i := 0; i+8 <= len(testKey); i++ {
		if strings.Contains(s, testKey[i:i+8]) {
			return true
		}
	}
	return false
}
