package producer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

const apiToken = "api-t0ken-0123456789abcdef"

// apiEnv is one test's HTTP API on its own Redis prefix, served over real
// HTTP, with its log.
type apiEnv struct {
	h    *harness
	api  *producer.API
	srv  *httptest.Server
	logs *observer.ObservedLogs
}

func newAPIEnv(t *testing.T, cfg producer.APIConfig) *apiEnv {
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
	a, err := producer.NewAPI(h.producer(producer.Config{DefaultRegion: "TZ"}), cfg)
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
func (a apiAnswer) apiErr(t *testing.T) producer.APIError {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error answer %d has Content-Type %q, want JSON: %s", a.status, ct, a.body)
	}
	var e producer.ErrorResponse
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

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{})
	for _, c := range []struct {
		name, auth, wantChallenge string
	}{
		{"no token", "", `Bearer realm="wabulk"`},
		{"basic instead of bearer", "Basic " + apiToken, `Bearer realm="wabulk"`},
		{"empty bearer", "Bearer ", `Bearer realm="wabulk"`},
		{"wrong token", "Bearer wrong-token", `Bearer realm="wabulk", error="invalid_token"`},
		{"a token's prefix", "Bearer " + apiToken[:10], `Bearer realm="wabulk", error="invalid_token"`},
	} {
		for _, path := range []string{"/v1/messages/api:x", "/v1/campaigns/c1"} {
			got := a.do(t, http.MethodGet, path, nil, http.Header{"Authorization": {c.auth}})
			if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != c.wantChallenge {
				t.Errorf("%s, GET %s: %d, WWW-Authenticate %q; want 401 and %q", c.name, path, got.status, got.header.Get("WWW-Authenticate"), c.wantChallenge)
			}
			if e := got.apiErr(t); e.Code != "unauthorized" || strings.Contains(string(got.body), apiToken) {
				t.Errorf("%s: error %+v", c.name, e)
			}
		}
	}
	// The right token, either of two, in any case of "Bearer".
	for _, auth := range []string{"Bearer " + apiToken, "bearer another-token-0000000000"} {
		got := a.do(t, http.MethodGet, "/v1/messages/api:x", nil, http.Header{"Authorization": {auth}})
		if got.status != http.StatusNotFound || got.apiErr(t).Code != "not_found" {
			t.Errorf("%q: %d %s, want the 404 of an unknown message", auth, got.status, got.body)
		}
	}
	// Nothing was stored for the refused requests.
	got := a.do(t, http.MethodPost, "/v1/messages", strings.NewReader(`{"to":"+255712345678","content":`+apiTextContent+`}`),
		http.Header{"Authorization": {"Bearer wrong-token"}, "Content-Type": {"application/json"}})
	if got.status != http.StatusUnauthorized || len(a.h.pending(t, message.LaneHigh)) != 0 {
		t.Errorf("unauthenticated POST: %d, tasks %d", got.status, len(a.h.pending(t, message.LaneHigh)))
	}
	// The document needs no token.
	resp, err := http.Get(a.srv.URL + "/v1/openapi.yaml")
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(b, producer.OpenAPI) {
		t.Errorf("GET /v1/openapi.yaml without a token: %d, %d bytes", resp.StatusCode, len(b))
	}
	if _, err := producer.NewAPI(a.h.producer(producer.Config{}), producer.APIConfig{Tokens: []string{""}}); !errors.Is(err, producer.ErrAPINoTokens) {
		t.Errorf("NewAPI without a token: %v, want ErrAPINoTokens", err)
	}
}

// The same idempotency key twice is one record and one task, answered with
// the same message; the same key with another request is 409.
func TestAPISendIsIdempotent(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{DefaultAccount: "tujenge-main"})
	body := `{"to": "0712 345 678", "content": ` + apiTextContent + `, "ttl": "2h"}`
	key := http.Header{"Idempotency-Key": {"order-8812"}}

	first := a.postJSON(t, "/v1/messages", body, key)
	if first.status != http.StatusAccepted {
		t.Fatalf("first POST: %d %s", first.status, first.body)
	}
	var r1 producer.SendResult
	first.json(t, &r1)
	want := producer.SendResult{
		MessageInfo: producer.MessageInfo{ID: "api:order-8812", Account: "tujenge-main", To: "+255712345678", Status: message.Queued, CreatedAt: t0, UpdatedAt: t0},
		Priority:    message.LaneHigh,
		ExpiresAt:   t0.Add(2 * time.Hour),
	}
	if diff := cmp.Diff(want, r1); diff != "" {
		t.Errorf("first answer (-want +got):\n%s", diff)
	}
	if loc := first.header.Get("Location"); loc != "/v1/messages/api:order-8812" {
		t.Errorf("Location %q", loc)
	}

	// The same request, written differently, with the key in the body.
	again := a.postJSON(t, "/v1/messages", `{"account": "tujenge-main", "to": "+255712345678", "content": `+apiTextContent+`, "ttl": "120m", "priority": "high", "idempotency_key": "order-8812"}`, key)
	if again.status != http.StatusOK {
		t.Fatalf("repeat: %d %s", again.status, again.body)
	}
	var r2 producer.SendResult
	again.json(t, &r2)
	want.IdempotentReplay = true
	if diff := cmp.Diff(want, r2); diff != "" {
		t.Errorf("repeat answer (-want +got):\n%s", diff)
	}
	tasks := a.h.pending(t, message.LaneHigh)
	if len(tasks) != 1 || tasks[0].ID != "api:order-8812" || tasks[0].Content.Text.Body != "Your code is 4711" || tasks[0].CampaignID != "" {
		t.Fatalf("tasks %+v, want the one message", tasks)
	}
	if !tasks[0].ExpiresAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("task expires %v", tasks[0].ExpiresAt)
	}
	counts, err := a.h.st.CampaignCounts(bg, "")
	must(t, err)
	if diff := cmp.Diff(store.Counts{message.Queued: 1}, counts); diff != "" {
		t.Errorf("direct counts (-want +got):\n%s", diff)
	}

	// The same key, another message: refused, nothing changes.
	conflict := a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": {"text": {"body": "Your code is 9999"}}}`, key)
	if e := conflict.apiErr(t); conflict.status != http.StatusConflict || e.Code != "idempotency_conflict" || e.Field != "idempotency_key" || !strings.Contains(e.Message, "order-8812") {
		t.Errorf("same key, other body: %d %+v", conflict.status, e)
	}
	// Header and body disagreeing is a mistake of the caller.
	mixed := a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": `+apiTextContent+`, "idempotency_key": "other"}`, key)
	if e := mixed.apiErr(t); mixed.status != http.StatusUnprocessableEntity || e.Field != "idempotency_key" {
		t.Errorf("header and body keys differ: %d %+v", mixed.status, e)
	}
	if n := len(a.h.pending(t, message.LaneHigh)); n != 1 {
		t.Errorf("%d tasks after the conflicts, want 1", n)
	}

	// Without a key every request is a new message.
	var ids []string
	for range 2 {
		got := a.postJSON(t, "/v1/messages", body, nil)
		var r producer.SendResult
		got.json(t, &r)
		if got.status != http.StatusAccepted || !strings.HasPrefix(r.ID, "msg-") || r.IdempotentReplay {
			t.Errorf("keyless POST: %d %+v", got.status, r)
		}
		ids = append(ids, r.ID)
	}
	if ids[0] == ids[1] {
		t.Errorf("two keyless messages share id %s", ids[0])
	}
}

