package simulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/simulator"
)

// The real DecisionTelecom adapter against the simulator's decisiontelecom
// wire format.

const (
	decisiontelecomKey    = "dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e" // a User Hash Key: Config.APIKey is the key itself
	decisiontelecomSource = "Custom Company"
	decisiontelecomTo     = "+380631234567"
)

// newDecisionTelecom starts a decisiontelecom simulator for cfg on a free
// loopback port and returns it with an adapter pointed at its /v1/api.
func newDecisionTelecom(t *testing.T, cfg simulator.Config) (*simulator.Simulator, *decisiontelecom.Client, string) {
	t.Helper()
	cfg.Kind = "decisiontelecom"
	if cfg.APIKey == "" {
		cfg.APIKey = decisiontelecomKey
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatalf("simulator.New: %v", err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := sim.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sim, decisiontelecomClient(t, base+"/v1/api", decisiontelecomKey), base + "/v1/api"
}

func decisiontelecomClient(t *testing.T, baseURL, key string) *decisiontelecom.Client {
	t.Helper()
	c, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: baseURL, APIKey: key, Source: decisiontelecomSource,
		CallbackURL: "https://hooks.example/whatsapp-callback"}) // sent as callback_url, never called
	if err != nil {
		t.Fatalf("decisiontelecom.New: %v", err)
	}
	return c
}

func decisiontelecomText(to string) *message.Message {
	return &message.Message{ID: "m-" + to, Account: "dt", To: to,
		Content: message.Content{Text: &message.Text{Body: "Привіт! Ваше замовлення готове."}}}
}

func decisiontelecomTemplate(to string) *message.Message {
	return &message.Message{ID: "t-" + to, Account: "dt", To: to, Content: message.Content{Template: &message.Template{
		Name: "appointment_reminder", Language: "uk", Namespace: "ns-1",
		Header:  &message.TemplateHeader{Image: &message.Media{URL: "https://example.com/header.png"}},
		Body:    []string{"Олена", "10:30"},
		Buttons: []message.TemplateButton{{SubType: "quick_reply", Index: 0, Param: "confirm"}},
	}}}
}

// sendError sends m and returns its *SendError; the send must fail.
func decisiontelecomSendError(t *testing.T, c *decisiontelecom.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	if err == nil {
		t.Fatalf("send to %s: accepted as %q, want an error", m.To, r.ProviderMessageID)
	}
	return providers.AsSendError(err)
}

func TestDecisionTelecomSendsEveryKind(t *testing.T) {
	t.Parallel()
	sim, c, _ := newDecisionTelecom(t, simulator.Config{})
	for i, m := range []*message.Message{
		decisiontelecomText("+380631234501"),
		{ID: "i1", Account: "dt", To: "+380631234502", Content: message.Content{Image: &message.Media{URL: "https://example.com/a.jpg"}}},
		{ID: "i2", Account: "dt", To: "+380631234503", Content: message.Content{Image: &message.Media{URL: "https://example.com/b.JPEG?v=2", Caption: "Меню"}}},
		{ID: "i3", Account: "dt", To: "+380631234504", Content: message.Content{Image: &message.Media{URL: "http://example.com/c.png"}}},
		decisiontelecomTemplate("+380631234505"),
		{ID: "t2", Account: "dt", To: "+380631234506", Content: message.Content{Template: &message.Template{Name: "hello_world", Language: "en"}}},
	} {
		r, err := c.Send(context.Background(), m)
		if err != nil {
			t.Errorf("%s: %v", m.Content.Kind(), err)
			continue
		}
		if n, err := strconv.ParseUint(r.ProviderMessageID, 10, 64); err != nil || n == 0 || n >= 1<<53 || r.Status != message.Accepted {
			t.Errorf("%s: receipt %+v, want a positive integer id below 2^53, accepted", m.Content.Kind(), r)
		}
		if !strings.HasSuffix(r.ProviderMessageID, strconv.Itoa(i+1)) {
			t.Errorf("%s: id %s does not end in the sequence number %d", m.Content.Kind(), r.ProviderMessageID, i+1)
		}
		if n := sim.Accepted(m.To); n != 1 {
			t.Errorf("%s: Accepted(%s) = %d, want 1", m.Content.Kind(), m.To, n)
		}
	}
	if st := sim.Stats(); st.Accepted != 6 || st.Requests != 6 {
		t.Errorf("Stats: %d requests, %d accepted; want 6 and 6", st.Requests, st.Accepted)
	}
}

