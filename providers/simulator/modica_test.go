package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/simulator"
)

// The Modica adapter's credential: the application name and password.
const (
	modicaUser = "wabulk-app"
	modicaPass = "mg-pass-7Q2x9LmN4pR8sV1w"
	modicaKey  = modicaUser + ":" + modicaPass
	modicaTo   = "+255712345678"
)

// modicaStart starts a Modica simulator on a loopback port and returns it
// with the real adapter pointed at it (with user and pass as credential).
func modicaStart(t *testing.T, cfg simulator.Config, user, pass string) (*simulator.Simulator, *modica.Client, string) {
	t.Helper()
	cfg.Kind, cfg.APIKey = "modica", modicaKey
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
	c, err := modica.New(modica.Config{BaseURL: base, Username: user, Password: pass})
	if err != nil {
		t.Fatalf("modica.New: %v", err)
	}
	return sim, c, base
}

func modicaText(id, to, body string) *message.Message {
	return &message.Message{ID: id, Account: "modica-test", To: to,
		Content: message.Content{Text: &message.Text{Body: body}}}
}

// modicaSend sends m and returns the receipt and the classified error.
func modicaSend(t *testing.T, c *modica.Client, m *message.Message) (providers.Receipt, *providers.SendError) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Send(ctx, m)
	if err != nil {
		return r, providers.AsSendError(err)
	}
	return r, nil
}

var modicaNumericID = regexp.MustCompile(`^[1-9][0-9]{5,15}$`)

func TestModicaAdapterSends(t *testing.T) {
	t.Parallel()
	sim, c, _ := modicaStart(t, simulator.Config{}, modicaUser, modicaPass)

	ids := map[string]bool{}
	for i, m := range []*message.Message{
		modicaText("camp-1:"+modicaTo, modicaTo, "Habari"),
		{ID: "reply-42", Account: "modica-test", From: "+6421000000", To: "+64211234567",
			Content: message.Content{Text: &message.Text{Body: "Kia ora https://example.com", PreviewURL: true}}},
	} {
		r, se := modicaSend(t, c, m)
		if se != nil {
			t.Fatalf("send %d: %v", i, se)
		}
		if r.Status != message.Accepted || !modicaNumericID.MatchString(r.ProviderMessageID) || ids[r.ProviderMessageID] {
			t.Errorf("send %d: receipt %+v, want accepted with a new numeric id", i, r)
		}
		ids[r.ProviderMessageID] = true
	}
	if n := sim.Accepted(modicaTo); n != 1 {
		t.Errorf("Accepted(%s) = %d, want 1", modicaTo, n)
	}
	if n := sim.Accepted("+64211234567"); n != 1 {
		t.Errorf("Accepted(+64211234567) = %d, want 1", n)
	}

	// Text is all the gateway carries: the adapter refuses the rest
	// before any request.
	img := &message.Message{ID: "img-1", Account: "modica-test", To: modicaTo,
		Content: message.Content{Image: &message.Media{URL: "https://example.com/a.jpg"}}}
	if _, se := modicaSend(t, c, img); se == nil || se.Reason != providers.ReasonUnsupported {
		t.Errorf("image: %v, want Unsupported", se)
	}
	if st := sim.Stats(); st.Requests != 2 || st.Accepted != 2 {
		t.Errorf("Stats: requests %d accepted %d, want 2 and 2", st.Requests, st.Accepted)
	}
}

func TestModicaAdapterWrongCredential(t *testing.T) {
	t.Parallel()
	sim, c, _ := modicaStart(t, simulator.Config{}, modicaUser, "not-the-password")
	_, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari"))
	if se == nil || se.Class != providers.Account || se.Reason != providers.ReasonAuth || se.HTTPStatus != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v, want Account/auth with 401", se)
	}
	if strings.Contains(se.Error(), "not-the-password") {
		t.Errorf("the error quotes the password: %v", se)
	}
	if n := sim.Accepted(modicaTo); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