func TestAPISendValidationNamesTheField(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{})
	ok := func(extra string) string {
		return `{"account": "tujenge-main", "to": "+255712345678", "content": ` + apiTextContent + extra + `}`
	}
	for _, c := range []struct {
		name, body  string
		header      http.Header
		status      int
		code, field string
		msg         string
	}{
		{"not a phone", `{"account": "tujenge-main", "to": "12345", "content": ` + apiTextContent + `}`, nil, 422, "invalid_request", "to", `to: "12345" is not a valid phone number`},
		{"no account", `{"to": "+255712345678", "content": ` + apiTextContent + `}`, nil, 422, "invalid_request", "account", "account: is required"},
		{"unknown account", `{"account": "nope", "to": "+255712345678", "content": ` + apiTextContent + `}`, nil, 422, "invalid_request", "account", `no provider account "nope" (have: meta-main, tujenge-main)`},
		{"no content", `{"account": "tujenge-main", "to": "+255712345678"}`, nil, 422, "invalid_request", "content", "content: content must set exactly one of"},
		{"two kinds", `{"account": "tujenge-main", "to": "+255712345678", "content": {"text": {"body": "a"}, "location": {"latitude": 1, "longitude": 2}}}`, nil, 422, "invalid_request", "content", "exactly one of"},
		{"empty text", `{"account": "tujenge-main", "to": "+255712345678", "content": {"text": {"body": " "}}}`, nil, 422, "invalid_request", "content", "content: text: body is empty"},
		{"bad media", `{"account": "tujenge-main", "to": "+255712345678", "content": {"image": {"url": "ftp://x/y.png"}}}`, nil, 422, "invalid_request", "content", "must be an absolute http or https link"},
		{"template without language", `{"account": "tujenge-main", "to": "+255712345678", "content": {"template": {"name": "t"}}}`, nil, 422, "invalid_request", "content", "language is required"},
		{"fallback for a template", `{"account": "tujenge-main", "to": "+255712345678", "content": {"template": {"name": "t", "language": "en"}}, "fallback_template": {"name": "f", "language": "en"}}`, nil, 422, "invalid_request", "fallback_template", "a template already"},
		{"bad fallback", ok(`, "fallback_template": {"name": "f"}`), nil, 422, "invalid_request", "fallback_template", "language is required"},
		{"bad sender", ok(`, "from": "0712345678"`), nil, 422, "invalid_request", "from", "international form"},
		{"bad priority", ok(`, "priority": "urgent"`), nil, 422, "invalid_request", "priority", `priority "urgent"`},
		{"bad ttl", ok(`, "ttl": "soon"`), nil, 422, "invalid_request", "ttl", `bad duration "soon"`},
		{"zero ttl", ok(`, "ttl": "0s"`), nil, 422, "invalid_request", "ttl", "must be greater than zero"},
		{"bad send_at", ok(`, "send_at": "tomorrow 9am"`), nil, 422, "invalid_request", "send_at", "not an RFC 3339 time"},
		{"bad key", ok(`, "idempotency_key": "a b"`), nil, 422, "invalid_request", "idempotency_key", "must be 1–128 letters"},
		{"key with a plus", ok(``), http.Header{"Idempotency-Key": {"+255712345678"}}, 422, "invalid_request", "idempotency_key", "must be 1–128"},
		{"long key", ok(``), http.Header{"Idempotency-Key": {strings.Repeat("k", 129)}}, 422, "invalid_request", "idempotency_key", "must be 1–128"},
		{"unknown field", ok(`, "recipient": "+255712345678"`), nil, 400, "invalid_json", "recipient", `unknown field "recipient"`},
		{"wrong type", `{"account": "tujenge-main", "to": 255712345678, "content": ` + apiTextContent + `}`, nil, 400, "invalid_json", "to", "to: want a string, not number"},
		{"nested wrong type", `{"account": "tujenge-main", "to": "+255712345678", "content": {"text": {"body": 5}}}`, nil, 400, "invalid_json", "content.text.body", "want a string"},
		{"not JSON", `{"to": `, nil, 400, "invalid_json", "", "JSON"},
		{"two values", ok(``) + ok(``), nil, 400, "invalid_json", "", "more than one JSON value"},
		{"empty", ``, nil, 400, "invalid_json", "", "body is empty"},
		{"an array", `[1]`, nil, 400, "invalid_json", "", "must be a JSON object"},
		{"form", `to=1`, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", "", "send application/json"},
		{"too large", ok(`, "from": "` + strings.Repeat(" ", 2<<20) + `"`), nil, 413, "too_large", "", "over the limit"},
	} {
		header := http.Header{"Content-Type": {"application/json"}}
		for k, v := range c.header {
			header[k] = v
		}
		got := a.do(t, http.MethodPost, "/v1/messages", strings.NewReader(c.body), header)
		e := got.apiErr(t)
		if got.status != c.status || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %d %+v\nwant %d %s field %q message containing %q", c.name, got.status, e, c.status, c.code, c.field, c.msg)
		}
	}
	if n := len(a.h.pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks from refused requests", n)
	}
}