func TestDecisionTelecomWrongKey(t *testing.T) {
	t.Parallel()
	sim, c, base := newDecisionTelecom(t, simulator.Config{})
	r, err := c.Send(context.Background(), decisiontelecomTemplate(decisiontelecomTo))
	if err != nil {
		t.Fatal(err)
	}
	wrong := decisiontelecomClient(t, base, "not-the-key")
	se := decisiontelecomSendError(t, wrong, decisiontelecomText(decisiontelecomTo))
	if se.Class != providers.Account || se.Reason != providers.ReasonAuth || se.Code != "401" || se.HTTPStatus != 401 {
		t.Errorf("wrong key: %+v, want account/auth, code 401", se)
	}
	if _, err := wrong.PollStatus(context.Background(), r.ProviderMessageID); err == nil ||
		providers.AsSendError(err).Class != providers.Account || providers.AsSendError(err).Reason != providers.ReasonAuth {
		t.Errorf("poll with the wrong key: %v, want account/auth", err)
	}
	if n := sim.Accepted(decisiontelecomTo); n != 1 {
		t.Errorf("Accepted = %d, want 1 (only the good key's)", n)
	}
}

// decisiontelecomPost posts body to url with an Authorization header
// (none when auth is "") and returns the status, headers and decoded body.
func decisiontelecomPost(t *testing.T, url, auth, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, b)
	}
	return resp.StatusCode, resp.Header, m
}

func decisiontelecomBasic(userpass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

const decisiontelecomTextBody = `{"source_addr":"Custom Company","destination_addr":380631234567,"message_type":1,"text":"Hi"}`

func TestDecisionTelecomCredentialForms(t *testing.T) {
	t.Parallel()
	_, _, base := newDecisionTelecom(t, simulator.Config{})
	send := base + "/send-whatsapp"
	for _, auth := range []string{
		decisiontelecomBasic(decisiontelecomKey + ":"), // curl's CURLOPT_USERPWD
		decisiontelecomBasic(decisiontelecomKey),       // DecisionTelecom's SDKs
		"basic " + base64.StdEncoding.EncodeToString([]byte(decisiontelecomKey)),
	} {
		if status, _, body := decisiontelecomPost(t, send, auth, decisiontelecomTextBody); status != 200 {
			t.Errorf("%s: %d %v, want 200", auth, status, body)
		}
	}
	unauthorized := map[string]any{"name": "Unauthorized", "message": "Your request was made with invalid credentials.",
		"code": 0.0, "status": 401.0}
	for _, auth := range []string{
		"",
		decisiontelecomBasic("other:"),
		decisiontelecomBasic(decisiontelecomKey + ":secret"),
		"Bearer " + decisiontelecomKey,
		"Basic " + decisiontelecomKey, // the document's curl example, literally: not base64
		"Basic !!!",
	} {
		status, h, body := decisiontelecomPost(t, send, auth, decisiontelecomTextBody)
		if diff := cmp.Diff(unauthorized, body); status != 401 || diff != "" {
			t.Errorf("%q: status %d, body (-want +got):\n%s", auth, status, diff)
		}
		if h.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: no WWW-Authenticate", auth)
		}
	}
}

// Each scenario code, scripted, is classified by the adapter as its name
// says; so is every other code the format answers with.
func TestDecisionTelecomScenarioCodes(t *testing.T) {
	t.Parallel()
	sc, ok := simulator.ScenarioFor("decisiontelecom")
	if !ok {
		t.Fatal("no decisiontelecom scenario")
	}
	type want struct {
		Class      providers.Class
		Reason     providers.Reason
		Code       string
		HTTPStatus int
		RetryAfter time.Duration
	}
	cases := map[int]want{
		sc.Throttle:  {providers.Transient, providers.ReasonThrottled, "429", 429, 3 * time.Second},
		sc.Permanent: {providers.Permanent, providers.ReasonInvalidRecipient, "1", 400, 0},
		sc.Template:  {providers.Permanent, providers.ReasonTemplate, "1", 400, 0},
		sc.Window:    {providers.Permanent, providers.ReasonWindowClosed, "7", 503, 0},
		sc.Auth:      {providers.Account, providers.ReasonAuth, "401", 401, 0},
		3:            {providers.Account, providers.ReasonBalance, "3", 402, 0},
		8:            {providers.Permanent, providers.ReasonMedia, "8", 401, 0},
		9:            {providers.Permanent, providers.ReasonMedia, "9", 401, 0},
	}
	for _, code := range sc.Transient {
		w := want{providers.Transient, providers.ReasonNone, strconv.Itoa(code), 500, 0}
		if code == 503 {
			w.HTTPStatus, w.RetryAfter = 503, 3*time.Second
		}
		cases[code] = w
	}
	if len(cases) != 13 {
		t.Fatalf("%d codes covered, want all 13 the format answers with", len(cases))
	}
	sim, c, _ := newDecisionTelecom(t, simulator.Config{RetryAfter: 3 * time.Second})
	for code, w := range cases {
		to := "+38063" + strconv.Itoa(1000000+code)
		sim.Script(to, code)
		se := decisiontelecomSendError(t, c, decisiontelecomText(to))
		got := want{se.Class, se.Reason, se.Code, se.HTTPStatus, se.RetryAfter}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("scripted %d (-want +got):\n%s\n%v", code, diff, se)
		}
		if se.Ambiguous {
			t.Errorf("scripted %d: ambiguous", code)
		}
		if n := sim.Accepted(to); n != 0 {
			t.Errorf("scripted %d: Accepted = %d, want 0", code, n)
		}
	}
	for _, code := range []int{0, 10, 400, 500} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Script(%d) did not panic: not a decisiontelecom code", code)
				}
			}()
			sim.Script(decisiontelecomTo, code)
		}()
	}
}