// Every scenario code, scripted, is classified by the real adapter as a
// demo expects.
func TestModicaScenarioClasses(t *testing.T) {
	t.Parallel()
	sc, ok := simulator.ScenarioFor("modica")
	if !ok {
		t.Fatal("no Scenario for modica")
	}
	if sc.Template != 0 {
		t.Errorf("Template = %d, want 0: the gateway carries no templates", sc.Template)
	}
	type want struct {
		Class  providers.Class
		Reason providers.Reason
	}
	cases := map[int]want{
		sc.Throttle:  {providers.Transient, providers.ReasonThrottled},
		sc.Permanent: {providers.Permanent, providers.ReasonInvalidRecipient},
		sc.Window:    {providers.Permanent, providers.ReasonWindowClosed},
		sc.Auth:      {providers.Account, providers.ReasonAuth},
		131056:       {providers.Transient, providers.ReasonThrottled}, // the pair limit
	}
	for _, code := range sc.Transient {
		cases[code] = want{providers.Transient, providers.ReasonNone}
	}
	sim, c, _ := modicaStart(t, simulator.Config{RetryAfter: 3 * time.Second}, modicaUser, modicaPass)
	for code, w := range cases {
		sim.Script(modicaTo, code)
		_, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari"))
		if se == nil {
			t.Errorf("code %d: accepted, want %v/%q", code, w.Class, w.Reason)
			continue
		}
		if diff := cmp.Diff(w, want{se.Class, se.Reason}); diff != "" {
			t.Errorf("code %d: %v (-want +got):\n%s", code, se, diff)
		}
		if (code == sc.Throttle || code == 503) && se.RetryAfter != 3*time.Second {
			t.Errorf("code %d: RetryAfter %v, want 3s", code, se.RetryAfter)
		}
	}
	if n := sim.Accepted(modicaTo); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

// Outside the window the gateway refuses a text as an invalid attribute
// in WhatsApp's words; the adapter reads it as the window, code kept.
func TestModicaAdapterWindow(t *testing.T) {
	t.Parallel()
	sim, c, _ := modicaStart(t, simulator.Config{Window: true}, modicaUser, modicaPass)
	_, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari"))
	if se == nil || se.Class != providers.Permanent || se.Reason != providers.ReasonWindowClosed ||
		se.Code != "invalid_attrib" || se.HTTPStatus != 400 || !strings.Contains(se.Message, "24 hours") {
		t.Fatalf("no inbound yet: %v, want Permanent/window_closed invalid_attrib naming the 24 hours", se)
	}
	// The Cloud API's own code, relayed, is the window too.
	sim.Script(modicaTo, 131047)
	if _, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari")); se == nil || se.Reason != providers.ReasonWindowClosed {
		t.Fatalf("scripted 131047: %v, want window_closed", se)
	}
	sim.MarkInbound(modicaTo, time.Now())
	if _, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari")); se != nil {
		t.Fatalf("after an inbound message: %v, want an accept", se)
	}
	if n := sim.Accepted(modicaTo); n != 1 {
		t.Errorf("Accepted = %d, want 1", n)
	}
}

func TestModicaAdapterLimits(t *testing.T) {
	t.Parallel()
	t.Run("rate", func(t *testing.T) {
		t.Parallel()
		_, c, _ := modicaStart(t, simulator.Config{Rate: 0.001, Burst: 1}, modicaUser, modicaPass)
		if _, se := modicaSend(t, c, modicaText("m-1", modicaTo, "a")); se != nil {
			t.Fatalf("first: %v", se)
		}
		_, se := modicaSend(t, c, modicaText("m-2", "+255712345679", "b"))
		if se == nil || se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.RetryAfter <= 0 {
			t.Errorf("over the rate: %v, want Transient/throttled with a Retry-After", se)
		}
	})
	t.Run("pair", func(t *testing.T) {
		t.Parallel()
		sim, c, _ := modicaStart(t, simulator.Config{PairInterval: time.Hour}, modicaUser, modicaPass)
		if _, se := modicaSend(t, c, modicaText("m-1", modicaTo, "a")); se != nil {
			t.Fatalf("first: %v", se)
		}
		_, se := modicaSend(t, c, modicaText("m-2", modicaTo, "b"))
		if se == nil || se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.RetryAfter <= 0 {
			t.Errorf("second to one recipient: %v, want Transient/throttled with a Retry-After", se)
		}
		if n := sim.Accepted(modicaTo); n != 1 {
			t.Errorf("Accepted = %d, want 1", n)
		}
	})
}