// send_at schedules the task; the TTL counts from it; priority picks the
// lane.
func TestAPISendAtSchedulesTheTask(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{DefaultAccount: "tujenge-main"})
	sendAt := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	got := a.postJSON(t, "/v1/messages", fmt.Sprintf(`{"to": "+255712345678", "content": %s, "send_at": %q, "ttl": "30m", "priority": "low"}`,
		apiTextContent, sendAt.In(time.FixedZone("EAT", 3*3600)).Format(time.RFC3339)), http.Header{"Idempotency-Key": {"reminder-1"}})
	if got.status != http.StatusAccepted {
		t.Fatalf("POST: %d %s", got.status, got.body)
	}
	var r producer.SendResult
	got.json(t, &r)
	if !r.SendAt.Equal(sendAt) || !r.ExpiresAt.Equal(sendAt.Add(30*time.Minute)) || r.Priority != message.LaneLow {
		t.Errorf("answer send_at %v expires_at %v priority %s", r.SendAt, r.ExpiresAt, r.Priority)
	}
	if n := len(a.h.pending(t, message.LaneLow)); n != 0 {
		t.Errorf("%d pending tasks, want the message scheduled", n)
	}
	infos := a.h.scheduled(t, message.LaneLow)
	if len(infos) != 1 || infos[0].ID != "api:reminder-1" || infos[0].State != asynq.TaskStateScheduled || !infos[0].NextProcessAt.Equal(sendAt) {
		t.Fatalf("scheduled tasks %+v, want api:reminder-1 at %v", infos, sendAt)
	}
	m := decodeAll(t, infos)[0]
	if !m.ExpiresAt.Equal(sendAt.Add(30 * time.Minute)) {
		t.Errorf("task expires %v, want 30m after send_at", m.ExpiresAt)
	}
	// A replay of a scheduled message enqueues nothing new.
	again := a.postJSON(t, "/v1/messages", fmt.Sprintf(`{"to": "+255712345678", "content": %s, "send_at": %q, "ttl": "30m", "priority": "low"}`,
		apiTextContent, sendAt.Format(time.RFC3339)), http.Header{"Idempotency-Key": {"reminder-1"}})
	if again.status != http.StatusOK || len(a.h.scheduled(t, message.LaneLow)) != 1 {
		t.Errorf("replay: %d %s, %d scheduled", again.status, again.body, len(a.h.scheduled(t, message.LaneLow)))
	}
}

// An opted-out recipient's message gets a record that ends opted_out at
// once, and no task.
func TestAPISendToAnOptedOutRecipient(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{DefaultAccount: "tujenge-main"})
	must(t, a.h.st.OptOut(bg, "tujenge-main", "+255712345678", "STOP"))
	got := a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": `+apiTextContent+`}`, http.Header{"Idempotency-Key": {"k1"}})
	var r producer.SendResult
	got.json(t, &r)
	if got.status != http.StatusAccepted || r.Status != message.OptedOut || r.ErrorCode != "opted_out" {
		t.Fatalf("POST to an opted-out recipient: %d %+v", got.status, r)
	}
	if n := len(a.h.pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks, want none", n)
	}
	var m producer.MessageInfo
	g := a.get(t, "/v1/messages/api:k1")
	g.json(t, &m)
	if g.status != 200 || m.Status != message.OptedOut || m.ErrorCode != "opted_out" {
		t.Errorf("GET: %d %+v", g.status, m)
	}
	counts, err := a.h.st.CampaignCounts(bg, "")
	must(t, err)
	if diff := cmp.Diff(store.Counts{message.OptedOut: 1}, counts); diff != "" {
		t.Errorf("direct counts (-want +got):\n%s", diff)
	}
	// Another account's recipient is not affected.
	other := a.postJSON(t, "/v1/messages", `{"account": "meta-main", "to": "+255712345678", "content": `+apiTextContent+`}`, nil)
	other.json(t, &r)
	if r.Status != message.Queued {
		t.Errorf("another account: %+v", r)
	}
}

