package simulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/socnet"
)

// The Socnet wire format, driven by the real Socnet adapter.

const (
	socnetKey  = "5f3c9a1e7b2d4c6a8e0f1a3b5c7d9e2f" // 32 bytes, as the document describes
	socnetPath = "/projects/bulk/whatsapp/api.php"
)

// socnetStart starts a socnet simulator on a free loopback port and returns
// it with the API URL.
func socnetStart(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	t.Helper()
	cfg.Kind = "socnet"
	if cfg.APIKey == "" {
		cfg.APIKey = socnetKey
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
	return sim, base + socnetPath
}

func socnetClient(t *testing.T, url, key string) *socnet.Client {
	t.Helper()
	c, err := socnet.New(socnet.Config{URL: url, APIKey: key})
	if err != nil {
		t.Fatalf("socnet.New: %v", err)
	}
	return c
}

func socnetText(to string) *message.Message {
	return &message.Message{ID: "text:" + to, Account: "socnet-test", To: to,
		Content: message.Content{Text: &message.Text{Body: "Habari! Your order ships today."}}}
}

func socnetOTP(to string) *message.Message {
	return &message.Message{ID: "otp:" + to, Account: "socnet-test", To: to,
		Content: message.Content{Template: &message.Template{Name: "otp", Language: "en", Body: []string{"1234"}}}}
}

// socnetSend sends m; a failure must be a *providers.SendError.
func socnetSend(t *testing.T, c *socnet.Client, m *message.Message) (providers.Receipt, *providers.SendError) {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	if err == nil {
		return r, nil
	}
	return r, providers.AsSendError(err)
}

// Both content kinds the adapter carries are accepted and counted, and
// both success channels (which the simulator alternates) are read.
func TestSocnetAdapterSendsEveryKind(t *testing.T) {
	t.Parallel()
	sim, url := socnetStart(t, simulator.Config{})
	c := socnetClient(t, url, socnetKey)

	for i, tc := range []struct {
		m      *message.Message
		prefix string
		status message.Status
	}{
		{socnetText("+256701234501"), "3EB0", message.Sent},       // seq 1: channel 1
		{socnetText("+256701234502"), "wamid.", message.Accepted}, // seq 2: channel 2
		{socnetOTP("+256701234503"), "3EB0", message.Sent},
		{socnetOTP("+256701234504"), "wamid.", message.Accepted},
	} {
		r, se := socnetSend(t, c, tc.m)
		if se != nil {
			t.Fatalf("send %d (%s): %v", i, tc.m.Content.Kind(), se)
		}
		if !strings.HasPrefix(r.ProviderMessageID, tc.prefix) || r.Status != tc.status {
			t.Errorf("send %d (%s): receipt %+v, want an id starting %q and status %s", i, tc.m.Content.Kind(), r, tc.prefix, tc.status)
		}
		if n := sim.Accepted(tc.m.To); n != 1 {
			t.Errorf("Accepted(%s) = %d, want 1", tc.m.To, n)
		}
		if _, ok := sim.MessageStatus(r.ProviderMessageID); !ok {
			t.Errorf("MessageStatus(%s): unknown id", r.ProviderMessageID)
		}
	}

	// What Socnet's one request shape cannot carry never reaches it.
	img := &message.Message{ID: "img", Account: "socnet-test", To: "+256701234505",
		Content: message.Content{Image: &message.Media{URL: "https://example.com/a.jpg"}}}
	if _, se := socnetSend(t, c, img); se == nil || se.Class != providers.Permanent || se.Reason != providers.ReasonUnsupported {
		t.Errorf("image: %v, want permanent unsupported", se)
	}
	if st := sim.Stats(); st.Requests != 4 || st.Accepted != 4 || st.Duplicates != 0 {
		t.Errorf("Stats = %+v, want 4 requests, 4 accepted, no duplicate", st)
	}
}

func TestSocnetAdapterWrongKey(t *testing.T) {
	t.Parallel()
	sim, url := socnetStart(t, simulator.Config{})
	c := socnetClient(t, url, "0000000000000000000000000000000f")
	_, se := socnetSend(t, c, socnetOTP("+256701234510"))
	if se == nil || se.Class != providers.Account || se.Reason != providers.ReasonAuth || se.Code != "401" || se.HTTPStatus != 401 {
		t.Fatalf("wrong key: %v, want account auth 401", se)
	}
	if strings.Contains(se.Error(), "0000000000000000000000000000000f") {
		t.Errorf("the error quotes the key: %v", se)
	}
	if n := sim.Accepted("+256701234510"); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}

	// The adapter pointed at the wrong path meets the web server's 404.
	_, se = socnetSend(t, socnetClient(t, strings.TrimSuffix(url, "/api.php")+"/apii.php", socnetKey), socnetOTP("+256701234510"))
	if se == nil || se.Class != providers.Account || se.Reason != providers.ReasonConfig {
		t.Errorf("wrong URL: %v, want account config", se)
	}
}

