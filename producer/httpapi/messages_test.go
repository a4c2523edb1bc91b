package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/producer/httpapi"
	"github.com/wabulk/wabulk/store"
)

// The same idempotency key twice is one record and one task, answered with
// the same message; the same key with another request is 409.
func TestSendIsIdempotent(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{DefaultAccount: "tujenge-main"})
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
	tasks := a.h.Pending(t, message.LaneHigh)
	if len(tasks) != 1 || tasks[0].ID != "api:order-8812" || tasks[0].Content.Text.Body != "Your code is 4711" || tasks[0].CampaignID != "" {
		t.Fatalf("tasks %+v, want the one message", tasks)
	}
	if !tasks[0].ExpiresAt.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("task expires %v", tasks[0].ExpiresAt)
	}
	counts, err := a.h.St.CampaignCounts(bg, "")
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
	if n := len(a.h.Pending(t, message.LaneHigh)); n != 1 {
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

func TestSendValidationNamesTheField(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
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
	if n := len(a.h.Pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks from refused requests", n)
	}
}

// send_at schedules the task; the TTL counts from it; priority picks the
// lane.
func TestSendAtSchedulesTheTask(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{DefaultAccount: "tujenge-main"})
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
	if n := len(a.h.Pending(t, message.LaneLow)); n != 0 {
		t.Errorf("%d pending tasks, want the message scheduled", n)
	}
	infos := a.h.Scheduled(t, message.LaneLow)
	if len(infos) != 1 || infos[0].ID != "api:reminder-1" || infos[0].State != asynq.TaskStateScheduled || !infos[0].NextProcessAt.Equal(sendAt) {
		t.Fatalf("scheduled tasks %+v, want api:reminder-1 at %v", infos, sendAt)
	}
	m := a.h.DecodeAll(t, infos)[0]
	if !m.ExpiresAt.Equal(sendAt.Add(30 * time.Minute)) {
		t.Errorf("task expires %v, want 30m after send_at", m.ExpiresAt)
	}
	// A replay of a scheduled message enqueues nothing new.
	again := a.postJSON(t, "/v1/messages", fmt.Sprintf(`{"to": "+255712345678", "content": %s, "send_at": %q, "ttl": "30m", "priority": "low"}`,
		apiTextContent, sendAt.Format(time.RFC3339)), http.Header{"Idempotency-Key": {"reminder-1"}})
	if again.status != http.StatusOK || len(a.h.Scheduled(t, message.LaneLow)) != 1 {
		t.Errorf("replay: %d %s, %d scheduled", again.status, again.body, len(a.h.Scheduled(t, message.LaneLow)))
	}
}

// An opted-out recipient's message gets a record that ends opted_out at
// once, and no task.
func TestSendToAnOptedOutRecipient(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{DefaultAccount: "tujenge-main"})
	must(t, a.h.St.OptOut(bg, "tujenge-main", "+255712345678", "STOP"))
	got := a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": `+apiTextContent+`}`, http.Header{"Idempotency-Key": {"k1"}})
	var r producer.SendResult
	got.json(t, &r)
	if got.status != http.StatusAccepted || r.Status != message.OptedOut || r.ErrorCode != "opted_out" {
		t.Fatalf("POST to an opted-out recipient: %d %+v", got.status, r)
	}
	if n := len(a.h.Pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks, want none", n)
	}
	var m producer.MessageInfo
	g := a.get(t, "/v1/messages/api:k1")
	g.json(t, &m)
	if g.status != 200 || m.Status != message.OptedOut || m.ErrorCode != "opted_out" {
		t.Errorf("GET: %d %+v", g.status, m)
	}
	counts, err := a.h.St.CampaignCounts(bg, "")
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

func TestGetMessage(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{DefaultAccount: "tujenge-main"})
	a.postJSON(t, "/v1/messages", `{"to": "+255712345678", "content": `+apiTextContent+`}`, http.Header{"Idempotency-Key": {"g1"}})
	_, err := a.h.St.Transition(bg, store.Ref{ID: "api:g1", Account: "tujenge-main"}, message.Sending, store.Update{IncAttempts: true})
	must(t, err)
	_, err = a.h.St.Transition(bg, store.Ref{ID: "api:g1", Account: "tujenge-main"}, message.Accepted, store.Update{ProviderMessageID: "wamid.1"})
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

// A JSON body with a key given twice, or two keys that differ only in
// case, is refused: encoding/json would quietly keep one.
func TestSendRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	a := newAPIEnv(t, httpapi.Config{})
	for _, body := range []string{
		`{"to": "+255712345678", "TO": "+255712345679", "content": ` + apiTextContent + `}`,
		`{"to": "+255712345678", "to": "+255712345679", "content": ` + apiTextContent + `}`,
	} {
		got := a.postJSON(t, "/v1/messages", body, nil)
		if got.status != http.StatusBadRequest || !strings.Contains(string(got.body), "invalid_json") || !strings.Contains(string(got.body), `\"to\"`) {
			t.Errorf("POST %s: %d %s", body, got.status, got.body)
		}
	}
	if n := len(a.h.Pending(t, message.LaneHigh)); n != 0 {
		t.Errorf("%d tasks enqueued", n)
	}
}