func TestAPIGetMessage(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{DefaultAccount: "tujenge-main"})
	a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": `+apiTextContent+`}`, http.Header{"Idempotency-Key": {"g1"}})
	_, err := a.h.st.Transition(bg, store.Ref{ID: "api:g1", Account: "tujenge-main"}, message.Sending, store.Update{IncAttempts: true})
	must(t, err)
	_, err = a.h.st.Transition(bg, store.Ref{ID: "api:g1", Account: "tujenge-main"}, message.Accepted, store.Update{ProviderMessageID: "wamid.1"})
	must(t, err)
	got := a.get(t, "/v1/messages/api:g1")
	var m producer.MessageInfo
	got.json(t, &m)
	want := producer.MessageInfo{ID: "api:g1", Account: "tujenge-main", To: "+255712345678", Status: message.Accepted, Attempts: 1,
		ProviderMessageID: "wamid.1", CreatedAt: t0, UpdatedAt: t0}
	if diff := cmp.Diff(want, m); got.status != 200 || diff != "" {
		t.Errorf("GET: %d (-want +got):\n%s", got.status, diff)
	}
	nf := a.get(t, "/v1/messages/api:nope")
	if e := nf.apiErr(t); nf.status != 404 || e.Code != "not_found" || !strings.Contains(e.Message, `"api:nope"`) {
		t.Errorf("unknown message: %d %+v", nf.status, e)
	}
}

const apiSpec = `
id: spring
account: tujenge-main
message:
  text: {body: "Hi {{name}}"}
`

// An upload imports like `wabulk import`: bad rows are listed with their
// line and the rest is imported; a re-upload resumes.
func TestAPICampaignUpload(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{MaxRejects: 2})
	csvBody := "phone,name\n+255712345678,Amina\n12345,Baraka\n0712345679,Chausiku\n+255712345678,Amina\n+255712345680,\n"
	got := a.upload(t, "", formPart{"spec", "spring.yaml", "application/yaml", apiSpec}, formPart{"recipients", "r.csv", "text/csv", csvBody})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	var up producer.CampaignUpload
	got.json(t, &up)
	want := producer.CampaignUpload{ID: "spring", Created: true, Lines: 5, Accepted: 2, Duplicate: 1, Rejected: 2, Rejects: []producer.Reject{
		{Line: 3, Reason: `phone "12345" is not a valid phone number`},
		{Line: 6, Reason: `column "name" is empty (the message uses {{name}})`},
	}}
	noEstimate := cmpopts.IgnoreFields(producer.CampaignUpload{}, "Admission")
	if diff := cmp.Diff(want, up, noEstimate); diff != "" {
		t.Errorf("upload answer (-want +got):\n%s", diff)
	}
	if e := up.Admission; e == nil || e.Account != "tujenge-main" || e.Rate != 80 || e.Rows != 2 || up.Warning != "" {
		t.Errorf("admission estimate %+v, warning %q; want 2 messages at 80/s, fitting", e, up.Warning)
	}
	if loc := got.header.Get("Location"); loc != "/v1/campaigns/spring" {
		t.Errorf("Location %q", loc)
	}
	var tos []string
	for _, m := range a.h.pending(t, message.LaneNormal) {
		tos = append(tos, m.To+" "+m.Content.Text.Body)
	}
	if diff := cmp.Diff([]string{"+255712345678 Hi Amina", "+255712345679 Hi Chausiku"}, tos); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}

	// Again, as JSON spec and JSONL recipients: nothing new.
	specJSON := `{"id": "spring", "account": "tujenge-main", "message": {"text": {"body": "Hi {{name}}"}}}`
	jsonl := `{"phone": "+255712345678", "name": "Amina"}` + "\n" + `{"phone": "+255712345681", "name": "Dora"}` + "\n"
	got = a.upload(t, "", formPart{"spec", "", "", specJSON}, formPart{"recipients", "r.jsonl", "", jsonl})
	up = producer.CampaignUpload{}
	got.json(t, &up)
	want = producer.CampaignUpload{ID: "spring", Lines: 2, Accepted: 1, AlreadyPresent: 1, Rejects: []producer.Reject{}}
	if diff := cmp.Diff(want, up, noEstimate); got.status != http.StatusOK || diff != "" {
		t.Errorf("re-upload: %d (-want +got):\n%s", got.status, diff)
	}

	// The same id with another spec.
	got = a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "Hi", "Hello", 1)}, formPart{"recipients", "r.csv", "", csvBody})
	if e := got.apiErr(t); got.status != http.StatusConflict || e.Code != "campaign_conflict" || e.Field != "spec" {
		t.Errorf("another spec: %d %+v", got.status, e)
	}

	// The format part, and the cap on listed rejects.
	b := a.upload(t, "", formPart{"spec", "", "", strings.Replace(apiSpec, "spring", "capped", 1)}, formPart{"format", "", "", "csv"},
		formPart{"recipients", "r.txt", "", "phone,name\n1,a\n2,b\n3,c\n4,d\n"})
	up = producer.CampaignUpload{}
	b.json(t, &up)
	if b.status != http.StatusCreated || up.Rejected != 4 || len(up.Rejects) != 2 || !up.RejectsTruncated || up.Rejects[1].Line != 3 {
		t.Errorf("capped rejects: %d %+v", b.status, up)
	}
}

// Admission control: an upload that would not drain within its TTL is
// answered with a warning, or refused before anything is imported when
// strict.
func TestAPICampaignUploadAdmission(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{Rates: map[string]float64{"tujenge-main": 0.0001, "unlimited": -1}})
	spec := func(id string) formPart {
		return formPart{"spec", "", "", "ttl: 1h\n" + strings.Replace(apiSpec, "spring", id, 1)}
	}
	rows := formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\n"}

	got := a.upload(t, "?strict=true&rows=2", spec("strict"), rows)
	if e := got.apiErr(t); got.status != 422 || e.Code != "admission_refused" || !strings.Contains(e.Message, "past the 1h TTL") {
		t.Errorf("strict upload past its TTL: %d %+v", got.status, e)
	}
	if _, err := a.h.st.Campaign(bg, "strict"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused campaign was stored: %v", err)
	}
	got = a.upload(t, "?strict=true", spec("strict"), rows)
	if e := got.apiErr(t); got.status != 422 || e.Field != "rows" {
		t.Errorf("strict without rows: %d %+v", got.status, e)
	}

	got = a.upload(t, "", spec("lenient"), rows)
	var raw map[string]any
	got.json(t, &raw)
	adm, _ := raw["admission"].(map[string]any)
	if got.status != 201 || adm["fits"] != false || adm["rows"] != 2.0 || !strings.Contains(raw["warning"].(string), "past the 1h TTL") {
		t.Errorf("upload past its TTL: %d %s", got.status, got.body)
	}

	got = a.upload(t, "?strict=true&rows=2", formPart{"spec", "", "", strings.Replace(apiSpec, "tujenge-main", "unlimited", 1)}, rows)
	raw = nil
	got.json(t, &raw)
	if _, ok := raw["admission"]; got.status != 201 || ok {
		t.Errorf("an account without a limit: %d %s", got.status, got.body)
	}
}

