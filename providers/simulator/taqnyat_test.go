package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

// The Taqnyat wire format, driven by the real Taqnyat adapter.

const taqnyatToken = "tq-sim-7Kx2pQ9wLm4R"

// taqnyatStart starts a taqnyat simulator on a free loopback port.
func taqnyatStart(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	t.Helper()
	cfg.Kind = "taqnyat"
	if cfg.APIKey == "" {
		cfg.APIKey = taqnyatToken
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
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
	return sim, base
}

// taqnyatAdapter is the real adapter pointed at the simulator, under the
// document's base path.
func taqnyatAdapter(t *testing.T, base, token string) *taqnyat.Client {
	t.Helper()
	c, err := taqnyat.New(taqnyat.Config{BaseURL: base + "/wa/v1/", Token: token})
	if err != nil {
		t.Fatalf("taqnyat.New: %v", err)
	}
	return c
}

func taqnyatMessage(to string, c message.Content) *message.Message {
	return &message.Message{ID: "m-" + to, Account: "taqnyat-sim", To: to, Content: c}
}

func taqnyatText(to string) *message.Message {
	return taqnyatMessage(to, message.Content{Text: &message.Text{Body: "Marhaba!"}})
}

func taqnyatTemplate(to string) *message.Message {
	return taqnyatMessage(to, message.Content{Template: &message.Template{
		Name: "appointment_reminder", Language: "ar", Body: []string{"Amina", "10:30"}}})
}

// taqnyatSendError sends m and returns the SendError it must fail with.
func taqnyatSendError(t *testing.T, c *taqnyat.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	if err == nil {
		t.Fatalf("Send to %s succeeded (%+v), want an error", m.To, r)
	}
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send: %v is not a *providers.SendError", err)
	}
	return se
}

// taqnyatOutcome is what a test checks of a SendError.
type taqnyatOutcome struct {
	Class  providers.Class
	Reason providers.Reason
	Code   string
}

func taqnyatOutcomeOf(se *providers.SendError) taqnyatOutcome {
	return taqnyatOutcome{Class: se.Class, Reason: se.Reason, Code: se.Code}
}

func TestTaqnyatAdapterSendsEveryKind(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{})
	c := taqnyatAdapter(t, base, taqnyatToken)
	media := func(caption string) *message.Media {
		return &message.Media{URL: "https://example.com/f", Caption: caption}
	}
	contents := []message.Content{
		{Text: &message.Text{Body: "Marhaba https://example.com", PreviewURL: true}},
		{Image: media("an image")},
		{Video: media("a video")},
		{Audio: media("")},
		{Document: &message.Media{URL: "https://example.com/a.pdf", Caption: "the invoice", Filename: "a.pdf"}},
		{Sticker: media("")},
		{Location: &message.Location{Latitude: 24.7136, Longitude: 46.6753, Name: "Riyadh", Address: "King Fahd Rd"}},
		{Location: &message.Location{}}, // 0, 0 is a place
		{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Amina Said"},
			Phones: []message.ContactPhone{{Phone: "+966 50 123 4567", WaID: "966501234567"}}}}},
		{Template: &message.Template{Name: "appointment_reminder", Language: "ar", Body: []string{"Amina", "10:30"}}},
		{Template: &message.Template{Name: "order_update", Language: "en_US", Namespace: "ignored",
			Header: &message.TemplateHeader{Text: "#1234"}, Body: []string{"Amina"},
			Buttons: []message.TemplateButton{{SubType: "quick_reply", Index: 1, Param: "STOP"}, {SubType: "url", Index: 0, Param: "orders/1234"}}}},
		{Template: &message.Template{Name: "receipt", Language: "en", Header: &message.TemplateHeader{Image: &message.Media{URL: "https://example.com/r.png"}}}},
		{Template: &message.Template{Name: "statement", Language: "en", Header: &message.TemplateHeader{Video: &message.Media{URL: "https://example.com/s.mp4"}}}},
		{Template: &message.Template{Name: "invoice", Language: "en", Header: &message.TemplateHeader{Document: &message.Media{URL: "https://example.com/i.pdf", Filename: "i.pdf"}}}},
	}
	ids := map[string]bool{}
	for i, content := range contents {
		to := fmt.Sprintf("+9665012345%02d", i)
		m := taqnyatMessage(to, content)
		if i%2 == 1 {
			m.ExpiresAt = time.Now().Add(36 * time.Hour) // a ttl rides along
		}
		r, err := c.Send(context.Background(), m)
		if err != nil {
			t.Errorf("%s: %v", content.Kind(), err)
			continue
		}
		if r.Status != message.Accepted || len(r.ProviderMessageID) != 26 || ids[r.ProviderMessageID] {
			t.Errorf("%s: receipt %+v, want accepted with a fresh 26-character id", content.Kind(), r)
		}
		ids[r.ProviderMessageID] = true
		if n := sim.Accepted(to); n != 1 {
			t.Errorf("%s: Accepted(%s) = %d, want 1", content.Kind(), to, n)
		}
	}
	st := sim.Stats()
	if st.Accepted != int64(len(contents)) || st.Requests != int64(len(contents)) || st.Duplicates != 0 {
		t.Errorf("Stats = %+v, want %d requests, all accepted once", st, len(contents))
	}
}