func TestDecisionTelecomWindow(t *testing.T) {
	t.Parallel()
	clock := sharedtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	sim, c, _ := newDecisionTelecom(t, simulator.Config{Window: true, Now: clock.Now})
	image := &message.Message{ID: "img", Account: "dt", To: decisiontelecomTo,
		Content: message.Content{Image: &message.Media{URL: "https://example.com/a.jpg"}}}
	for _, m := range []*message.Message{decisiontelecomText(decisiontelecomTo), image} {
		se := decisiontelecomSendError(t, c, m)
		if se.Class != providers.Permanent || se.Reason != providers.ReasonWindowClosed || se.Code != "7" || se.HTTPStatus != 503 {
			t.Errorf("%s outside the window: %+v, want permanent/window_closed, code 7, HTTP 503", m.Content.Kind(), se)
		}
	}
	if _, err := c.Send(context.Background(), decisiontelecomTemplate(decisiontelecomTo)); err != nil {
		t.Errorf("template outside the window: %v", err)
	}
	sim.MarkInbound(decisiontelecomTo, clock.Now())
	clock.Advance(23 * time.Hour)
	for _, m := range []*message.Message{decisiontelecomText(decisiontelecomTo), image} {
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Errorf("%s after an inbound message: %v", m.Content.Kind(), err)
		}
	}
	clock.Advance(2 * time.Hour)
	if se := decisiontelecomSendError(t, c, decisiontelecomText(decisiontelecomTo)); se.Reason != providers.ReasonWindowClosed {
		t.Errorf("text 25 h after the inbound message: %+v, want window_closed", se)
	}
	if n := sim.Accepted(decisiontelecomTo); n != 3 {
		t.Errorf("Accepted = %d, want 3", n)
	}
}

func TestDecisionTelecomRateAndPairLimits(t *testing.T) {
	t.Parallel()
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		sim, c, _ := newDecisionTelecom(t, simulator.Config{Rate: 0.001, Burst: 1})
		if _, err := c.Send(context.Background(), decisiontelecomText("+380631234501")); err != nil {
			t.Fatal(err)
		}
		se := decisiontelecomSendError(t, c, decisiontelecomText("+380631234502"))
		if se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.Code != "429" || se.RetryAfter < time.Second {
			t.Errorf("over the rate: %+v, want transient/throttled, code 429, Retry-After", se)
		}
		if st := sim.Stats(); st.Accepted != 1 {
			t.Errorf("Accepted = %d, want 1", st.Accepted)
		}
	})
	t.Run("pair", func(t *testing.T) {
		t.Parallel()
		sim, c, _ := newDecisionTelecom(t, simulator.Config{PairInterval: time.Hour})
		if _, err := c.Send(context.Background(), decisiontelecomTemplate(decisiontelecomTo)); err != nil {
			t.Fatal(err)
		}
		se := decisiontelecomSendError(t, c, decisiontelecomTemplate(decisiontelecomTo))
		if se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.Code != "429" || se.RetryAfter < time.Second {
			t.Errorf("second message within the pair interval: %+v, want transient/throttled, code 429, Retry-After", se)
		}
		if _, err := c.Send(context.Background(), decisiontelecomTemplate("+380631234599")); err != nil {
			t.Errorf("another recipient: %v", err)
		}
		if n := sim.Accepted(decisiontelecomTo); n != 1 {
			t.Errorf("Accepted = %d, want 1", n)
		}
	})
}