func TestAPICampaignUploadErrors(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{MaxUploadBytes: 4 << 10})
	good := formPart{"spec", "", "", apiSpec}
	for _, c := range []struct {
		name, query string
		parts       []formPart
		status      int
		code, field string
		msg         string
	}{
		{"no spec", "", []formPart{{"recipients", "r.csv", "", "phone,name\n"}}, 422, "invalid_request", "spec", "must come before"},
		{"recipients before spec", "", []formPart{{"recipients", "r.csv", "", "phone,name\n"}, good}, 422, "invalid_request", "spec", "must come before"},
		{"no recipients", "", []formPart{good}, 422, "invalid_request", "recipients", "no recipients part"},
		{"bad spec", "", []formPart{{"spec", "", "", "id: x\naccount: tujenge-main\nmesage: {}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec", `unknown field "mesage"`},
		{"invalid spec", "", []formPart{{"spec", "", "", "id: x\nmessage: {text: {body: hi}}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec", "account is required"},
		{"unknown account", "", []formPart{{"spec", "", "", "id: x\naccount: nope\nmessage: {text: {body: hi}}\n"}, {"recipients", "", "", "phone\n"}}, 422, "invalid_request", "spec.account", `no provider account "nope"`},
		{"no phone column", "", []formPart{good, {"recipients", "r.csv", "", "tel,name\n1,a\n"}}, 422, "invalid_request", "recipients", "header has no phone column"},
		{"missing placeholder column", "", []formPart{good, {"recipients", "r.csv", "", "phone\n+255712345678\n"}}, 422, "invalid_request", "recipients", "{{name}}"},
		{"unclosed quote", "", []formPart{good, {"recipients", "r.csv", "", "phone,name\n+255712345678,\"Amina\n+255712345679,B\n"}}, 422, "invalid_request", "recipients", "never closed"},
		{"bad format", "?format=xlsx", []formPart{good, {"recipients", "", "", "phone,name\n"}}, 422, "invalid_request", "format", `"xlsx": want csv or jsonl`},
		{"bad format part", "", []formPart{good, {"format", "", "", "tsv"}, {"recipients", "", "", "phone,name\n"}}, 422, "invalid_request", "format", "want csv or jsonl"},
		{"unknown part", "", []formPart{good, {"file", "", "", "x"}}, 422, "invalid_request", "file", `unknown part "file"`},
		{"too large", "", []formPart{good, {"recipients", "r.csv", "", "phone,name\n" + strings.Repeat("+255712345678,Amina\n", 1000)}}, 413, "too_large", "recipients", "over the limit"},
	} {
		got := a.upload(t, c.query, c.parts...)
		e := got.apiErr(t)
		if got.status != c.status || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %d %+v\nwant %d %s field %q message containing %q", c.name, got.status, e, c.status, c.code, c.field, c.msg)
		}
	}
	got := a.do(t, http.MethodPost, "/v1/campaigns", strings.NewReader(apiSpec), http.Header{"Content-Type": {"application/yaml"}})
	if e := got.apiErr(t); got.status != 415 || e.Code != "unsupported_media_type" {
		t.Errorf("not multipart: %d %+v", got.status, e)
	}
}

// Status, pause, resume, cancel and report through HTTP.
func TestAPICampaignLifecycle(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\nbad,C\n"})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	info := func() producer.CampaignProgress {
		t.Helper()
		g := a.get(t, "/v1/campaigns/spring")
		if g.status != 200 {
			t.Fatalf("GET campaign: %d %s", g.status, g.body)
		}
		var c producer.CampaignProgress
		g.json(t, &c)
		return c
	}
	c := info()
	want := producer.CampaignProgress{ID: "spring", Account: "tujenge-main", CreatedAt: t0, State: store.CampaignActive,
		Counts: store.Counts{message.Queued: 2}, Total: 2, Pending: 2, Import: store.ImportStats{Accepted: 2, Rejected: 1}, ImportRuns: 1}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("campaign (-want +got):\n%s", diff)
	}
	var raw map[string]any
	a.get(t, "/v1/campaigns/spring").json(t, &raw)
	if eta, ok := raw["eta_seconds"]; !ok || eta != nil || raw["done"] != false {
		t.Errorf("campaign eta_seconds %v (present %v), done %v; want null and false", eta, ok, raw["done"])
	}

	action := func(verb, body string) (int, producer.CampaignAction, producer.APIError) {
		t.Helper()
		var r io.Reader
		h := http.Header{}
		if body != "" {
			r = strings.NewReader(body)
			h.Set("Content-Type", "application/json")
		}
		g := a.do(t, http.MethodPost, "/v1/campaigns/spring/"+verb, r, h)
		var res producer.CampaignAction
		var e producer.APIError
		if g.status == 200 {
			g.json(t, &res)
		} else {
			e = g.apiErr(t)
		}
		return g.status, res, e
	}
	if s, r, _ := action("pause", `{"reason": "wrong coupon"}`); s != 200 || r.State != store.CampaignPaused || r.PreviousState != store.CampaignActive || !r.Changed || r.Cancelled != nil {
		t.Errorf("pause: %d %+v", s, r)
	}
	if s, r, _ := action("pause", ""); s != 200 || r.Changed {
		t.Errorf("pause again: %d %+v", s, r)
	}
	if c := info(); c.State != store.CampaignPaused || c.StateReason != "wrong coupon" || !c.StateSince.Equal(t0) {
		t.Errorf("paused campaign: %+v", c)
	}
	if s, _, e := action("pause", `{"why": 1}`); s != 400 || e.Field != "why" {
		t.Errorf("pause with an unknown field: %d %+v", s, e)
	}
	if s, r, _ := action("resume", ""); s != 200 || r.State != store.CampaignActive || r.PreviousState != store.CampaignPaused || !r.Changed {
		t.Errorf("resume: %d %+v", s, r)
	}
	if s, r, _ := action("cancel", ""); s != 200 || r.State != store.CampaignCancelled || r.Cancelled == nil || *r.Cancelled != 2 || *r.InFlight != 0 {
		t.Errorf("cancel: %d %+v", s, r)
	}
	for _, verb := range []string{"pause", "resume", "retry-failed"} {
		if s, _, e := action(verb, ""); s != 409 || e.Code != "campaign_cancelled" {
			t.Errorf("%s after cancel: %d %+v", verb, s, e)
		}
	}
	if c := info(); c.State != store.CampaignCancelled || c.Outcomes != 2 || c.Pending != 0 || c.Counts[message.Cancelled] != 2 {
		t.Errorf("cancelled campaign: %+v", c)
	}

	rep := a.get(t, "/v1/campaigns/spring/report")
	wantCSV := "message_id,campaign_id,recipient,provider,status,error_code,error,attempts,provider_message_id,updated_at,fallback\n" +
		"spring:+255712345678,spring,+255712345678,tujenge-main,cancelled,cancelled,the campaign was cancelled,0,,2026-11-21T09:00:00.000Z,false\n" +
		"spring:+255712345679,spring,+255712345679,tujenge-main,cancelled,cancelled,the campaign was cancelled,0,,2026-11-21T09:00:00.000Z,false\n"
	if diff := cmp.Diff(wantCSV, string(rep.body)); rep.status != 200 || diff != "" {
		t.Errorf("CSV report: %d (-want +got):\n%s", rep.status, diff)
	}
	if ct := rep.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(rep.header.Get("Content-Disposition"), "spring.csv") {
		t.Errorf("CSV report headers %v", rep.header)
	}
	rep = a.get(t, "/v1/campaigns/spring/report?format=jsonl")
	lines := strings.Split(strings.TrimSpace(string(rep.body)), "\n")
	var row producer.ReportRow
	if err := json.Unmarshal([]byte(lines[0]), &row); rep.status != 200 || len(lines) != 2 || err != nil || row.Status != message.Cancelled || row.Recipient != "+255712345678" {
		t.Errorf("JSONL report: %d %q", rep.status, rep.body)
	}
	if g := a.get(t, "/v1/campaigns/spring/report?format=xlsx"); g.status != 422 || g.apiErr(t).Field != "format" {
		t.Errorf("report in xlsx: %d %s", g.status, g.body)
	}

	// An unknown campaign is 404 everywhere.
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/campaigns/nope"}, {"POST", "/v1/campaigns/nope/pause"}, {"POST", "/v1/campaigns/nope/resume"},
		{"POST", "/v1/campaigns/nope/cancel"}, {"POST", "/v1/campaigns/nope/retry-failed"}, {"GET", "/v1/campaigns/nope/report"},
	} {
		g := a.do(t, r.method, r.path, nil, nil)
		if e := g.apiErr(t); g.status != 404 || e.Code != "not_found" || !strings.Contains(e.Message, `"nope"`) {
			t.Errorf("%s %s: %d %+v", r.method, r.path, g.status, e)
		}
	}
}