func TestTaqnyatAdapterWrongToken(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{})
	c := taqnyatAdapter(t, base, "not-the-token")
	se := taqnyatSendError(t, c, taqnyatText("+966501234567"))
	want := taqnyatOutcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"}
	if diff := cmp.Diff(want, taqnyatOutcomeOf(se)); diff != "" || se.HTTPStatus != 401 {
		t.Errorf("wrong token: HTTP %d, outcome (-want +got):\n%s", se.HTTPStatus, diff)
	}
	if strings.Contains(se.Error(), "not-the-token") {
		t.Errorf("the error shows the token: %v", se)
	}
	err := c.OptIn(context.Background(), "+966501234567")
	if se := providers.AsSendError(err); se.Class != providers.Account || se.Reason != providers.ReasonAuth {
		t.Errorf("opt-in with a wrong token: %v, want account/auth", err)
	}
	if n := sim.Stats().Accepted; n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

// taqnyatRaw is one answer as a plain HTTP client sees it.
type taqnyatRaw struct {
	status int
	header http.Header
	body   string
}

func taqnyatDo(t *testing.T, method, url, auth, body string) taqnyatRaw {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, url, err)
	}
	return taqnyatRaw{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

const taqnyatBearer = "Bearer " + taqnyatToken

func taqnyatTextBody(to string) string {
	return `{"to":["` + to + `"],"message":{"type":"text","text":"Marhaba","preview_url":false}}`
}

func TestTaqnyatWireShapes(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{RetryAfter: 3 * time.Second})
	url := base + "/wa/v1/messages/"
	const unauthorized = `{"message":"401","reason":"Unauthorized"}`
	for _, auth := range []string{"", "Bearer wrong", "Basic dTpw", taqnyatToken} {
		if r := taqnyatDo(t, http.MethodPost, url, auth, taqnyatTextBody("966501234567")); r.status != 401 || r.body != unauthorized {
			t.Errorf("Authorization %q: %d %s, want 401 %s", auth, r.status, r.body, unauthorized)
		}
	}

	r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, taqnyatTextBody("966501234567"))
	var ok struct {
		Statuses []struct {
			MessageID string `json:"message_id"`
		} `json:"statuses"`
	}
	if err := json.Unmarshal([]byte(r.body), &ok); err != nil || r.status != http.StatusCreated || len(ok.Statuses) != 1 {
		t.Fatalf("accept: %d %s (%v), want 201 with one report", r.status, r.body, err)
	}
	want := `{"type":"whatsapp","statuses":[{"status":"success","state":"queued","message_id":"` + ok.Statuses[0].MessageID + `"}]}`
	if r.body != want || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("accept body\n got %s\nwant %s", r.body, want)
	}
	// Without the trailing slash, and without a base path, too.
	for _, u := range []string{base + "/wa/v1/messages", base + "/messages/"} {
		if r := taqnyatDo(t, http.MethodPost, u, taqnyatBearer, taqnyatTextBody("966501234567")); r.status != http.StatusCreated {
			t.Errorf("POST %s: %d %s, want 201", u, r.status, r.body)
		}
	}
	if n := sim.Accepted("+966501234567"); n != 3 {
		t.Errorf("Accepted = %d, want 3", n)
	}

	for _, tc := range []struct {
		code   int
		status int
		body   string
		ra     string
	}{
		{400, 400, `{"message":"Validation error","details":"scripted answer"}`, ""},
		{401, 401, `{"message":"401","reason":"Unauthorized","details":"scripted answer"}`, ""},
		{429, 429, `{"message":"429","reason":"Too Many Requests","details":"scripted answer"}`, "3"},
		{500, 500, `{"message":"500","reason":"Internal Server Error","details":"scripted answer"}`, ""},
		{503, 503, `{"message":"503","reason":"Service Unavailable","details":"scripted answer"}`, "3"},
		{2011, 201, `{"type":"whatsapp","statuses":[{"status":"failure","state":"no_opt_in","details":"Message rejected by Taqnyat API as recipient is not registered to have opted in"}]}`, ""},
		{2012, 201, `{"type":"whatsapp","statuses":[{"status":"failure","state":"no_capability","details":"Message rejected by Taqnyat API as the recipient lacks WhatsApp capability"}]}`, ""},
		{2013, 201, `{"type":"whatsapp","statuses":[{"status":"failure","state":"failed","details":"Message has failed"}]}`, ""},
		{4002, 400, `{"message":"Insufficient balance","details":"scripted answer"}`, ""},
	} {
		sim.Script("966501234599", tc.code)
		r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, taqnyatTextBody("966501234599"))
		if r.status != tc.status || r.body != tc.body || r.header.Get("Retry-After") != tc.ra {
			t.Errorf("code %d: %d %s Retry-After %q\nwant %d %s Retry-After %q", tc.code, r.status, r.body, r.header.Get("Retry-After"), tc.status, tc.body, tc.ra)
		}
	}
	for _, code := range []int{502, 504} {
		sim.Script("966501234599", code)
		r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, taqnyatTextBody("966501234599"))
		if r.status != code || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "<center>nginx</center>") {
			t.Errorf("code %d: %d %q %s, want the nginx page", code, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	if r := taqnyatDo(t, http.MethodGet, url, taqnyatBearer, ""); r.status != 405 || r.header.Get("Allow") != http.MethodPost || !strings.HasPrefix(r.body, `{"message":"405"`) {
		t.Errorf("GET: %d Allow %q %s, want 405", r.status, r.header.Get("Allow"), r.body)
	}
	if r := taqnyatDo(t, http.MethodPost, base+"/wa/v1/templates", taqnyatBearer, "{}"); r.status != 404 || !strings.HasPrefix(r.body, `{"message":"404"`) {
		t.Errorf("unknown path: %d %s, want 404", r.status, r.body)
	}
	if n := sim.Accepted("966501234599"); n != 0 {
		t.Errorf("Accepted(scripted) = %d, want 0", n)
	}
}

func TestTaqnyatValidation(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{})
	url := base + "/wa/v1/messages/"
	sim.Script("966501234567", 503) // used up by the first valid request only
	msg := func(m string) string { return `{"to":["966501234567"],"message":` + m + `}` }
	for _, tc := range []struct{ name, body, details string }{
		{"not JSON", `{"to":`, "not a valid JSON object"},
		{"empty", ``, "not a valid JSON object"},
		{"trailing garbage", taqnyatTextBody("966501234567") + "}", "not a valid JSON object"},
		{"no to", `{"message":{"type":"text","text":"x"}}`, "to is required"},
		{"to as a string", `{"to":"966501234567","message":{"type":"text","text":"x"}}`, "array of MSISDNs"},
		{"to empty", `{"to":[],"message":{"type":"text","text":"x"}}`, "not 0"},
		{"to with plus", taqnyatTextBody("+966501234567"), "without 00"},
		{"to with 00", taqnyatTextBody("00966501234567"), "without 00"},
		{"to too long", taqnyatTextBody("9665012345678901"), "7 to 15 digits"},
		{"two recipients", `{"to":["966501234567","966501234568"],"message":{"type":"text","text":"x"}}`, "one recipient per request"},
		{"21 recipients", `{"to":[` + strings.Repeat(`"966501234567",`, 20) + `"966501234567"],"message":{"type":"text","text":"x"}}`, "the limit is 20"},
		{"no message", `{"to":["966501234567"]}`, "message is required"},
		{"message as a string", msg(`"hello"`), "not a valid message object"},
		{"no type", msg(`{"text":"x"}`), "message.type is required"},
		{"unknown type", msg(`{"type":"poll"}`), "is not one of"},
		{"text missing", msg(`{"type":"text"}`), "message.text is required"},
		{"text blank", msg(`{"type":"text","text":"  "}`), "message.text is empty"},
		{"text as an object", msg(`{"type":"text","text":{"body":"x"}}`), "not a valid message object"},
		{"text too long", msg(`{"type":"text","text":"` + strings.Repeat("a", 4097) + `"}`), "the limit is 4096"},
		{"preview_url a string", msg(`{"type":"text","text":"x","preview_url":"yes"}`), "not a valid message object"},
		{"image without url", msg(`{"type":"image","caption":"x"}`), "message.url is required"},
		{"image relative url", msg(`{"type":"image","url":"/a.png"}`), "http or https"},
		{"audio caption", msg(`{"type":"audio","url":"https://example.com/a.ogg","caption":"x"}`), "not allowed for audio"},
		{"sticker caption", msg(`{"type":"sticker","url":"https://example.com/a.webp","caption":"x"}`), "not allowed for sticker"},
		{"image filename", msg(`{"type":"image","url":"https://example.com/a.png","filename":"a.png"}`), "document only"},
		{"caption too long", msg(`{"type":"video","url":"https://example.com/a.mp4","caption":"` + strings.Repeat("a", 1025) + `"}`), "the limit is 1024"},
		{"location without lat", msg(`{"type":"location","lng":46.6}`), "message.lat is required"},
		{"location without lng", msg(`{"type":"location","lat":24.7}`), "message.lng is required"},
		{"latitude out of range", msg(`{"type":"location","lat":91,"lng":0}`), "outside [-90, 90]"},
		{"longitude out of range", msg(`{"type":"location","lat":0,"lng":-181}`), "outside [-180, 180]"},
		{"latitude as a string", msg(`{"type":"location","lat":"24.7","lng":46.6}`), "not a valid message object"},
		{"contacts missing", msg(`{"type":"contacts"}`), "message.contacts is required"},
		{"contacts empty", msg(`{"type":"contacts","contacts":[]}`), "at least one contact card"},
		{"contact without name", msg(`{"type":"contacts","contacts":[{"phones":[{"phone":"+966501234567"}]}]}`), "contacts[0].name is required"},
		{"contact without formatted name", msg(`{"type":"contacts","contacts":[{"name":{"first_name":"Amina"}}]}`), "formatted_name is required"},
		{"contact with formatted name only", msg(`{"type":"contacts","contacts":[{"name":{"formatted_name":"Amina"}}]}`), "first_name or last_name"},
		{"template without name", msg(`{"type":"template","language":"ar"}`), "template_name is required"},
		{"template without language", msg(`{"type":"template","template_name":"hello"}`), "language is required"},
		{"template empty body param", msg(`{"type":"template","template_name":"hello","language":"ar","body_params":["a",""]}`), "body_params[1] is empty"},
		{"header params without text media", msg(`{"type":"template","template_name":"hello","language":"ar","header_params":["x"]}`), `media {"type":"text"}`},
		{"text header without params", msg(`{"type":"template","template_name":"hello","language":"ar","media":{"type":"text"}}`), "exactly one header_params"},
		{"media header without url", msg(`{"type":"template","template_name":"hello","language":"ar","media":{"type":"image"}}`), "media.url"},
		{"media header of unknown type", msg(`{"type":"template","template_name":"hello","language":"ar","media":{"type":"gif","url":"https://example.com/a.gif"}}`), "is not one of image"},
		{"url button without parameter", msg(`{"type":"template","template_name":"hello","language":"ar","buttons":[{"type":"url"}]}`), "parameter is required"},
		{"quick reply without payload", msg(`{"type":"template","template_name":"hello","language":"ar","buttons":[{"type":"quick_reply"}]}`), "payload is required"},
		{"unknown button", msg(`{"type":"template","template_name":"hello","language":"ar","buttons":[{"type":"call","payload":"x"}]}`), "not url or quick_reply"},
		{"ttl in hours", msg(`{"type":"text","text":"x","ttl":"36h"}`), "ISO-8601 duration"},
		{"ttl zero", msg(`{"type":"text","text":"x","ttl":"PT0S"}`), "ISO-8601 duration"},
		{"ttl empty time part", msg(`{"type":"text","text":"x","ttl":"P1DT"}`), "ISO-8601 duration"},
		{"ttl a number", msg(`{"type":"text","text":"x","ttl":3600}`), "not a valid message object"},
	} {
		r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, tc.body)
		var e struct{ Message, Details string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != 400 || e.Message != "Validation error" || !strings.Contains(e.Details, tc.details) {
			t.Errorf("%s: %d %s, want 400 Validation error with details containing %q", tc.name, r.status, r.body, tc.details)
		}
	}
	for _, body := range []string{
		msg(`{"type":"text","text":"x","ttl":"P7D"}`),
		msg(`{"type":"image","url":"https://example.com/a.png","caption":"x","provider":"cdn","ttl":"P1DT2H30M"}`),
		msg(`{"type":"document","url":"https://example.com/a.pdf","filename":"a.pdf","ttl":"PT45S"}`),
		msg(`{"type":"location","lat":0,"lng":0}`),
		msg(`{"type":"contacts","contacts":[{"name":{"formatted_name":"Amina Said","last_name":"Said"}}]}`),
		msg(`{"type":"template","template_name":"hello","language":"ar","media":{"type":"text"},"header_params":["x"],"ttl":"P1W"}`),
	} {
		want := 201
		if sim.Stats().ByCode["503"] == 0 {
			want = 503 // the script is used up here, not by the invalid requests
		}
		if r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, body); r.status != want {
			t.Errorf("%s: %d %s, want %d", body, r.status, r.body, want)
		}
	}
	if n := sim.Accepted("966501234567"); n != 5 {
		t.Errorf("Accepted = %d, want 5 (six valid requests, the first meeting the scripted 503)", n)
	}
}