// decisiontelecomReceiver collects callback bodies.
type decisiontelecomReceiver struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func (rc *decisiontelecomReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, b)
	rc.heads = append(rc.heads, r.Header.Clone())
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// wait returns the callbacks once there are n, failing after a deadline.
func (rc *decisiontelecomReceiver) wait(t *testing.T, n int) ([][]byte, []http.Header) {
	t.Helper()
	var heads []http.Header
	bodies := sharedtest.WaitFor(t, func() [][]byte {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		heads = slices.Clone(rc.heads)
		return slices.Clone(rc.bodies)
	}, func(b [][]byte) bool { return len(b) >= n }, 10*time.Second, "%d callbacks", n)
	return bodies, heads
}

func TestDecisionTelecomCallbacks(t *testing.T) {
	t.Parallel()
	rc := &decisiontelecomReceiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	sim, c, _ := newDecisionTelecom(t, simulator.Config{CallbackURL: hook.URL, ReceiptDelay: time.Millisecond,
		Statuses: []string{"sent", "delivered", "read"}})

	// DecisionTelecom documents no inbound messages: Inbound opens the
	// window and posts nothing.
	if err := sim.Inbound(decisiontelecomTo, "Добрий день"); err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	r, err := c.Send(context.Background(), decisiontelecomText(decisiontelecomTo))
	if err != nil {
		t.Fatal(err)
	}
	bodies, heads := rc.wait(t, 3)
	var got []providers.Event
	for i, b := range bodies {
		if ct := heads[i].Get("Content-Type"); ct != "application/json" {
			t.Errorf("callback %d: Content-Type %q", i, ct)
		}
		want := `{"message_id":` + r.ProviderMessageID + `,"status":`
		if !strings.HasPrefix(string(b), want) {
			t.Errorf("callback %d: %s, want it to start %s", i, b, want)
		}
		evs, err := c.ParseCallback(heads[i], b)
		if err != nil {
			t.Fatalf("ParseCallback(%s): %v", b, err)
		}
		got = append(got, evs...)
	}
	slices.SortFunc(got, func(a, b providers.Event) int { return strings.Compare(a.ProviderStatus, b.ProviderStatus) })
	ev := func(st message.Status, word string) providers.Event {
		return providers.Event{Kind: providers.EventStatus, ProviderMessageID: r.ProviderMessageID, Status: st, ProviderStatus: word}
	}
	want := []providers.Event{ev(message.Delivered, "delivered"), ev(message.Read, "seen"), ev(message.Sent, "sent")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The inbound message was queued before the send: had it rendered a
	// callback, it would be among those delivered by now.
	sharedtest.WaitFor(t, sim.Stats, func(st simulator.Stats) bool { return st.Callbacks >= 3 }, 10*time.Second,
		"3 callbacks delivered")
	if all, _ := rc.wait(t, 3); len(all) != 3 {
		t.Errorf("%d callbacks, want the 3 receipts and no inbound message", len(all))
	}
}

func TestDecisionTelecomFailedCallback(t *testing.T) {
	t.Parallel()
	rc := &decisiontelecomReceiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	_, c, _ := newDecisionTelecom(t, simulator.Config{CallbackURL: hook.URL, ReceiptDelay: time.Millisecond,
		Statuses: []string{"failed"}})
	r, err := c.Send(context.Background(), decisiontelecomTemplate(decisiontelecomTo))
	if err != nil {
		t.Fatal(err)
	}
	bodies, heads := rc.wait(t, 1)
	if want := `{"message_id":` + r.ProviderMessageID + `,"status":4}`; string(bodies[0]) != want {
		t.Errorf("callback %s, want %s", bodies[0], want)
	}
	evs, err := c.ParseCallback(heads[0], bodies[0])
	want := []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: r.ProviderMessageID,
		Status: message.Failed, ProviderStatus: "failed", ErrorCode: "failed"}}
	if diff := cmp.Diff(want, evs); err != nil || diff != "" {
		t.Errorf("ParseCallback: %v, events (-want +got):\n%s", err, diff)
	}
}