func TestAPICampaignRetryFailed(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, producer.APIConfig{})
	got := a.upload(t, "", formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,Amina\n+255712345679,Baraka\n"})
	if got.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.status, got.body)
	}
	id := message.CampaignMessageID("spring", "+255712345678")
	_, err := a.h.st.Transition(bg, store.Ref{ID: id, CampaignID: "spring"}, message.Expired, store.Update{From: message.Queued, ErrorCode: "ttl"})
	must(t, err)
	g := a.do(t, http.MethodPost, "/v1/campaigns/spring/retry-failed", nil, nil)
	var res producer.RetryResult
	g.json(t, &res)
	want := producer.RetryResult{State: store.CampaignActive, Requeued: 1, Skipped: map[producer.SkipReason]int64{producer.SkipPending: 1}}
	if diff := cmp.Diff(want, res); g.status != 200 || diff != "" {
		t.Errorf("retry-failed: %d (-want +got):\n%s", g.status, diff)
	}
	rec, err := a.h.st.Get(bg, id)
	must(t, err)
	if rec.Status != message.Queued {
		t.Errorf("retried message is %s, want queued", rec.Status)
	}
}

// When Redis does not answer, the API says 503 and asks for a retry.
func TestAPIStoreDownIs503(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.Config{Prefix: "down:"})
	client := asynq.NewClientFromRedisClient(rdb)
	a, err := producer.NewAPI(producer.New(st, client, producer.Config{}), producer.APIConfig{Tokens: []string{apiToken}})
	must(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	x := &apiEnv{srv: srv}
	for _, r := range []struct {
		method, path, body string
		header             http.Header
	}{
		{"POST", "/v1/messages", `{"account": "a", "to": "+255712345678", "content": ` + apiTextContent + `}`, http.Header{"Idempotency-Key": {"k"}, "Content-Type": {"application/json"}}},
		{"POST", "/v1/messages", `{"account": "a", "to": "+255712345678", "content": ` + apiTextContent + `}`, http.Header{"Content-Type": {"application/json"}}},
		{"GET", "/v1/messages/api:k", "", nil},
		{"GET", "/v1/campaigns/c", "", nil},
		{"POST", "/v1/campaigns/c/pause", "", nil},
		{"POST", "/v1/campaigns/c/retry-failed", "", nil},
		{"GET", "/v1/campaigns/c/report", "", nil},
	} {
		g := x.do(t, r.method, r.path, strings.NewReader(r.body), r.header)
		if e := g.apiErr(t); g.status != 503 || e.Code != "unavailable" || g.header.Get("Retry-After") == "" || strings.Contains(e.Message, "127.0.0.1") {
			t.Errorf("%s %s with Redis down: %d %+v", r.method, r.path, g.status, e)
		}
	}
	body, header := apiMultipart(t, formPart{"spec", "", "", apiSpec}, formPart{"recipients", "r.csv", "", "phone,name\n+255712345678,A\n"})
	g := x.do(t, "POST", "/v1/campaigns", body, header)
	if e := g.apiErr(t); g.status != 503 || e.Code != "unavailable" {
		t.Errorf("upload with Redis down: %d %+v", g.status, e)
	}
}

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Schemas map[string]*oasSchema `yaml:"schemas"`
	} `yaml:"components"`
}