// Each scenario code, scripted, reaches the adapter as the class a demo
// expects, and every other code of the format as its own class.
func TestTaqnyatScenarioClasses(t *testing.T) {
	t.Parallel()
	sc, ok := simulator.ScenarioFor("taqnyat")
	if !ok {
		t.Fatal("no taqnyat scenario")
	}
	if sc.Template != 0 || sc.Window != 131047 {
		t.Errorf("Template %d, Window %d: want 0 (the adapter classifies no template error) and 131047", sc.Template, sc.Window)
	}
	sim, base := taqnyatStart(t, simulator.Config{RetryAfter: 2 * time.Second})
	c := taqnyatAdapter(t, base, taqnyatToken)
	check := func(name string, code int, want taqnyatOutcome) *providers.SendError {
		t.Helper()
		const to = "+966501234567"
		sim.Script(to, code)
		se := taqnyatSendError(t, c, taqnyatTemplate(to))
		if diff := cmp.Diff(want, taqnyatOutcomeOf(se)); diff != "" {
			t.Errorf("%s (%d): %v\n(-want +got):\n%s", name, code, se, diff)
		}
		return se
	}
	for _, code := range sc.Transient {
		if se := check("transient", code, taqnyatOutcome{Class: providers.Transient, Code: fmt.Sprint(code)}); se.Ambiguous {
			t.Errorf("transient %d: Ambiguous, want a clear failure", code)
		}
	}
	if se := check("throttle", sc.Throttle, taqnyatOutcome{Class: providers.Transient, Reason: providers.ReasonThrottled, Code: "429"}); se.RetryAfter != 2*time.Second {
		t.Errorf("throttle: RetryAfter %v, want 2s", se.RetryAfter)
	}
	check("permanent", sc.Permanent, taqnyatOutcome{Class: providers.Permanent, Code: "no_opt_in"})
	check("auth", sc.Auth, taqnyatOutcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"})
	if se := check("window", sc.Window, taqnyatOutcome{Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"}); se.HTTPStatus != 400 {
		t.Errorf("window: HTTP %d, want 400", se.HTTPStatus)
	}

	check("validation", 400, taqnyatOutcome{Class: providers.Permanent, Code: "400"})
	check("no capability", 2012, taqnyatOutcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "no_capability"})
	check("failed", 2013, taqnyatOutcome{Class: providers.Permanent, Code: "failed"})
	if se := check("window in a report", 2014, taqnyatOutcome{Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "failed"}); !strings.Contains(se.Message, "24-hour") {
		t.Errorf("window in a report: message %q, want it to name the 24-hour session", se.Message)
	}
	check("balance", 4002, taqnyatOutcome{Class: providers.Account, Reason: providers.ReasonBalance, Code: "400"})
	if n := sim.Stats().Accepted; n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

// With Config.Window a free-form message needs an inbound message first:
// outside the window Taqnyat passes on WhatsApp's 131047, which the adapter
// reads as the window.
func TestTaqnyatWindow(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{Window: true})
	c := taqnyatAdapter(t, base, taqnyatToken)
	const to = "+966501234567"
	se := taqnyatSendError(t, c, taqnyatText(to))
	if se.Class != providers.Permanent || se.Reason != providers.ReasonWindowClosed || se.Code != "131047" ||
		!strings.Contains(se.Message, "24 hours") || !strings.Contains(se.Message, "966501234567") {
		t.Errorf("free-form, window closed: %v; want permanent window_closed 131047 naming the 24 hours", se)
	}
	if _, err := c.Send(context.Background(), taqnyatTemplate(to)); err != nil {
		t.Errorf("template, window closed: %v, want accepted", err)
	}
	sim.MarkInbound(to, time.Now())
	if _, err := c.Send(context.Background(), taqnyatText(to)); err != nil {
		t.Errorf("free-form after an inbound message: %v, want accepted", err)
	}
	if n := sim.Accepted(to); n != 2 {
		t.Errorf("Accepted = %d, want 2", n)
	}
	if n := sim.Stats().ByCode["131047"]; n != 1 {
		t.Errorf("ByCode[131047] = %d, want 1", n)
	}
}

func TestTaqnyatRateAndPairLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  simulator.Config
		to2  string
	}{
		{"rate", simulator.Config{Rate: 0.001, Burst: 1}, "+966501234568"},
		{"pair", simulator.Config{PairInterval: time.Hour}, "+966501234567"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim, base := taqnyatStart(t, tc.cfg)
			c := taqnyatAdapter(t, base, taqnyatToken)
			if _, err := c.Send(context.Background(), taqnyatTemplate("+966501234567")); err != nil {
				t.Fatalf("first send: %v", err)
			}
			se := taqnyatSendError(t, c, taqnyatTemplate(tc.to2))
			want := taqnyatOutcome{Class: providers.Transient, Reason: providers.ReasonThrottled, Code: "429"}
			if diff := cmp.Diff(want, taqnyatOutcomeOf(se)); diff != "" || se.RetryAfter < time.Second {
				t.Errorf("over the limit: %v, RetryAfter %v; (-want +got):\n%s", se, se.RetryAfter, diff)
			}
			if n := sim.Stats().ByCode["429"]; n != 1 {
				t.Errorf("ByCode[429] = %d, want 1", n)
			}
		})
	}
}

