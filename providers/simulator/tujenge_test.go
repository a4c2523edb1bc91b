package simulator

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTujengeFaultShapes(t *testing.T) {
	t.Parallel()
	onPrem := func(code int, title string) wireBody {
		return wireBody{Errors: []wireError{{Code: code, Title: title, Details: "scripted answer"}}, Meta: onPremMeta}
	}
	gateway := func(code int, msg string, details ...string) wireBody {
		return wireBody{Meta: gatewayMeta(code, msg, details...)}
	}
	for _, tc := range []struct {
		code       int
		status     int
		body       wireBody
		retryAfter string
	}{
		{400, 400, onPrem(400, "Bad Request"), ""},
		{401, 401, gateway(401, "Invalid API key", "scripted answer"), ""},
		{408, 408, onPrem(408, "Message failed to send because it was pending for too long"), ""},
		{429, 429, onPrem(429, "Too many requests"), "3"},
		{470, 400, onPrem(470, "Message failed to send because more than 24 hours have passed since the customer last replied to this number"), ""},
		{500, 500, onPrem(500, "structure unavailable: Client could not display highly structured message"), ""},
		{502, 502, gateway(502, "Bad gateway"), ""},
		{503, 503, gateway(503, "Service temporarily unavailable"), "3"},
		{504, 504, gateway(504, "Gateway timeout"), ""},
		{1000, 400, onPrem(1000, "Failed to generate processed file path"), ""},
		{1008, 400, onPrem(1008, "Required parameter is missing"), ""},
		{1009, 400, onPrem(1009, "Invalid latitude"), ""},
		{1014, 400, onPrem(1014, "Request for the media URL failed"), ""},
		{2001, 400, onPrem(2001, "Template name does not exist in the translation"), ""},
	} {
		t.Run(http.StatusText(tc.status)+"/"+strconv.Itoa(tc.code), func(t *testing.T) {
			t.Parallel()
			s, base := newSim(t, Config{APIKey: testKey, RetryAfter: 3 * time.Second})
			s.Script("+255712345678", tc.code)
			r := send(t, base, textTo("255712345678"))
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if diff := cmp.Diff(tc.body, r.body); diff != "" {
				t.Errorf("body (-want +got):\n%s\nraw: %s", diff, r.raw)
			}
			if n := s.Accepted("255712345678"); n != 0 {
				t.Errorf("Accepted = %d, want 0", n)
			}
			if n := s.Stats().ByCode[strconv.Itoa(tc.code)]; n != 1 {
				t.Errorf("ByCode[%d] = %d, want 1", tc.code, n)
			}
		})
	}
}

func TestTujengeExactGatewayBodies(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	s.Script("255712345678", 503)
	want := `{"meta":{"success":false,"http_code":503,"developer_message":"Service temporarily unavailable"}}`
	if r := send(t, base, textTo("255712345678")); r.raw != want {
		t.Errorf("503 body\n got %s\nwant %s", r.raw, want)
	}
}