type oasSchema struct {
	Ref                  string                `yaml:"$ref"`
	Type                 string                `yaml:"type"`
	Format               string                `yaml:"format"`
	Required             []string              `yaml:"required"`
	Properties           map[string]*oasSchema `yaml:"properties"`
	Items                *oasSchema            `yaml:"items"`
	AllOf                []*oasSchema          `yaml:"allOf"`
	AdditionalProperties *oasSchema            `yaml:"additionalProperties"`
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(producer.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return &doc
}

// A YAML slip (a comma in a flow mapping's plain text) makes a key with
// no value; the document has none.
func TestOpenAPIHasNoEmptyValues(t *testing.T) {
	t.Parallel()
	var doc any
	must(t, yaml.Unmarshal(producer.OpenAPI, &doc))
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case nil:
			t.Errorf("openapi.yaml: %s has no value", at)
		case map[string]any:
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(doc, "")
}

var oasMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// Every route the API serves is documented with its method, and every
// documented operation is served.
func TestAPIRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if oasMethods[m] {
				documented = append(documented, strings.ToUpper(m)+" "+p)
			}
		}
	}
	a := newAPIEnv(t, producer.APIConfig{})
	served := a.api.Routes()
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(documented, served); diff != "" {
		t.Errorf("routes: OpenAPI (-) vs served (+):\n%s", diff)
	}
	// Each documented operation reaches a handler: not the API's own "no
	// such endpoint" or "method not allowed".
	for _, op := range documented {
		method, p, _ := strings.Cut(op, " ")
		p = strings.ReplaceAll(p, "{id}", "x")
		g := a.do(t, method, p, nil, nil)
		var e producer.ErrorResponse
		_ = json.Unmarshal(g.body, &e)
		if g.status == 405 || e.Error.Code == "no_such_endpoint" {
			t.Errorf("%s: %d %s", op, g.status, g.body)
		}
	}
	// What is not served is a JSON 404 or 405.
	if g := a.get(t, "/v1/nothing"); g.status != 404 || g.apiErr(t).Code != "no_such_endpoint" {
		t.Errorf("unknown path: %d %s", g.status, g.body)
	}
	g := a.do(t, http.MethodDelete, "/v1/messages/x", nil, nil)
	if e := g.apiErr(t); g.status != 405 || e.Code != "method_not_allowed" || !strings.Contains(g.header.Get("Allow"), "GET") {
		t.Errorf("DELETE a message: %d %v %+v", g.status, g.header, e)
	}
}