// taqnyatReceiver collects the callbacks the simulator posts.
type taqnyatReceiver struct {
	mu     sync.Mutex
	bodies [][]byte
	ctype  []string
}

func (rc *taqnyatReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, b)
	rc.ctype = append(rc.ctype, r.Header.Get("Content-Type"))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// events parses every callback received so far with the adapter.
func (rc *taqnyatReceiver) events(t *testing.T, c *taqnyat.Client) []providers.Event {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var evs []providers.Event
	for i, b := range rc.bodies {
		if rc.ctype[i] != "application/json" {
			t.Errorf("callback Content-Type %q", rc.ctype[i])
		}
		ev, err := c.ParseCallback(http.Header{"Content-Type": {rc.ctype[i]}}, b)
		if err != nil {
			t.Fatalf("ParseCallback(%s): %v", b, err)
		}
		evs = append(evs, ev...)
	}
	return evs
}

// waitEvents polls until done says the events are all there, or a deadline.
func (rc *taqnyatReceiver) waitEvents(t *testing.T, c *taqnyat.Client, done func([]providers.Event) bool) []providers.Event {
	t.Helper()
	return sharedtest.WaitFor(t, func() []providers.Event { return rc.events(t, c) }, done, 10*time.Second, "callbacks")
}

func TestTaqnyatCallbacks(t *testing.T) {
	t.Parallel()
	rc := &taqnyatReceiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	sim, base := taqnyatStart(t, simulator.Config{CallbackURL: hook.URL, ReceiptDelay: time.Millisecond,
		BusinessNumber: "966115550000", Seed: 7})
	c := taqnyatAdapter(t, base, taqnyatToken)
	const to = "+966501234567"
	r, err := c.Send(context.Background(), taqnyatTemplate(to))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := sim.Inbound(to, "Marhaba, sual"); err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	evs := rc.waitEvents(t, c, func(evs []providers.Event) bool { return len(evs) >= 4 })

	statuses := map[message.Status]bool{}
	var inbound []providers.Event
	for _, ev := range evs {
		switch ev.Kind {
		case providers.EventStatus:
			if ev.ProviderMessageID != r.ProviderMessageID || ev.Recipient != to || ev.Time.IsZero() || ev.ErrorCode != "" {
				t.Errorf("status event %+v: want id %s, recipient %s, a time, no error", ev, r.ProviderMessageID, to)
			}
			if string(ev.Status) != ev.ProviderStatus {
				t.Errorf("status event %+v: ProviderStatus differs from Status", ev)
			}
			statuses[ev.Status] = true
		case providers.EventInbound:
			inbound = append(inbound, ev)
		}
	}
	if diff := cmp.Diff(map[message.Status]bool{message.Sent: true, message.Delivered: true, message.Read: true}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(inbound) != 1 {
		t.Fatalf("inbound events %+v, want 1", inbound)
	}
	in := inbound[0]
	if in.From != to || in.Text != "Marhaba, sual" || in.To != "+966115550000" || in.InboundID == "" || in.Time.IsZero() {
		t.Errorf("inbound event %+v, want from %s with the text, to the business number", in, to)
	}
}

func TestTaqnyatFailedReceipt(t *testing.T) {
	t.Parallel()
	rc := &taqnyatReceiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	_, base := taqnyatStart(t, simulator.Config{CallbackURL: hook.URL, ReceiptDelay: time.Millisecond,
		Statuses: []string{"sent", "failed"}})
	c := taqnyatAdapter(t, base, taqnyatToken)
	r, err := c.Send(context.Background(), taqnyatTemplate("+966501234567"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	evs := rc.waitEvents(t, c, func(evs []providers.Event) bool { return len(evs) >= 2 })
	var failed []providers.Event
	for _, ev := range evs {
		if ev.Status == message.Failed {
			failed = append(failed, ev)
		}
	}
	if len(failed) != 1 || failed[0].ProviderMessageID != r.ProviderMessageID || failed[0].ErrorCode != "failed" || !strings.Contains(failed[0].Error, "24-hour") {
		t.Errorf("failed events %+v, want one for %s with code failed and the window's words", failed, r.ProviderMessageID)
	}
}

func TestTaqnyatOptIn(t *testing.T) {
	t.Parallel()
	sim, base := taqnyatStart(t, simulator.Config{})
	c := taqnyatAdapter(t, base, taqnyatToken)
	ctx := context.Background()
	type record struct {
		OptedIn      bool
		OptIns, Outs int
	}
	get := func(n string) record {
		in, ins, outs := sim.TaqnyatOptIns(n)
		return record{in, ins, outs}
	}
	if err := c.OptIn(ctx, "+966501234567", "+966501234568"); err != nil {
		t.Fatalf("OptIn: %v", err)
	}
	if err := c.OptOut(ctx, "+966501234568"); err != nil {
		t.Fatalf("OptOut: %v", err)
	}
	if err := c.OptIn(ctx, "+966501234567"); err != nil {
		t.Fatalf("OptIn again: %v", err)
	}
	for n, want := range map[string]record{
		"+966501234567": {true, 2, 0},
		"966501234568":  {false, 1, 1},
		"+966501234569": {false, 0, 0},
	} {
		if diff := cmp.Diff(want, get(n)); diff != "" {
			t.Errorf("TaqnyatOptIns(%s) (-want +got):\n%s", n, diff)
		}
	}
	// More than 20 numbers go in several requests; all are recorded.
	var many []string
	for i := range 25 {
		many = append(many, fmt.Sprintf("+9665090000%02d", i))
	}
	if err := c.OptIn(ctx, many...); err != nil {
		t.Fatalf("OptIn(25 numbers): %v", err)
	}
	for _, n := range many {
		if got := get(n); got != (record{true, 1, 0}) {
			t.Errorf("TaqnyatOptIns(%s) = %+v, want opted in once", n, got)
		}
	}
	if st := sim.Stats(); st.Requests != 0 || len(st.ByCode) != 0 {
		t.Errorf("opt-ins counted as sends: %+v", st)
	}

	url := base + "/wa/v1/provision/optin/"
	r := taqnyatDo(t, http.MethodPost, url, taqnyatBearer, `{"numbers":"966501234570"}`)
	if want := `{"type":"Opt-In","statuses":[{"status":"success","state":"enable","recipient":"966501234570"}]}`; r.status != 200 || r.body != want {
		t.Errorf("opt in one number: %d %s, want 200 %s", r.status, r.body, want)
	}
	r = taqnyatDo(t, http.MethodDelete, base+"/wa/v1/provision/optin", taqnyatBearer, `{"numbers":["966501234570"]}`)
	if want := `{"type":"Opt-Out","statuses":[{"status":"success","state":"disable","recipient":"966501234570"}]}`; r.status != 200 || r.body != want {
		t.Errorf("opt out: %d %s, want 200 %s", r.status, r.body, want)
	}
	for _, tc := range []struct {
		method, auth, body string
		status             int
	}{
		{http.MethodPost, "", `{"numbers":["966501234570"]}`, 401},
		{http.MethodGet, taqnyatBearer, ``, 405},
		{http.MethodPost, taqnyatBearer, `{"numbers":[]}`, 400},
		{http.MethodPost, taqnyatBearer, `{}`, 400},
		{http.MethodPost, taqnyatBearer, `{"numbers":["+966501234570"]}`, 400},
		{http.MethodPost, taqnyatBearer, `{"numbers":[966501234570]}`, 400},
		{http.MethodPost, taqnyatBearer, `{"numbers":[` + strings.Repeat(`"966501234570",`, 20) + `"966501234570"]}`, 400},
	} {
		if r := taqnyatDo(t, tc.method, url, tc.auth, tc.body); r.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.body, r.status, r.body, tc.status)
		}
	}
	if got := get("966501234570"); got != (record{false, 1, 1}) {
		t.Errorf("after refused requests: %+v, want the one opt-in and opt-out", got)
	}
}
