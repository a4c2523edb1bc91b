package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
)

const testKey = "test-key"

// ignoreTimeline leaves the accept timeline (peak, first, last, gaps) out of
// Stats comparisons that are about counts; timeline_test.go checks it.
var ignoreTimeline = cmpopts.IgnoreFields(Stats{}, "PeakPerSecond", "FirstAccept", "LastAccept", "Gaps")

// newSim starts s behind a real HTTP server and returns it with its URL.
func newSim(t testing.TB, cfg Config) (*Simulator, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, srv.URL
}

// reply is an answer as a client sees it.
type reply struct {
	status int
	header http.Header
	raw    string
	body   wireBody
}

// wireBody decodes every Tujenge answer shape.
type wireBody struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Errors []wireError `json:"errors"`
	Meta   wireMeta    `json:"meta"`
}

type wireError struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Details string `json:"details"`
}

type wireMeta struct {
	APIStatus        string   `json:"api_status,omitempty"`
	Version          string   `json:"version,omitempty"`
	Success          *bool    `json:"success,omitempty"`
	HTTPCode         int      `json:"http_code,omitempty"`
	DeveloperMessage string   `json:"developer_message,omitempty"`
	Details          []string `json:"details,omitempty"`
}

var onPremMeta = wireMeta{APIStatus: "stable", Version: "2.45.1"}

func gatewayMeta(code int, msg string, details ...string) wireMeta {
	f := false
	return wireMeta{Success: &f, HTTPCode: code, DeveloperMessage: msg, Details: details}
}

// do sends one request with a plain net/http client. It is safe to call
// from any goroutine: a failure is reported with Errorf and a status of 0.
func do(t testing.TB, c *http.Client, method, url, key, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("WA-API-KEY", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: reading body: %v", method, url, err)
		return reply{}
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.body); err != nil {
			t.Errorf("%s %s: answer is not JSON: %v: %s", method, url, err, b)
		}
	}
	return r
}

// send posts body to base+/v1/messages with the test key.
func send(t testing.TB, base, body string) reply {
	t.Helper()
	return do(t, http.DefaultClient, http.MethodPost, base+"/v1/messages", testKey, body)
}

func textTo(waID string) string {
	return `{"recipient_type":"individual","to":"` + waID + `","type":"text","text":{"body":"Habari!"}}`
}
