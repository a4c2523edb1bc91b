package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
)

// t0 is where the tests' clock stands: whole milliseconds, as the store
// keeps them.
var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// harness is one test's Redis, store, asynq client and inspector, all under
// a key prefix of its own, and the clock the store and producers share.
type harness struct {
	r      *storetest.Redis
	st     *store.Store
	client *asynq.Client
	insp   *asynq.Inspector
	clock  *sharedtest.Clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	r := storetest.New(t)
	clock := sharedtest.NewClock(t0)
	return &harness{
		r:      r,
		st:     store.New(r.Client, store.Config{Prefix: r.Prefix, Now: clock.Now}),
		client: asynq.NewClientFromRedisClient(r.Client),
		insp:   asynq.NewInspectorFromRedisClient(r.Client),
		clock:  clock,
	}
}

// producer returns a Producer on h's Redis; cfg.Prefix is always h's and
// the clock defaults to h's.
func (h *harness) producer(cfg producer.Config) *producer.Producer {
	cfg.Prefix = h.r.Prefix
	if cfg.Now == nil {
		cfg.Now = h.clock.Now
	}
	return producer.New(h.st, h.client, cfg)
}

func (h *harness) queue(l message.Lane) string { return message.QueueName(h.r.Prefix, l) }

// pending returns the decoded pending send tasks of lane l, by message ID.
func (h *harness) pending(t *testing.T, l message.Lane) []*message.Message {
	t.Helper()
	infos, err := h.insp.ListPendingTasks(h.queue(l), asynq.PageSize(10_000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list pending tasks of %s: %v", l, err)
	}
	return decodeAll(t, infos)
}

// scheduled returns the scheduled tasks of lane l, by message ID.
func (h *harness) scheduled(t *testing.T, l message.Lane) []*asynq.TaskInfo {
	t.Helper()
	infos, err := h.insp.ListScheduledTasks(h.queue(l), asynq.PageSize(10_000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("list scheduled tasks of %s: %v", l, err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos
}

func decodeAll(t *testing.T, infos []*asynq.TaskInfo) []*message.Message {
	t.Helper()
	out := make([]*message.Message, 0, len(infos))
	for _, ti := range infos {
		if ti.Type != message.TypeSend {
			t.Fatalf("task %s has type %q", ti.ID, ti.Type)
		}
		m, err := message.DecodeSendTask(ti.Payload)
		if err != nil {
			t.Fatalf("decode task %s: %v", ti.ID, err)
		}
		if ti.ID != m.ID {
			t.Errorf("task id %q, message id %q: want the task id to be the message id", ti.ID, m.ID)
		}
		if ti.MaxRetry != message.TaskMaxRetry {
			t.Errorf("task %s MaxRetry = %d, want %d", ti.ID, ti.MaxRetry, message.TaskMaxRetry)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

const apiToken = "api-t0ken-0123456789abcdef"

// apiEnv is one test's HTTP API on its own Redis prefix, served over real
// HTTP, with its log.
type apiEnv struct {
	h    *harness
	api  *httpapi.API
	srv  *httptest.Server
	logs *observer.ObservedLogs
}

func newAPIEnv(t *testing.T, cfg httpapi.Config) *apiEnv {
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
	a, err := httpapi.New(h.producer(producer.Config{DefaultRegion: "TZ"}), cfg)
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
	return &apiEnv{h: h, api: a, srv: srv, logs: logs}
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