// Every scenario code, scripted, is classified by the adapter as the
// scenario names it; so are the other codes the format answers with.
func TestSocnetScenarioClasses(t *testing.T) {
	t.Parallel()
	sc, ok := simulator.ScenarioFor("socnet")
	if !ok {
		t.Fatal("no socnet scenario")
	}
	if sc.Window != 1470 {
		t.Errorf("Scenario.Window = %d, want 1470: the FAIL in WhatsApp's words", sc.Window)
	}
	type want struct {
		class  providers.Class
		reason providers.Reason
		code   string
	}
	cases := map[int]want{
		sc.Throttle:  {providers.Transient, providers.ReasonThrottled, "429"},
		sc.Permanent: {providers.Permanent, providers.ReasonNone, "1"},
		sc.Template:  {providers.Permanent, providers.ReasonTemplate, "404"},
		sc.Auth:      {providers.Account, providers.ReasonAuth, "401"},
		403:          {providers.Account, providers.ReasonBalance, "403"},
		404:          {providers.Permanent, providers.ReasonNone, "404"},
		1200:         {providers.Permanent, providers.ReasonInvalidRecipient, "invalid"},
		sc.Window:    {providers.Permanent, providers.ReasonWindowClosed, "1"},
	}
	for _, code := range sc.Transient {
		cases[code] = want{providers.Transient, providers.ReasonNone, strconv.Itoa(code)}
	}
	sim, url := socnetStart(t, simulator.Config{RetryAfter: 2 * time.Second})
	c := socnetClient(t, url, socnetKey)
	i := 0
	for code, w := range cases {
		i++
		to := fmt.Sprintf("+2567012346%02d", i)
		sim.Script(to, code, http.StatusOK)
		_, se := socnetSend(t, c, socnetOTP(to))
		if se == nil {
			t.Errorf("code %d: accepted, want %s %q", code, w.class, w.reason)
			continue
		}
		if se.Class != w.class || se.Reason != w.reason || se.Code != w.code {
			t.Errorf("code %d: %s %q code %q (%v), want %s %q code %q", code, se.Class, se.Reason, se.Code, se, w.class, w.reason, w.code)
		}
		if code == sc.Throttle && se.RetryAfter != 2*time.Second {
			t.Errorf("code %d: RetryAfter %v, want 2s", code, se.RetryAfter)
		}
		if se.Ambiguous {
			t.Errorf("code %d: marked ambiguous", code)
		}
		// The script's 200 comes next: the retry goes through.
		if _, se := socnetSend(t, c, socnetOTP(to)); se != nil {
			t.Errorf("code %d, then 200: %v", code, se)
		}
		if n := sim.Accepted(to); n != 1 {
			t.Errorf("code %d: Accepted = %d, want 1", code, n)
		}
	}
}

// Socnet has no window error: with Config.Window, a free-form message
// outside the 24 h window is a FAIL saying why, which the adapter reads as
// the window. Templates pass; an inbound message opens the window.
func TestSocnetAdapterWindow(t *testing.T) {
	t.Parallel()
	sim, url := socnetStart(t, simulator.Config{Window: true})
	c := socnetClient(t, url, socnetKey)
	const to = "+256701234520"

	_, se := socnetSend(t, c, socnetText(to))
	if se == nil || se.Class != providers.Permanent || se.Reason != providers.ReasonWindowClosed || se.Code != "1" ||
		se.HTTPStatus != 200 || !strings.Contains(se.Message, "24 hours") {
		t.Fatalf("free-form, no inbound: %v, want permanent window_closed FAIL (status 1) naming the 24 hours", se)
	}
	if _, se := socnetSend(t, c, socnetOTP(to)); se != nil {
		t.Errorf("template, no inbound: %v", se)
	}
	sim.MarkInbound(to, time.Now())
	if _, se := socnetSend(t, c, socnetText(to)); se != nil {
		t.Errorf("free-form after MarkInbound: %v", se)
	}
	const other = "+256701234521"
	if err := sim.Inbound(other, "Habari"); err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	if _, se := socnetSend(t, c, socnetText(other)); se != nil {
		t.Errorf("free-form after Inbound: %v", se)
	}
	if a, b := sim.Accepted(to), sim.Accepted(other); a != 2 || b != 1 {
		t.Errorf("Accepted = %d, %d; want 2, 1", a, b)
	}
}