// PollStatus follows the message's timeline: pending, then sent, delivered
// and seen, never backwards.
func TestDecisionTelecomPollStatus(t *testing.T) {
	t.Parallel()
	clock := sharedtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	_, c, base := newDecisionTelecom(t, simulator.Config{Now: clock.Now, ReceiptDelay: time.Minute})
	r, err := c.Send(context.Background(), decisiontelecomText(decisiontelecomTo))
	if err != nil {
		t.Fatal(err)
	}
	var seen []providers.Event
	for range 36000 { // 1 s steps, up to 10 h of simulated time; the mean delay is a minute
		ev, err := c.PollStatus(context.Background(), r.ProviderMessageID)
		if err != nil {
			t.Fatalf("PollStatus: %v", err)
		}
		if ev.ProviderMessageID != r.ProviderMessageID || ev.Kind != providers.EventStatus {
			t.Fatalf("PollStatus: %+v, want a status event for %s", ev, r.ProviderMessageID)
		}
		if len(seen) == 0 || seen[len(seen)-1].Status != ev.Status {
			seen = append(seen, ev)
		}
		if ev.Status == message.Read {
			break
		}
		clock.Advance(time.Second)
	}
	var got []string
	for _, ev := range seen {
		got = append(got, string(ev.Status)+"/"+ev.ProviderStatus)
	}
	order := []string{"accepted/pending", "sent/sent", "delivered/delivered", "read/seen"}
	if len(got) == 0 || got[0] != order[0] || got[len(got)-1] != order[3] {
		t.Fatalf("statuses %v, want from %s to %s", got, order[0], order[3])
	}
	for i := 1; i < len(got); i++ {
		if slices.Index(order, got[i]) <= slices.Index(order, got[i-1]) {
			t.Errorf("statuses %v go backwards or repeat", got)
		}
	}

	// An id the simulator never handed out: code 1 naming message_id.
	_, err = c.PollStatus(context.Background(), "42")
	se := providers.AsSendError(err)
	if err == nil || se.Class != providers.Permanent || se.Code != "1" || se.HTTPStatus != 400 || se.Ambiguous {
		t.Errorf("unknown id: %v, want permanent code 1, HTTP 400", err)
	}
	status, _, body := decisiontelecomPost(t, base+"/receive-whatsapp", decisiontelecomBasic(decisiontelecomKey), `{"message_id":"`+r.ProviderMessageID+`"}`)
	if want := map[string]any{"message_id": body["message_id"], "status": 7.0}; status != 200 || !cmp.Equal(want, body) ||
		strconv.FormatFloat(body["message_id"].(float64), 'f', -1, 64) != r.ProviderMessageID {
		t.Errorf("id as a string: %d %v, want the message with status 7", status, body)
	}
	status, _, body = decisiontelecomPost(t, base+"/receive-whatsapp", decisiontelecomBasic(decisiontelecomKey), `{"id":1}`)
	if status != 400 || body["name"] != "Invalid Parameter: message_id" || body["code"] != 1.0 {
		t.Errorf("no message_id: %d %v", status, body)
	}
}

func TestDecisionTelecomPollFailed(t *testing.T) {
	t.Parallel()
	clock := sharedtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	_, c, _ := newDecisionTelecom(t, simulator.Config{Now: clock.Now, Statuses: []string{"sent", "failed"}, ReceiptDelay: time.Second})
	r, err := c.Send(context.Background(), decisiontelecomTemplate(decisiontelecomTo))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	ev, err := c.PollStatus(context.Background(), r.ProviderMessageID)
	if err != nil || ev.Status != message.Failed || ev.ProviderStatus != "failed" {
		t.Errorf("PollStatus a day later: %+v, %v; want failed", ev, err)
	}
}