func TestTujengeValidation(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	// A script is used up only by valid requests.
	s.Script("255712345678", 503)

	for _, tc := range []struct {
		name, body string
		code       int
		title      string
	}{
		{"bad json", `{"to":`, 400, "Bad Request"},
		{"empty body", ``, 400, "Bad Request"},
		{"to as number", `{"to":255712345678,"type":"text","text":{"body":"x"}}`, 400, "Bad Request"},
		{"trailing garbage", textTo("255712345678") + `}`, 400, "Bad Request"},
		{"no to", `{"type":"text","text":{"body":"x"}}`, 1008, "Required parameter is missing"},
		{"to with plus", textTo("+255712345678"), 1009, "Parameter value is not valid"},
		{"to with letters", textTo("25571234567a"), 1009, "Parameter value is not valid"},
		{"to too short", textTo("255712"), 1009, "Parameter value is not valid"},
		{"to too long", textTo("2557123456789012"), 1009, "Parameter value is not valid"},
		{"to leading zero", textTo("0712345678"), 1009, "Parameter value is not valid"},
		{"group recipient", `{"recipient_type":"group","to":"255712345678","type":"text","text":{"body":"x"}}`, 1009, "Parameter value is not valid"},
		{"no type", `{"to":"255712345678","text":{"body":"x"}}`, 1008, "Required parameter is missing"},
		{"unknown type", `{"to":"255712345678","type":"poll","poll":{}}`, 1009, "Parameter value is not valid"},
		{"text object missing", `{"to":"255712345678","type":"text"}`, 1008, "Required parameter is missing"},
		{"text body empty", `{"to":"255712345678","type":"text","text":{"body":"  "}}`, 1008, "Required parameter is missing"},
		{"text too long", `{"to":"255712345678","type":"text","text":{"body":"` + strings.Repeat("a", 4097) + `"}}`, 1009, "Parameter value is not valid"},
		{"image object missing", `{"to":"255712345678","type":"image","text":{"body":"x"}}`, 1008, "Required parameter is missing"},
		{"image without link", `{"to":"255712345678","type":"image","image":{"caption":"x"}}`, 1008, "Required parameter is missing"},
		{"document relative link", `{"to":"255712345678","type":"document","document":{"link":"/a.pdf"}}`, 1009, "Parameter value is not valid"},
		{"latitude out of range", `{"to":"255712345678","type":"location","location":{"latitude":91,"longitude":0}}`, 1009, "Invalid latitude"},
		{"latitude missing", `{"to":"255712345678","type":"location","location":{"longitude":0}}`, 1008, "Required parameter is missing"},
		{"longitude out of range", `{"to":"255712345678","type":"location","location":{"latitude":0,"longitude":-181}}`, 1009, "Invalid longitude"},
		{"contacts empty", `{"to":"255712345678","type":"contacts","contacts":[]}`, 1009, "Parameter value is not valid"},
		{"contact without name", `{"to":"255712345678","type":"contacts","contacts":[{"phones":[{"phone":"+1 940 555 1234"}]}]}`, 1008, "Required parameter is missing"},
		{"template without name", `{"to":"255712345678","type":"template","template":{"language":{"policy":"deterministic","code":"en"}}}`, 1008, "Required parameter is missing"},
		{"template without language", `{"to":"255712345678","type":"template","template":{"name":"hello"}}`, 1008, "Required parameter is missing"},
		{"template without language code", `{"to":"255712345678","type":"template","template":{"name":"hello","language":{"policy":"deterministic"}}}`, 1008, "Required parameter is missing"},
	} {
		r := send(t, base, tc.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", tc.name, r.status, r.raw)
			continue
		}
		if len(r.body.Errors) != 1 || r.body.Errors[0].Code != tc.code || r.body.Errors[0].Title != tc.title || r.body.Errors[0].Details == "" {
			t.Errorf("%s: errors %+v, want code %d %q with details", tc.name, r.body.Errors, tc.code, tc.title)
		}
		if diff := cmp.Diff(onPremMeta, r.body.Meta); diff != "" {
			t.Errorf("%s: meta (-want +got):\n%s", tc.name, diff)
		}
	}
	if r := send(t, base, textTo("255712345678")); r.status != http.StatusServiceUnavailable {
		t.Errorf("first valid request: status %d, want the scripted 503", r.status)
	}
	if n := s.Stats().Accepted; n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

func TestTujengeAcceptsEveryType(t *testing.T) {
	t.Parallel()
	_, base := newSim(t, Config{APIKey: testKey})
	const head = `{"recipient_type":"individual","to":"255712345678",`
	for _, body := range []string{
		head + `"type":"text","text":{"body":"Habari","preview_url":false}}`,
		head + `"type":"image","image":{"link":"https://example.com/a.jpg","caption":"x"}}`,
		head + `"type":"video","video":{"link":"https://example.com/a.mp4"}}`,
		head + `"type":"audio","audio":{"link":"https://example.com/a.ogg"}}`,
		head + `"type":"document","document":{"link":"https://example.com/a.pdf","filename":"a.pdf"}}`,
		head + `"type":"sticker","sticker":{"link":"https://example.com/a.webp"}}`,
		head + `"type":"location","location":{"latitude":-6.8,"longitude":39.28,"name":"Dar"}}`,
		head + `"type":"contacts","contacts":[{"name":{"formatted_name":"Amina"},"phones":[{"phone":"+255 712 345 678","wa_id":"255712345678"}]}]}`,
		head + `"type":"template","template":{"namespace":"ns","name":"spring_sale","language":{"policy":"deterministic","code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"Amina"}]}]}}`,
		`{"to":"255712345678","type":"text","text":{"body":"no recipient_type"},"extra":"ignored"}`,
	} {
		if r := send(t, base, body); r.status != http.StatusOK {
			t.Errorf("status %d, want 200 for %s: %s", r.status, body, r.raw)
		}
	}
}

func TestTujengeBasePathAndRouting(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	c := http.DefaultClient
	if r := do(t, c, http.MethodPost, base+"/waba/acme/v1/messages", testKey, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("base path: status %d, want 200: %s", r.status, r.raw)
	}
	if r := do(t, c, http.MethodPost, base+"/v1/messages/", testKey, textTo("255712345678")); r.status != http.StatusOK {
		t.Errorf("trailing slash: status %d, want 200: %s", r.status, r.raw)
	}
	r := do(t, c, http.MethodGet, base+"/v1/messages", testKey, "")
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost || r.body.Meta.HTTPCode != 405 {
		t.Errorf("GET /v1/messages: status %d Allow %q: %s", r.status, r.header.Get("Allow"), r.raw)
	}
	for _, p := range []string{"/v1/health", "/v1/xmessages", "/"} {
		r := do(t, c, http.MethodPost, base+p, testKey, "{}")
		if r.status != http.StatusNotFound || r.body.Meta.HTTPCode != 404 || r.body.Meta.DeveloperMessage != "Not found" {
			t.Errorf("POST %s: status %d, want 404 in the gateway shape: %s", p, r.status, r.raw)
		}
	}
	if n := s.Accepted("255712345678"); n != 2 {
		t.Errorf("Accepted = %d, want 2", n)
	}
}

func TestTujengeWebhook(t *testing.T) {
	t.Parallel()
	s, base := newSim(t, Config{APIKey: testKey})
	c := http.DefaultClient
	url := base + "/v1/configs/webhook"

	if u, h := s.Webhook(); u != "" || h != nil {
		t.Errorf("Webhook() before any config = %q, %v; want empty", u, h)
	}
	if r := do(t, c, http.MethodPost, url, "", `{"url":"https://example.com/hook"}`); r.status != http.StatusUnauthorized || r.body.Meta.HTTPCode != 401 {
		t.Errorf("no key: status %d, want 401 in the gateway shape: %s", r.status, r.raw)
	}
	for _, body := range []string{`{"url":`, `{"url":"not a url"}`, `{"headers":{}}`} {
		r := do(t, c, http.MethodPost, url, testKey, body)
		if r.status != http.StatusBadRequest || r.body.Meta.HTTPCode != 400 || len(r.body.Meta.Details) != 1 {
			t.Errorf("%s: status %d, want 400 in the gateway shape: %s", body, r.status, r.raw)
		}
	}
	if r := do(t, c, http.MethodGet, url, testKey, ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", r.status)
	}

	body := `{"url":"https://www.example.com/webhook","headers":{"Authorization":"Basic dGVzdHVzZXI6dGVzdHBhc3M="}}`
	r := do(t, c, http.MethodPost, base+"/base/v1/configs/webhook", testKey, body)
	if r.status != http.StatusOK || r.raw != body {
		t.Errorf("set webhook: status %d body\n got %s\nwant %s", r.status, r.raw, body)
	}
	u, h := s.Webhook()
	if diff := cmp.Diff(map[string]string{"Authorization": "Basic dGVzdHVzZXI6dGVzdHBhc3M="}, h); u != "https://www.example.com/webhook" || diff != "" {
		t.Errorf("Webhook() = %q, headers (-want +got):\n%s", u, diff)
	}
	h["Authorization"] = "changed"
	if _, h2 := s.Webhook(); h2["Authorization"] == "changed" {
		t.Error("Webhook() returns the stored map, not a copy")
	}
	s.Reset()
	if u, _ := s.Webhook(); u == "" {
		t.Error("Reset forgot the webhook configuration")
	}
	if r := do(t, c, http.MethodPost, url, testKey, `{"url":"http://127.0.0.1:9/hook"}`); r.raw != `{"url":"http://127.0.0.1:9/hook","headers":{}}` {
		t.Errorf("without headers: %s", r.raw)
	}
	if st := s.Stats(); st.Requests != 0 {
		t.Errorf("webhook calls counted as sends: %+v", st)
	}
}