// The documented schemas carry the Go types' JSON field names, with a
// matching type each, and require exactly the fields that are never left
// out.
func TestAPISchemasMatchGoTypes(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	types := map[string]reflect.Type{
		"ErrorResponse":  reflect.TypeFor[producer.ErrorResponse](),
		"APIError":       reflect.TypeFor[producer.APIError](),
		"Status":         reflect.TypeFor[message.Status](),
		"CampaignState":  reflect.TypeFor[store.CampaignState](),
		"Priority":       reflect.TypeFor[message.Lane](),
		"SendRequest":    reflect.TypeFor[producer.SendRequest](),
		"SendResult":     reflect.TypeFor[producer.SendResult](),
		"Message":        reflect.TypeFor[producer.MessageInfo](),
		"CampaignSpec":   reflect.TypeFor[producer.Spec](),
		"QuietHours":     reflect.TypeFor[message.QuietHours](),
		"ErrorBudget":    reflect.TypeFor[producer.ErrorBudget](),
		"CampaignUpload": reflect.TypeFor[producer.CampaignUpload](),
		"Reject":         reflect.TypeFor[producer.Reject](),
		"Campaign":       reflect.TypeFor[producer.CampaignProgress](),
		"ImportStats":    reflect.TypeFor[store.ImportStats](),
		"Estimate":       reflect.TypeFor[producer.Estimate](),
		"RetryResult":    reflect.TypeFor[producer.RetryResult](),
		"PauseRequest":   reflect.TypeFor[producer.PauseRequest](),
		"CampaignAction": reflect.TypeFor[producer.CampaignAction](),
		"ReportRow":      reflect.TypeFor[producer.ReportRow](),
		"Content":        reflect.TypeFor[message.Content](),
		"Text":           reflect.TypeFor[message.Text](),
		"Media":          reflect.TypeFor[message.Media](),
		"Location":       reflect.TypeFor[message.Location](),
		"Contact":        reflect.TypeFor[message.Contact](),
		"ContactName":    reflect.TypeFor[message.ContactName](),
		"ContactPhone":   reflect.TypeFor[message.ContactPhone](),
		"ContactEmail":   reflect.TypeFor[message.ContactEmail](),
		"ContactOrg":     reflect.TypeFor[message.ContactOrg](),
		"ContactURL":     reflect.TypeFor[message.ContactURL](),
		"Template":       reflect.TypeFor[message.Template](),
		"TemplateHeader": reflect.TypeFor[message.TemplateHeader](),
		"TemplateButton": reflect.TypeFor[message.TemplateButton](),
	}
	for name := range doc.Components.Schemas {
		if _, ok := types[name]; !ok {
			t.Errorf("schema %s has no Go type in this test: add it", name)
		}
	}
	for name, typ := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s (%v) is not in openapi.yaml", name, typ)
			continue
		}
		props, required := oasFlatten(t, doc, s)
		if typ.Kind() != reflect.Struct {
			if s.Type != "string" || typ.Kind() != reflect.String {
				t.Errorf("schema %s: type %q for Go %v", name, s.Type, typ)
			}
			continue
		}
		// What a zero value encodes to is what is always there (a custom
		// MarshalJSON's additions included); the json tags say what else
		// may be.
		fields := goJSONFields(typ)
		b, err := json.Marshal(reflect.New(typ).Interface())
		must(t, err)
		var zero map[string]json.RawMessage
		must(t, json.Unmarshal(b, &zero))
		var wantProps, gotProps, wantReq []string
		for k := range zero {
			wantReq = append(wantReq, k)
			wantProps = append(wantProps, k)
		}
		for _, f := range fields {
			if _, ok := zero[f.name]; !ok {
				wantProps = append(wantProps, f.name)
			}
		}
		for p := range props {
			gotProps = append(gotProps, p)
		}
		sort.Strings(wantProps)
		sort.Strings(gotProps)
		sort.Strings(wantReq)
		sort.Strings(required)
		if diff := cmp.Diff(wantProps, gotProps, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema %s: properties, Go json tags (-) vs documented (+):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantReq, required, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema %s: required, what a zero Go value encodes (-) vs documented (+):\n%s", name, diff)
		}
		for _, f := range fields {
			if p, ok := props[f.name]; ok {
				if why := oasMatches(doc, types, p, f.typ); why != "" {
					t.Errorf("schema %s: property %s: %s", name, f.name, why)
				}
			}
		}
	}
}

// oasFlatten merges a schema's allOf parts.
func oasFlatten(t *testing.T, doc *openAPIDoc, s *oasSchema) (map[string]*oasSchema, []string) {
	t.Helper()
	props := map[string]*oasSchema{}
	var required []string
	for _, sub := range s.AllOf {
		if sub.Ref != "" {
			sub = doc.Components.Schemas[strings.TrimPrefix(sub.Ref, "#/components/schemas/")]
		}
		p, r := oasFlatten(t, doc, sub)
		for k, v := range p {
			props[k] = v
		}
		required = append(required, r...)
	}
	for k, v := range s.Properties {
		props[k] = v
	}
	return props, append(required, s.Required...)
}

type goJSONField struct {
	name string
	typ  reflect.Type
}

// goJSONFields lists the JSON fields of struct type t as encoding/json
// writes them (embedded structs flattened).
func goJSONFields(t reflect.Type) []goJSONField {
	var out []goJSONField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, goJSONFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goJSONField{name: name, typ: f.Type})
	}
	return out
}

// oasMatches says how property schema p fails to describe Go type typ, or "".
func oasMatches(doc *openAPIDoc, types map[string]reflect.Type, p *oasSchema, typ reflect.Type) string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if len(p.AllOf) == 1 {
		p = p.AllOf[0]
	}
	if p.Ref != "" {
		name := strings.TrimPrefix(p.Ref, "#/components/schemas/")
		want, ok := types[name]
		switch {
		case !ok:
			return "refers to unknown oasSchema " + name
		case want.Kind() == reflect.String && typ.Kind() == reflect.String:
			return ""
		case want != typ:
			return fmt.Sprintf("refers to %s (%v), the Go field is %v", name, want, typ)
		}
		return ""
	}
	var wantType string
	switch {
	case typ == reflect.TypeFor[time.Time]():
		if p.Format != "date-time" {
			return "a time without format: date-time"
		}
		wantType = "string"
	case typ == reflect.TypeFor[producer.Duration]():
		wantType = "string"
	case typ.Kind() == reflect.String:
		wantType = "string"
	case typ.Kind() == reflect.Bool:
		wantType = "boolean"
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		wantType = "integer"
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		wantType = "number"
	case typ.Kind() == reflect.Slice:
		if p.Type != "array" || p.Items == nil {
			return fmt.Sprintf("type %q, the Go field is a slice", p.Type)
		}
		return oasMatches(doc, types, p.Items, typ.Elem())
	case typ.Kind() == reflect.Map:
		if p.Type != "object" || p.AdditionalProperties == nil {
			return fmt.Sprintf("type %q without additionalProperties, the Go field is a map", p.Type)
		}
		return oasMatches(doc, types, p.AdditionalProperties, typ.Elem())
	case typ.Kind() == reflect.Struct:
		return fmt.Sprintf("inline oasSchema, want a $ref to the oasSchema of %v", typ)
	}
	if p.Type != wantType {
		return fmt.Sprintf("type %q, the Go field (%v) encodes as %s", p.Type, typ, wantType)
	}
	return ""
}