func TestSocnetAdapterLimits(t *testing.T) {
	t.Parallel()
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		sim, url := socnetStart(t, simulator.Config{Rate: 0.001, Burst: 1})
		c := socnetClient(t, url, socnetKey)
		if _, se := socnetSend(t, c, socnetOTP("+256701234530")); se != nil {
			t.Fatalf("first: %v", se)
		}
		_, se := socnetSend(t, c, socnetOTP("+256701234531"))
		if se == nil || se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.RetryAfter <= 0 {
			t.Errorf("over the rate: %v, want transient throttled with Retry-After", se)
		}
		if n := sim.Accepted("+256701234531"); n != 0 {
			t.Errorf("Accepted = %d, want 0", n)
		}
	})
	t.Run("pair", func(t *testing.T) {
		t.Parallel()
		sim, url := socnetStart(t, simulator.Config{PairInterval: time.Hour})
		c := socnetClient(t, url, socnetKey)
		const to = "+256701234532"
		if _, se := socnetSend(t, c, socnetOTP(to)); se != nil {
			t.Fatalf("first: %v", se)
		}
		_, se := socnetSend(t, c, socnetOTP(to))
		if se == nil || se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.RetryAfter <= 0 {
			t.Errorf("second to one recipient: %v, want transient throttled with Retry-After", se)
		}
		if n := sim.Accepted(to); n != 1 {
			t.Errorf("Accepted = %d, want 1", n)
		}
	})
}

// Socnet pushes nothing: receipts advance MessageStatus only, Inbound
// opens the window without a callback.
func TestSocnetNoCallbacks(t *testing.T) {
	t.Parallel()
	var posts atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	sim, err := simulator.New(simulator.Config{Kind: "socnet", APIKey: socnetKey, CallbackURL: recv.URL, ReceiptDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() }) // closed below; this is for an early failure
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := socnetClient(t, base+socnetPath, socnetKey)
	r, se := socnetSend(t, c, socnetOTP("+256701234540"))
	if se != nil {
		t.Fatalf("send: %v", se)
	}
	if err := sim.Inbound("+256701234541", "Habari"); err != nil {
		t.Errorf("Inbound: %v", err)
	}
	sharedtest.Eventually(t, func() bool { st, _ := sim.MessageStatus(r.ProviderMessageID); return st == "read" }, 10*time.Second,
		"the message to reach read")
	if err := sim.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n, st := posts.Load(), sim.Stats(); n != 0 || st.Callbacks != 0 || st.CallbackErrors != 0 {
		t.Errorf("%d callbacks posted (stats %+v), want none", n, st)
	}
}