// The server checks what the adapter already checks before sending, and
// answers in the document's shapes.
func TestDecisionTelecomValidation(t *testing.T) {
	t.Parallel()
	sim, _, base := newDecisionTelecom(t, simulator.Config{})
	sim.Script("380631234567", 2) // used up only by the first valid request
	const head = `{"source_addr":"Custom Company","destination_addr":380631234567,`
	tmpl := func(params string) string {
		b, _ := json.Marshal(params)
		return head + `"message_type":4,"template_name":"promo","template_params":` + string(b) + `}`
	}
	goodParams := `{"to":"380631234567","type":"template","template":{"language":{"policy":"deterministic","code":"en"},"name":"promo"}}`
	for _, tc := range []struct {
		name, body string
		status     int
		code       float64
		errName    string
	}{
		{"not JSON", `{"source_addr":`, 400, 0, "Bad Request"},
		{"an array", `[]`, 400, 0, "Bad Request"},
		{"no source_addr", `{"destination_addr":380631234567,"message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: source_addr"},
		{"source_addr too long", `{"source_addr":"123456789012345678901","destination_addr":380631234567,"message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: source_addr"},
		{"source_addr a number", `{"source_addr":7,"destination_addr":380631234567,"message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: source_addr"},
		{"no destination_addr", `{"source_addr":"C","message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: destination_addr"},
		{"destination_addr with plus", `{"source_addr":"C","destination_addr":"+380631234567","message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: destination_addr"},
		{"destination_addr a fraction", `{"source_addr":"C","destination_addr":3806312345.5,"message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: destination_addr"},
		{"destination_addr too short", `{"source_addr":"C","destination_addr":38063,"message_type":1,"text":"x"}`, 400, 1, "Invalid Parameter: destination_addr"},
		{"no message_type", head + `"text":"x"}`, 400, 1, "Invalid Parameter: message_type"},
		{"message_type 3", head + `"message_type":3,"text":"x"}`, 400, 1, "Invalid Parameter: message_type"},
		{"no text", head + `"message_type":1}`, 400, 1, "Invalid Parameter: text"},
		{"text too long", head + `"message_type":1,"text":"` + strings.Repeat("я", 4097) + `"}`, 400, 1, "Invalid Parameter: text"},
		{"no file_url", head + `"message_type":2}`, 400, 1, "Invalid Parameter: file_url"},
		{"relative file_url", head + `"message_type":2,"file_url":"/a.jpg"}`, 400, 1, "Invalid Parameter: file_url"},
		{"gif", head + `"message_type":2,"file_url":"https://example.com/a.gif"}`, 401, 9, "Invalid credintals for file_url"},
		{"no extension", head + `"message_type":2,"file_url":"https://example.com/image?name=a.jpg"}`, 401, 9, "Invalid credintals for file_url"},
		{"no template_name", head + `"message_type":4,"template_params":"{}"}`, 400, 1, "Invalid Parameter: template_name"},
		{"template_params an object", head + `"message_type":4,"template_name":"promo","template_params":` + goodParams + `}`, 400, 1, "Invalid Parameter: template_params"},
		{"template_params not JSON", tmpl(`{"to":`), 400, 1, "Invalid Parameter: template_params"},
		{"template without language", tmpl(`{"type":"template","template":{"name":"promo"}}`), 400, 1, "Invalid Parameter: template_params"},
		{"bad callback_url", head + `"message_type":1,"text":"x","callback_url":"hooks.example"}`, 400, 1, "Invalid Parameter: callback_url"},
	} {
		status, _, body := decisiontelecomPost(t, base+"/send-whatsapp", decisiontelecomBasic(decisiontelecomKey), tc.body)
		if status != tc.status || body["code"] != tc.code || body["name"] != tc.errName || body["status"] != float64(tc.status) || body["message"] == "" {
			t.Errorf("%s: %d %v, want %d code %v %q", tc.name, status, body, tc.status, tc.code, tc.errName)
		}
	}
	if st := sim.Stats(); st.Accepted != 0 {
		t.Errorf("Accepted = %d, want 0", st.Accepted)
	}
	// The first valid request meets the script, then a digit string and a
	// template go through.
	if status, _, body := decisiontelecomPost(t, base+"/send-whatsapp", decisiontelecomBasic(decisiontelecomKey), tmpl(goodParams)); status != 500 || body["code"] != 2.0 {
		t.Errorf("first valid request: %d %v, want the scripted 500 code 2", status, body)
	}
	for _, body := range []string{
		tmpl(goodParams),
		`{"source_addr":"C","destination_addr":"380631234567","message_type":"1","text":"x","callback_url":"https://hooks.example/cb"}`,
		head + `"message_type":2,"file_url":"https://example.com/a.PNG","text":"caption"}`,
	} {
		status, _, got := decisiontelecomPost(t, base+"/send-whatsapp", decisiontelecomBasic(decisiontelecomKey), body)
		if id, ok := got["message_id"].(float64); status != 200 || !ok || id <= 0 || len(got) != 1 {
			t.Errorf("%s: %d %v, want 200 {\"message_id\":N}", body, status, got)
		}
	}
	if n := sim.Accepted("380631234567"); n != 3 {
		t.Errorf("Accepted = %d, want 3", n)
	}
	status, _, body := decisiontelecomPost(t, base+"/unknown", decisiontelecomBasic(decisiontelecomKey), `{}`)
	if status != 404 || body["name"] != "Not Found" {
		t.Errorf("unknown path: %d %v", status, body)
	}
}
