package meta_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/wabulk/wabulk/providers/meta"
)

const (
	testToken     = "EAAGm0PX4ZCpsBAtestTOKEN7Q2x9LmN4pR8sV1w"
	testSecret    = "app-secret-5f4dcc3b5aa765d61d8327deb882cf99"
	testPhoneID   = "106540352242922"
	testWamid     = "wamid.HBgMMjU1NzEyMzQ1Njc4FQIAERgSNzE2QjNGQjY4RDM4RkE5NkY4AA=="
	messagesPath  = "/v21.0/" + testPhoneID + "/messages"
	okBody        = `{"messaging_product":"whatsapp","contacts":[{"input":"+255712345678","wa_id":"255712345678"}],"messages":[{"id":"` + testWamid + `"}]}`
	okBodyPacing  = `{"messaging_product":"whatsapp","contacts":[{"input":"255712345678","wa_id":"255712345678"}],"messages":[{"id":"` + testWamid + `","message_status":"accepted"}]}`
	defaultSender = "+15550783881"
)

// recorded is one request the fake Graph API received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeGraph is an httptest server that records every request and answers
// with respond.
type fakeGraph struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond http.HandlerFunc) *fakeGraph {
	t.Helper()
	f := &fakeGraph{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("fake graph: reading request: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGraph) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the one request f received.
func (f *fakeGraph) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("fake graph got %d requests, want 1", len(reqs))
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

// graphError is the Graph API error body for code with Meta's usual
// message, details and trace id.
func graphError(code any, message, details string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": "OAuthException", "code": code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "AazLKqW9Rp0CEZYOcdIw6Jd",
	}})
	return string(b)
}

// newClient returns a Client against base + "/v21.0" with the test
// credentials unless cfg sets its own.
func newClient(t *testing.T, cfg meta.Config) *meta.Client {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.PhoneNumberID == "" {
		cfg.PhoneNumberID = testPhoneID
	}
	c, err := meta.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// clientFor is a Client whose BaseURL is f's URL + "/v21.0".
func clientFor(t *testing.T, f *fakeGraph) *meta.Client {
	t.Helper()
	return newClient(t, meta.Config{BaseURL: f.URL + "/v21.0"})
}

func msg(c message.Content) *message.Message {
	return &message.Message{ID: "camp-1:+255712345678", Account: "meta-main", From: defaultSender, To: "+255712345678", Content: c}
}

// sendErr sends m and returns the *SendError it must fail with.
func sendErr(t *testing.T, c *meta.Client, m *message.Message) *providers.SendError {
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

// sign returns the X-Hub-Signature-256 value Meta would send for body.
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// signed returns headers carrying body's signature with the test secret.
func signed(body string) http.Header {
	return http.Header{"X-Hub-Signature-256": {sign(testSecret, body)}, "Content-Type": {"application/json"}}
}

// containsSecret reports whether s holds the token or app secret, or any
// 8-character piece of them (a truncated secret is a leaked secret).
func containsSecret(s string) bool {
	for _, sec := range []string{testToken, testSecret} {
		for i := 0; i+8 <= len(sec); i++ {
			if strings.Contains(s, sec[i:i+8]) {
				return true
			}
		}
	}
	return false
}

// newClientWithSecret is clientFor with the test app secret configured.
func newClientWithSecret(t *testing.T, f *fakeGraph) *meta.Client {
	t.Helper()
	return newClient(t, meta.Config{BaseURL: f.URL + "/v21.0", AppSecret: testSecret})
}
