package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/fleet"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/producer/producertest"
	"github.com/wabulk/wabulk/scheduler"
)

// t0 is where the tests' clock stands.
var t0 = producertest.T0

// harness is one test's Redis, store, queues and clock (producertest).
type harness = producertest.Harness

func newHarness(t *testing.T) *harness { return producertest.New(t) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

const apiToken = "api-t0ken-0123456789abcdef"

// apiEnv is one test's HTTP API on its own Redis prefix, served over real
// HTTP, with its log and its Fleet.
type apiEnv struct {
	h     *harness
	api   *httpapi.API
	srv   *httptest.Server
	logs  *observer.ObservedLogs
	fleet *fleet.Fleet
}

// testFleet is the Fleet config of the API tests: the two accounts of
// the default Rates, one checkable here, and one daily job.
func testFleet() *fleet.Config {
	return &fleet.Config{
		Accounts: []fleet.AccountConfig{
			{Name: "tujenge-main", Kind: "tujenge", Rate: 80},
			{Name: "meta-main", Kind: "meta", Rate: 80, Checkable: true},
		},
		Jobs: []scheduler.Job{{ID: "remind", Cron: "0 9 * * *", Audience: "/srv/remind.csv",
			Spec: producer.Spec{Account: "tujenge-main", Message: message.Content{Text: &message.Text{Body: "Hi {{name}}"}}}}},
		Check: func(ctx context.Context, account string) fleet.CheckResult {
			return fleet.CheckResult{Verdict: "works", OK: true, Detail: "test check"}
		},
	}
}

// newAPIEnv returns the API on cfg with testFleet's Fleet (unless cfg
// has one).
func newAPIEnv(t *testing.T, cfg httpapi.Config) *apiEnv {
	t.Helper()
	return newAPIEnvFleet(t, cfg, testFleet())
}

// newAPIEnvFleet returns the API on cfg with a Fleet on fc (nil: none).
func newAPIEnvFleet(t *testing.T, cfg httpapi.Config, fc *fleet.Config) *apiEnv {
	t.Helper()
	h := newHarness(t)
	core, logs := observer.New(zapcore.DebugLevel)
	if cfg.Tokens == nil {
		cfg.Tokens = []string{"another-token-0000000000", apiToken}
	}
	if cfg.Rates == nil {
		cfg.Rates = map[string]float64{"tujenge-main": 80, "meta-main": 80}
	}
	cfg.Logger = zap.New(core)
	p := h.Producer(producer.Config{DefaultRegion: "TZ"})
	if fc != nil && cfg.Fleet == nil {
		if fc.Now == nil {
			fc.Now = h.Clock.Now
		}
		cfg.Fleet = fleet.New(h.St, p, *fc)
	}
	fl := cfg.Fleet
	a, err := httpapi.New(p, cfg)
	must(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		// No token reaches a log line.
		for _, e := range logs.All() {
			if s := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(s, apiToken) || strings.Contains(s, "wrong-token") {
				t.Errorf("a token reached the log: %s", s)
			}
		}
	})
	return &apiEnv{h: h, api: a, srv: srv, logs: logs, fleet: fl}
}

// apiAnswer is an HTTP answer.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (a apiAnswer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", a.status, a.body, err)
	}
}

// apiErr decodes an error answer.
func (a apiAnswer) apiErr(t *testing.T) httpapi.ErrorDetail {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error answer %d has Content-Type %q, want JSON: %s", a.status, ct, a.body)
	}
	var e httpapi.ErrorResponse
	a.json(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("error answer %d without code or message: %s", a.status, a.body)
	}
	return e.Error
}

// do sends a request with the API token (unless header sets
// Authorization) and returns the apiAnswer.
func (a *apiEnv) do(t *testing.T, method, path string, body io.Reader, header http.Header) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, body)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.srv.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return apiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a *apiEnv) postJSON(t *testing.T, path, body string, header http.Header) apiAnswer {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	return a.do(t, http.MethodPost, path, strings.NewReader(body), header)
}

func (a *apiEnv) get(t *testing.T, path string) apiAnswer {
	t.Helper()
	return a.do(t, http.MethodGet, path, nil, nil)
}

// upload is a multipart body: parts in order.
type formPart struct {
	name, filename, contentType, body string
}

func apiMultipart(t *testing.T, parts ...formPart) (io.Reader, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		must(t, err)
		_, err = io.WriteString(w, p.body)
		must(t, err)
	}
	must(t, mw.Close())
	return &buf, http.Header{"Content-Type": {mw.FormDataContentType()}}
}

func (a *apiEnv) upload(t *testing.T, query string, parts ...formPart) apiAnswer {
	t.Helper()
	body, header := apiMultipart(t, parts...)
	return a.do(t, http.MethodPost, "/v1/campaigns"+query, body, header)
}

const apiTextContent = `{"text": {"body": "Your code is 4711"}}`

const apiSpec = `
id: spring
account: tujenge-main
message:
  text: {body: "Hi {{name}}"}
`