// The answers on the wire, exactly as the document shows them.
func TestSocnetWire(t *testing.T) {
	t.Parallel()
	sim, url := socnetStart(t, simulator.Config{RetryAfter: 3 * time.Second})
	post := func(method, u, body string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	send := func(to, extra string) string {
		return `{"api_key":"` + socnetKey + `","msisdn":"` + to + `","msg":"1234"` + extra + `}`
	}
	type got struct {
		Status     int
		Body       string
		RetryAfter string
	}
	check := func(name string, want got, status int, h http.Header, body string) {
		t.Helper()
		if diff := cmp.Diff(want, got{status, body, h.Get("Retry-After")}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	// Accepts alternate between the two channels.
	status, h, body := post(http.MethodPost, url, send("256701234550", ""))
	id := socnetBetween(body, `"messageId":"`, `"`)
	check("channel 1", got{200, `{"sent":"true","from":"256701234550@c.us","message_type":"chat","messageId":"` + id + `","cost":"90"}`, ""}, status, h, body)
	status, h, body = post(http.MethodPost, url, send("256701234551", `,"template":"otp"`))
	id2 := socnetBetween(body, `"id":"`, `"`)
	check("channel 2", got{200, `{"messaging_product":"whatsapp","contacts":[{"input":"256701234551","wa_id":"256701234551"}],"messages":[{"id":"` + id2 + `","message_status":"accepted"}],"cost":0}`, ""}, status, h, body)
	if len(id) != 22 || !strings.HasPrefix(id, "3EB0") || !strings.HasPrefix(id2, "wamid.") {
		t.Errorf("ids %q, %q: want 3EB0 and 18 hex digits, then wamid.", id, id2)
	}

	for _, tc := range []struct {
		code int
		want got
	}{
		{1, got{200, `{"message":"Message could not be sent (scripted answer)","status":1}`, ""}},
		{401, got{401, `{"message":"Invalid user credentials","status":401}`, ""}},
		{403, got{403, `{"message":"Insufficient credit (0) for transaction charge of 90","status":403}`, ""}},
		{404, got{404, `{"message":"There is no text in the image","status":404}`, ""}},
		{429, got{429, `{"message":"Too many requests (scripted answer)","status":429}`, "3"}},
		{500, got{500, `{"message":"Internal server error (scripted answer)","status":500}`, ""}},
		{503, got{503, `{"message":"Service unavailable (scripted answer)","status":503}`, "3"}},
		{1200, got{200, `{"status":"invalid"}`, ""}},
		{1404, got{404, `{"data":null,"message":"Template not found","status":404}`, ""}},
		{1470, got{200, `{"message":"Message failed to send because more than 24 hours have passed since the customer last replied to this number","status":1}`, ""}},
	} {
		sim.Script("256701234552", tc.code)
		status, h, body := post(http.MethodPost, url, send("256701234552", ""))
		check("scripted "+http.StatusText(tc.want.Status), tc.want, status, h, body)
	}

	// Auth, validation and routing, in the document's general format.
	for _, tc := range []struct {
		name, method, url, body string
		want                    got
	}{
		{"wrong key", http.MethodPost, url, `{"api_key":"other","msisdn":"256701234553","msg":"x"}`,
			got{401, `{"message":"Invalid user credentials","status":401}`, ""}},
		{"no key", http.MethodPost, url, `{"msisdn":"256701234553","msg":"x"}`,
			got{400, `{"data":null,"message":"The api_key field is required.","status":400}`, ""}},
		{"not JSON", http.MethodPost, url, `msisdn=256701234553`,
			got{400, `{"data":null,"message":"The api_key field is required.","status":400}`, ""}},
		{"no msisdn", http.MethodPost, url, `{"api_key":"` + socnetKey + `","msg":"x"}`,
			got{422, `{"message":"The msisdn field is required.","status":422}`, ""}},
		{"Tanzanian msisdn", http.MethodPost, url, send("255712345678", ""),
			got{422, `{"message":"The msisdn field must be 12 digits starting with 256.","status":422}`, ""}},
		{"msisdn with plus", http.MethodPost, url, send("+256701234553", ""),
			got{422, `{"message":"The msisdn field must be 12 digits starting with 256.","status":422}`, ""}},
		{"no msg", http.MethodPost, url, `{"api_key":"` + socnetKey + `","msisdn":"256701234553"}`,
			got{422, `{"message":"The msg field is required.","status":422}`, ""}},
		{"blank msg", http.MethodPost, url, `{"api_key":"` + socnetKey + `","msisdn":"256701234553","msg":"  "}`,
			got{422, `{"message":"The msg field is required.","status":422}`, ""}},
		{"msg as number", http.MethodPost, url, `{"api_key":"` + socnetKey + `","msisdn":"256701234553","msg":1234}`,
			got{422, `{"message":"The msg field must be a string.","status":422}`, ""}},
		{"msg too long", http.MethodPost, url, `{"api_key":"` + socnetKey + `","msisdn":"256701234553","msg":"` + strings.Repeat("a", 4097) + `"}`,
			got{422, `{"message":"The msg field must not be greater than 4096 characters.","status":422}`, ""}},
		{"template as object", http.MethodPost, url, send("256701234553", `,"template":{"name":"otp"}`),
			got{422, `{"message":"The template field must be a string.","status":422}`, ""}},
		{"GET", http.MethodGet, url, "",
			got{405, `{"message":"Method is not allowed for the requested route","status":405}`, ""}},
	} {
		status, h, body := post(tc.method, tc.url, tc.body)
		check(tc.name, tc.want, status, h, body)
	}
	if n := sim.Accepted("256701234553"); n != 0 {
		t.Errorf("Accepted after invalid requests = %d, want 0", n)
	}

	// msisdn as a number (the document's N12) and an empty template (free-form) pass.
	if status, _, body := post(http.MethodPost, url, `{"api_key":"`+socnetKey+`","msisdn":256701234553,"msg":"x","template":""}`); status != 200 {
		t.Errorf("numeric msisdn: %d %s", status, body)
	}
	// Any other path is the web server's page, not Socnet's JSON.
	status, h, body = post(http.MethodPost, strings.TrimSuffix(url, "api.php")+"send.php", send("256701234553", ""))
	if status != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "Not Found") {
		t.Errorf("other path: %d %q %s, want the HTML 404 page", status, h.Get("Content-Type"), body)
	}
	if n := sim.Stats().Requests; n != 2+10+12+1 {
		t.Errorf("Requests = %d, want %d", n, 2+10+12+1)
	}
}

// socnetBetween returns the text of s between the first from and the next to.
func socnetBetween(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