// modicaReceiver is a callback endpoint that keeps every body it gets.
type modicaReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newModicaReceiver(t *testing.T) *modicaReceiver {
	t.Helper()
	rc := &modicaReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// events waits until the callbacks received parse into n events and
// returns them; it fails the test after a deadline.
func (rc *modicaReceiver) events(t *testing.T, c *modica.Client, n int) []providers.Event {
	t.Helper()
	return sharedtest.WaitFor(t, func() []providers.Event {
		rc.mu.Lock()
		bodies := append([][]byte(nil), rc.bodies...)
		rc.mu.Unlock()
		var evs []providers.Event
		for _, b := range bodies {
			got, err := c.ParseCallback(http.Header{}, b)
			if err != nil {
				t.Fatalf("ParseCallback(%s): %v", b, err)
			}
			evs = append(evs, got...)
		}
		return evs
	}, func(evs []providers.Event) bool { return len(evs) >= n }, 10*time.Second, "%d events", n)
}

func TestModicaAdapterCallbacks(t *testing.T) {
	t.Parallel()
	t.Run("receipts", func(t *testing.T) {
		t.Parallel()
		rc := newModicaReceiver(t)
		_, c, _ := modicaStart(t, simulator.Config{CallbackURL: rc.URL, ReceiptDelay: time.Nanosecond, Seed: 1}, modicaUser, modicaPass)
		r, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari"))
		if se != nil {
			t.Fatal(se)
		}
		// sent, delivered, read: Modica reports no read, so two DLRs.
		got := rc.events(t, c, 2)
		want := []providers.Event{
			{Kind: providers.EventStatus, ProviderMessageID: r.ProviderMessageID, Status: message.Sent, ProviderStatus: "sent"},
			{Kind: providers.EventStatus, ProviderMessageID: r.ProviderMessageID, Status: message.Delivered, ProviderStatus: "received"},
		}
		sortByStatus := cmpopts.SortSlices(func(a, b providers.Event) bool { return a.ProviderStatus > b.ProviderStatus })
		if diff := cmp.Diff(want, got, sortByStatus); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		rc := newModicaReceiver(t)
		_, c, _ := modicaStart(t, simulator.Config{CallbackURL: rc.URL, ReceiptDelay: time.Nanosecond,
			Statuses: []string{"failed"}}, modicaUser, modicaPass)
		r, se := modicaSend(t, c, modicaText("m-1", modicaTo, "Habari"))
		if se != nil {
			t.Fatal(se)
		}
		want := []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: r.ProviderMessageID,
			Status: message.Failed, ProviderStatus: "rejected", ErrorCode: "rejected"}}
		if diff := cmp.Diff(want, rc.events(t, c, 1)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
	t.Run("inbound", func(t *testing.T) {
		t.Parallel()
		rc := newModicaReceiver(t)
		sim, c, _ := modicaStart(t, simulator.Config{CallbackURL: rc.URL, BusinessNumber: "6421000000"}, modicaUser, modicaPass)
		before := time.Now().Add(-time.Second).UTC()
		if err := sim.Inbound("255712345678", "Habari, nataka kujua zaidi"); err != nil {
			t.Fatal(err)
		}
		got := rc.events(t, c, 1)
		if len(got) != 1 {
			t.Fatalf("events %+v, want one", got)
		}
		ev := got[0]
		if ev.InboundID == "" || ev.Time.Before(before) {
			t.Errorf("inbound id %q time %v, want an id and the time of the message", ev.InboundID, ev.Time)
		}
		ev.InboundID, ev.Time = "", time.Time{}
		want := providers.Event{Kind: providers.EventInbound, From: modicaTo, To: "+6421000000", Text: "Habari, nataka kujua zaidi"}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	})
}

// The wire itself: the answers the adapter reads, byte for byte.
func TestModicaWire(t *testing.T) {
	t.Parallel()
	sim, _, base := modicaStart(t, simulator.Config{RetryAfter: 2 * time.Second}, modicaUser, modicaPass)
	post := func(path, body string, auth bool) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.SetBasicAuth(modicaUser, modicaPass)
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
		return resp.StatusCode, resp.Header, string(b)
	}
	const path = "/rest/gateway/messages"
	const ok = `{"destination":"+255712345678","content":"Habari"}`
	type result struct {
		Status     int
		Body       string
		RetryAfter string
	}
	for _, tc := range []struct {
		name, path, body string
		auth             bool
		script           int
		want             result
	}{
		{"no credential", path, ok, false, 0, result{401, `{"status":401,"message":"Unauthorized"}`, ""}},
		{"bad json", path, `{"destination":`, true, 0, result{400, `{"error":"invalid_json","error-desc":"Invalid JSON data in the request body"}`, ""}},
		{"not an object", path, `[` + ok + `]`, true, 0, result{400, `{"error":"invalid_json","error-desc":"Invalid JSON data in the request body"}`, ""}},
		{"no destination", path, `{"content":"x"}`, true, 0, result{400, `{"error":"missing_attrib","error-desc":"Missing a required attribute: destination"}`, ""}},
		{"no content", path, `{"destination":"+255712345678"}`, true, 0, result{400, `{"error":"missing_attrib","error-desc":"Missing a required attribute: content"}`, ""}},
		{"destination without +", path, `{"destination":"255712345678","content":"x"}`, true, 0, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: destination"}`, ""}},
		{"destination a number", path, `{"destination":255712345678,"content":"x"}`, true, 0, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: destination"}`, ""}},
		{"empty content", path, `{"destination":"+255712345678","content":" "}`, true, 0, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: content"}`, ""}},
		{"bad source", path, `{"destination":"+255712345678","content":"x","source":"ACME"}`, true, 0, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: source"}`, ""}},
		{"reference a number", path, `{"destination":"+255712345678","content":"x","reference":7}`, true, 0, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: reference"}`, ""}},
		{"scripted 400", path, ok, true, 400, result{400, `{"error":"invalid_attrib","error-desc":"Invalid attribute value: destination"}`, ""}},
		{"scripted 429", path, ok, true, 429, result{429, `{"status":429,"message":"Too Many Requests"}`, "2"}},
		{"scripted 500", path, ok, true, 500, result{500, `{"error":"send_failed","error-desc":"Could not queue message due to an unknown error"}`, ""}},
		{"scripted 503", path, ok, true, 503, result{503, `{"status":503,"message":"Service Unavailable"}`, "2"}},
		{"scripted 131047", path, ok, true, 131047, result{400, `{"error":"(#131047) Re-engagement message","message":"Whatsapp Cloud API error","statusCode":400}`, ""}},
		{"scripted 131056", path, ok, true, 131056, result{400, `{"error":"(#131056) (Business Account, Consumer Account) pair rate limit hit","message":"Whatsapp Cloud API error","statusCode":400}`, "2"}},
		{"body over 1 MiB", path, `{"destination":"+255712345678","content":"` + strings.Repeat("a", 1<<20) + `"}`, true, 0, result{400, `{"error":"invalid_json","error-desc":"Invalid JSON data in the request body"}`, ""}},
		{"unknown path", "/rest/gateway/nothing", ok, true, 0, result{404, `{"status":404,"message":"Not Found"}`, ""}},
	} {
		if tc.script != 0 {
			sim.Script(modicaTo, tc.script)
		}
		status, h, body := post(tc.path, tc.body, tc.auth)
		if diff := cmp.Diff(tc.want, result{status, body, h.Get("Retry-After")}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	status, h, body := post(path, `{"destination":"+255712345678","content":"x","source":"+6421000000","reference":"r-1","class":"mt_message"}`, true)
	if status != http.StatusCreated || h.Get("Content-Type") != "application/json" || !regexp.MustCompile(`^\[[1-9][0-9]{5,15}\]$`).MatchString(body) {
		t.Errorf("accept: %d %q %s, want 201 with [<id>]", status, h.Get("Content-Type"), body)
	}
	if n := sim.Accepted(modicaTo); n != 1 {
		t.Errorf("Accepted = %d, want 1", n)
	}
}
