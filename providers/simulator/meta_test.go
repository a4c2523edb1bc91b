package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/simulator"
)

// The Meta wire format, driven by the real Cloud API adapter.

const (
	metaToken   = "EAAsimulatorTOKEN7Q2x9LmN4pR8sV1w"
	metaSecret  = "app-secret-5f4dcc3b5aa765d61d8327deb882cf99"
	metaPhoneID = "106540352242922"
)

// metaStart starts a meta simulator on loopback; Config.APIKey defaults to
// metaToken.
func metaStart(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	t.Helper()
	cfg.Kind = "meta"
	if cfg.APIKey == "" {
		cfg.APIKey = metaToken
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

// metaAdapter is the real adapter pointed at the simulator.
func metaAdapter(t *testing.T, base, token, appSecret string) *meta.Client {
	t.Helper()
	c, err := meta.New(meta.Config{BaseURL: base + "/v21.0", Token: token, PhoneNumberID: metaPhoneID, AppSecret: appSecret})
	if err != nil {
		t.Fatalf("meta.New: %v", err)
	}
	return c
}

func metaMessage(to string, c message.Content) *message.Message {
	return &message.Message{ID: "msg:" + to, Account: "meta-main", To: to, Content: c}
}

func metaText(to string) *message.Message {
	return metaMessage(to, message.Content{Text: &message.Text{Body: "Habari!"}})
}

func metaTemplate(to string) *message.Message {
	return metaMessage(to, message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "en", Body: []string{"Amina"}}})
}

// metaSendErr sends m and returns its *SendError, failing when it is accepted.
func metaSendErr(t *testing.T, c *meta.Client, m *message.Message) *providers.SendError {
	t.Helper()
	r, err := c.Send(context.Background(), m)
	if err == nil {
		t.Fatalf("send to %s accepted (%s), want an error", m.To, r.ProviderMessageID)
	}
	var se *providers.SendError
	if !errors.As(err, &se) {
		t.Fatalf("send to %s: %v is not a *SendError", m.To, err)
	}
	return se
}

func TestMetaAdapterSendsEveryKind(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{})
	c := metaAdapter(t, base, metaToken, "")
	link := func(u string) *message.Media { return &message.Media{URL: u} }
	contents := []message.Content{
		{Text: &message.Text{Body: "Habari! https://example.com", PreviewURL: true}},
		{Image: &message.Media{URL: "https://example.com/a.jpg", Caption: "a picture"}},
		{Video: &message.Media{URL: "https://example.com/a.mp4", Caption: "a film"}},
		{Audio: link("https://example.com/a.ogg")},
		{Document: &message.Media{URL: "https://example.com/a.pdf", Caption: "the invoice", Filename: "invoice.pdf"}},
		{Sticker: link("https://example.com/a.webp")},
		{Location: &message.Location{Latitude: -6.8, Longitude: 39.28, Name: "Dar", Address: "Kivukoni"}},
		{Contacts: []message.Contact{{
			Name:   message.ContactName{FormattedName: "Amina Juma"}, // the adapter adds first_name
			Phones: []message.ContactPhone{{Phone: "+255 712 345 678", WaID: "255712345678"}},
		}}},
		{Template: &message.Template{
			Name: "spring_sale", Language: "en_US",
			Header: &message.TemplateHeader{Image: link("https://example.com/sale.jpg")},
			Body:   []string{"Amina", "20%"},
			Buttons: []message.TemplateButton{
				{SubType: "url", Index: 0, Param: "sale?id=7"},
				{SubType: "quick_reply", Index: 1, Param: "STOP"},
			},
		}},
		{Template: &message.Template{Name: "hello_world", Language: "en"}},
	}
	ids := map[string]bool{}
	for i, ct := range contents {
		to := "+2557123456" + strconv.Itoa(10+i)
		r, err := c.Send(context.Background(), metaMessage(to, ct))
		if err != nil {
			t.Errorf("%s: %v", ct.Kind(), err)
			continue
		}
		if !strings.HasPrefix(r.ProviderMessageID, "wamid.") || r.Status != message.Accepted || ids[r.ProviderMessageID] {
			t.Errorf("%s: receipt %+v, want a new wamid, accepted", ct.Kind(), r)
		}
		ids[r.ProviderMessageID] = true
		if n := sim.Accepted(to); n != 1 {
			t.Errorf("%s: Accepted(%s) = %d, want 1", ct.Kind(), to, n)
		}
	}
	if st := sim.Stats(); st.Accepted != int64(len(contents)) || st.Duplicates != 0 {
		t.Errorf("Stats %+v, want %d accepted, no duplicates", st, len(contents))
	}
}

func TestMetaWrongTokenIsAccountAuth(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{})
	se := metaSendErr(t, metaAdapter(t, base, "EAAsome-other-token", ""), metaText("+255712345678"))
	if se.Class != providers.Account || se.Reason != providers.ReasonAuth || se.Code != "190" || se.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("wrong token: %+v, want account/auth, code 190, HTTP 401", se)
	}
	if strings.Contains(se.Error(), "EAAsome-other-token") {
		t.Errorf("the token leaked into the error: %v", se)
	}
	if n := sim.Accepted("+255712345678"); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

// Each scenario code, and every other code the format answers with,
// scripted: the adapter classifies it as the code means.
func TestMetaScriptedCodesClassified(t *testing.T) {
	t.Parallel()
	sc, ok := simulator.ScenarioFor("meta")
	if !ok {
		t.Fatal("no meta scenario")
	}
	const (
		T = providers.Transient
		P = providers.Permanent
		A = providers.Account
	)
	type want struct {
		class  providers.Class
		reason providers.Reason
		status int
	}
	cases := map[int]want{
		sc.Throttle:  {T, providers.ReasonThrottled, 400},
		sc.Permanent: {P, providers.ReasonInvalidRecipient, 400},
		sc.Template:  {P, providers.ReasonTemplate, 404},
		sc.Window:    {P, providers.ReasonWindowClosed, 400},
		sc.Auth:      {A, providers.ReasonAuth, 401},
		// Every other code the format lists.
		2:      {T, providers.ReasonNone, 503},
		4:      {T, providers.ReasonThrottled, 400},
		10:     {A, providers.ReasonAuth, 403},
		100:    {P, providers.ReasonNone, 400},
		368:    {A, providers.ReasonBlocked, 403},
		80007:  {T, providers.ReasonThrottled, 400},
		131008: {P, providers.ReasonNone, 400},
		131009: {P, providers.ReasonNone, 400},
		131021: {P, providers.ReasonInvalidRecipient, 400},
		131030: {P, providers.ReasonInvalidRecipient, 400},
		131031: {A, providers.ReasonBlocked, 400},
		131042: {A, providers.ReasonBalance, 400},
		131048: {A, providers.ReasonBlocked, 400},
		131051: {P, providers.ReasonUnsupported, 400},
		131052: {P, providers.ReasonMedia, 400},
		131053: {T, providers.ReasonMedia, 400},
		131064: {A, providers.ReasonBlocked, 400},
		131056: {T, providers.ReasonThrottled, 400},
		132000: {P, providers.ReasonTemplate, 400},
		133010: {A, providers.ReasonConfig, 400},
	}
	for _, code := range sc.Transient {
		cases[code] = want{T, providers.ReasonNone, 0}
	}
	// The table covers every code the format answers with, which the
	// error for an unknown fault code lists.
	_, err := simulator.ParseFaultsFor("meta", "1=0.1")
	_, known, found := strings.Cut(fmt.Sprint(err), "(known: ")
	if !found {
		t.Fatalf("ParseFaultsFor(meta, 1=0.1): %v, want the known codes listed", err)
	}
	for _, s := range strings.Split(strings.TrimSuffix(known, ")"), ", ") {
		if code, err := strconv.Atoi(s); err != nil || cases[code] == (want{}) {
			t.Errorf("code %q the format answers with is not in the table", s)
		}
	}
	if sc.Throttle != 130429 || sc.Window != 131047 || sc.Template != 132001 || sc.Auth != 190 {
		t.Errorf("scenario %+v, want throttle 130429, window 131047, template 132001, auth 190", sc)
	}
	sim, base := metaStart(t, simulator.Config{RetryAfter: 2 * time.Second})
	c := metaAdapter(t, base, metaToken, "")
	i := 0
	for code, w := range cases {
		i++
		to := "+25571200" + strconv.Itoa(1000+i)
		sim.Script(to, code)
		m := metaText(to)
		if code == sc.Template {
			m = metaTemplate(to)
		}
		se := metaSendErr(t, c, m)
		if se.Class != w.class || se.Reason != w.reason || se.Code != strconv.Itoa(code) {
			t.Errorf("code %d: %s/%q code %s, want %s/%q code %d: %v", code, se.Class, se.Reason, se.Code, w.class, w.reason, code, se)
		}
		if w.status != 0 && se.HTTPStatus != w.status {
			t.Errorf("code %d: HTTP %d, want %d", code, se.HTTPStatus, w.status)
		}
		if se.Message == "" || se.Ambiguous {
			t.Errorf("code %d: %+v, want the provider's words and not ambiguous", code, se)
		}
		// The rate and pair limits carry Config.RetryAfter.
		if code == 130429 || code == 131056 {
			if se.RetryAfter != 2*time.Second {
				t.Errorf("code %d: RetryAfter %v, want 2s", code, se.RetryAfter)
			}
		}
		if n := sim.Accepted(to); n != 0 {
			t.Errorf("code %d: Accepted = %d, want 0", code, n)
		}
		if _, err := c.Send(context.Background(), m); err != nil { // the script is used up
			t.Errorf("code %d: the send after the script: %v", code, err)
		}
	}
}

func TestMetaWindow(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{Window: true})
	c := metaAdapter(t, base, metaToken, "")
	const to = "+255712345678"
	se := metaSendErr(t, c, metaText(to))
	if se.Class != providers.Permanent || se.Reason != providers.ReasonWindowClosed || se.Code != "131047" {
		t.Errorf("free-form without inbound: %+v, want permanent/window_closed 131047", se)
	}
	if _, err := c.Send(context.Background(), metaTemplate(to)); err != nil {
		t.Errorf("template without inbound: %v, want accepted", err)
	}
	sim.MarkInbound(to, time.Now())
	if _, err := c.Send(context.Background(), metaText(to)); err != nil {
		t.Errorf("free-form after inbound: %v, want accepted", err)
	}
	if n := sim.Accepted(to); n != 2 {
		t.Errorf("Accepted = %d, want 2 (the template and the text after inbound)", n)
	}
}

func TestMetaRateLimit(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{Rate: 0.001, Burst: 1})
	c := metaAdapter(t, base, metaToken, "")
	if _, err := c.Send(context.Background(), metaText("+255712345601")); err != nil {
		t.Fatalf("first send: %v", err)
	}
	se := metaSendErr(t, c, metaText("+255712345602"))
	if se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.Code != "130429" || se.RetryAfter < time.Second {
		t.Errorf("over the rate: %+v, want transient/throttled 130429 with a Retry-After", se)
	}
	if n := sim.Accepted("+255712345602"); n != 0 {
		t.Errorf("Accepted = %d, want 0", n)
	}
}

func TestMetaPairLimit(t *testing.T) {
	t.Parallel()
	_, base := metaStart(t, simulator.Config{PairInterval: time.Hour})
	c := metaAdapter(t, base, metaToken, "")
	const to = "+255712345678"
	if _, err := c.Send(context.Background(), metaTemplate(to)); err != nil {
		t.Fatalf("first send: %v", err)
	}
	se := metaSendErr(t, c, metaTemplate(to))
	if se.Class != providers.Transient || se.Reason != providers.ReasonThrottled || se.Code != "131056" || se.RetryAfter < time.Minute {
		t.Errorf("second send within the pair interval: %+v, want transient/throttled 131056 with a Retry-After", se)
	}
	if _, err := c.Send(context.Background(), metaTemplate("+255712345679")); err != nil {
		t.Errorf("another recipient: %v", err)
	}
}

// metaHooks is a webhook receiver on loopback that records every POST.
type metaHooks struct {
	url string
	mu  sync.Mutex
	got []metaHookPost
}

type metaHookPost struct {
	header http.Header
	body   []byte
}

func metaNewHooks(t *testing.T) *metaHooks {
	t.Helper()
	h := &metaHooks{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			t.Errorf("webhook: %s, read error %v", r.Method, err)
		}
		h.mu.Lock()
		h.got = append(h.got, metaHookPost{header: r.Header.Clone(), body: b})
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close) // before the simulator's cleanup: closes after it
	h.url = srv.URL + "/webhooks/whatsapp"
	return h
}

// events waits until the callbacks received, parsed by c, yield events
// for which done holds, and returns those events and the raw posts.
func (h *metaHooks) events(t *testing.T, c *meta.Client, done func([]providers.Event) bool) ([]providers.Event, []metaHookPost) {
	t.Helper()
	var posts []metaHookPost
	evs := sharedtest.WaitFor(t, func() []providers.Event {
		h.mu.Lock()
		posts = append([]metaHookPost(nil), h.got...)
		h.mu.Unlock()
		var evs []providers.Event
		for _, p := range posts {
			got, err := c.ParseCallback(p.header, p.body)
			if err != nil {
				t.Fatalf("ParseCallback(%s): %v", p.body, err)
			}
			evs = append(evs, got...)
		}
		return evs
	}, done, 10*time.Second, "callbacks")
	return evs, posts
}

func TestMetaCallbacksSignedAndParsed(t *testing.T) {
	t.Parallel()
	hooks := metaNewHooks(t)
	sim, base := metaStart(t, simulator.Config{
		CallbackURL: hooks.url, CallbackSecret: metaSecret, ReceiptDelay: time.Millisecond,
		BusinessNumber: "+15550783881",
	})
	c := metaAdapter(t, base, metaToken, metaSecret)
	const to = "+255712345678"
	r, err := c.Send(context.Background(), metaText(to))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := sim.Inbound(to, `Habari "rafiki"`); err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	evs, posts := hooks.events(t, c, func(evs []providers.Event) bool { return len(evs) >= 4 })

	statuses := map[message.Status]bool{}
	var inbound []providers.Event
	for _, ev := range evs {
		switch ev.Kind {
		case providers.EventStatus:
			if ev.ProviderMessageID != r.ProviderMessageID || ev.Recipient != to || ev.Time.IsZero() {
				t.Errorf("status event %+v, want id %s, recipient %s, a time", ev, r.ProviderMessageID, to)
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
	if in := inbound[0]; in.From != to || in.Text != `Habari "rafiki"` || in.To != "+15550783881" ||
		!strings.HasPrefix(in.InboundID, "wamid.") || in.Time.IsZero() {
		t.Errorf("inbound event %+v", in)
	}

	// Every post is signed with the app secret, the old SHA-1 way too, and
	// is refused by a client holding another secret.
	other := metaAdapter(t, base, metaToken, "another-app-secret")
	for _, p := range posts {
		if err := meta.VerifySignature(metaSecret, p.body, p.header.Get(meta.SignatureHeader)); err != nil {
			t.Errorf("signature of %s: %v", p.body, err)
		}
		if !strings.HasPrefix(p.header.Get("X-Hub-Signature"), "sha1=") || p.header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", p.header)
		}
		if _, err := other.ParseCallback(p.header, p.body); !errors.Is(err, meta.ErrSignatureMismatch) {
			t.Errorf("ParseCallback with another secret: %v, want ErrSignatureMismatch", err)
		}
	}

	// The envelope is the WhatsApp Business Account webhook.
	var n struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string `json:"id"`
			Changes []struct {
				Field string `json:"field"`
				Value struct {
					MessagingProduct string `json:"messaging_product"`
					Metadata         struct {
						DisplayPhoneNumber string `json:"display_phone_number"`
						PhoneNumberID      string `json:"phone_number_id"`
					} `json:"metadata"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(posts[0].body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Object != "whatsapp_business_account" || len(n.Entry) != 1 || n.Entry[0].ID == "" || len(n.Entry[0].Changes) != 1 {
		t.Fatalf("envelope %s", posts[0].body)
	}
	ch := n.Entry[0].Changes[0]
	if ch.Field != "messages" || ch.Value.MessagingProduct != "whatsapp" || ch.Value.Metadata.DisplayPhoneNumber != "15550783881" ||
		len(ch.Value.Metadata.PhoneNumberID) != 15 {
		t.Errorf("change %s", posts[0].body)
	}
}

func TestMetaFailedReceipt(t *testing.T) {
	t.Parallel()
	hooks := metaNewHooks(t)
	_, base := metaStart(t, simulator.Config{
		CallbackURL: hooks.url, CallbackSecret: metaSecret, ReceiptDelay: time.Millisecond,
		Statuses: []string{"sent", "failed"},
	})
	c := metaAdapter(t, base, metaToken, metaSecret)
	r, err := c.Send(context.Background(), metaTemplate("+255712345678"))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	failed := func(evs []providers.Event) (providers.Event, bool) {
		for _, ev := range evs {
			if ev.Status == message.Failed {
				return ev, true
			}
		}
		return providers.Event{}, false
	}
	evs, _ := hooks.events(t, c, func(evs []providers.Event) bool { _, ok := failed(evs); return ok })
	ev, _ := failed(evs)
	if ev.ProviderMessageID != r.ProviderMessageID || ev.ErrorCode != "131047" || !strings.Contains(ev.Error, "24 hours") {
		t.Errorf("failed event %+v, want %s with error 131047 and Meta's explanation", ev, r.ProviderMessageID)
	}
}

// metaPost posts body to url with a bearer token ("" sends none) and
// decodes the Graph answer.
func metaPost(t *testing.T, method, url, token, body string) (int, http.Header, metaWire) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var w metaWire
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v: %s", method, url, err, raw)
	}
	w.raw = string(raw)
	return resp.StatusCode, resp.Header, w
}

// metaWire is any Graph answer as a client reads it.
type metaWire struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		ErrorData struct {
			MessagingProduct string `json:"messaging_product"`
			Details          string `json:"details"`
		} `json:"error_data"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
	raw string
}

func metaBody(to, typ, object string) string {
	return `{"messaging_product":"whatsapp","recipient_type":"individual","to":"` + to + `","type":"` + typ + `","` + typ + `":` + object + `}`
}

func TestMetaWireShapes(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{})
	url := base + "/v21.0/" + metaPhoneID + "/messages"

	status, _, w := metaPost(t, http.MethodPost, url, metaToken, metaBody("255712345678", "text", `{"body":"Habari"}`))
	if len(w.Contacts) != 1 || w.Contacts[0].WaID != "255712345678" {
		t.Errorf("accept contacts = %+v, want the recipient echoed", w.Contacts)
	}
	if status != 200 || w.MessagingProduct != "whatsapp" || len(w.Messages) != 1 || !strings.HasPrefix(w.Messages[0].ID, "wamid.") ||
		w.Messages[0].MessageStatus != "accepted" || w.Error != nil {
		t.Errorf("accept: %d %s", status, w.raw)
	}

	sim.Script("+255712345678", 131047)
	status, h, w := metaPost(t, http.MethodPost, url, metaToken, metaBody("255712345678", "text", `{"body":"Habari"}`))
	if status != 400 || w.Error == nil || w.Error.Message != "(#131047) Re-engagement message" || w.Error.Type != "OAuthException" ||
		w.Error.Code != 131047 || w.Error.ErrorData.MessagingProduct != "whatsapp" || w.Error.ErrorData.Details == "" ||
		w.Error.FBTraceID == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("window error: %d %s", status, w.raw)
	}

	// No token, or a wrong one: 401 with code 190. The Graph API's
	// access_token query parameter is a token too.
	for _, token := range []string{"", "wrong"} {
		if status, _, w := metaPost(t, http.MethodPost, url, token, metaBody("255712345678", "text", `{"body":"x"}`)); status != 401 || w.Error == nil || w.Error.Code != 190 {
			t.Errorf("token %q: %d %s, want 401 code 190", token, status, w.raw)
		}
	}
	if status, _, w := metaPost(t, http.MethodPost, url+"?access_token="+metaToken, "", metaBody("255712345679", "text", `{"body":"x"}`)); status != 200 {
		t.Errorf("access_token parameter: %d %s", status, w.raw)
	}

	// A wrong method or path, in Graph's words; any phone number id serves.
	if status, _, w := metaPost(t, http.MethodGet, url, metaToken, ""); status != 405 || w.Error == nil || w.Error.Code != 100 || w.Error.Subcode != 33 {
		t.Errorf("GET: %d %s, want 405 with code 100 subcode 33", status, w.raw)
	}
	if status, _, w := metaPost(t, http.MethodPost, base+"/v21.0/"+metaPhoneID+"/message_templates", metaToken, "{}"); status != 404 || w.Error == nil || w.Error.Code != 2500 {
		t.Errorf("unknown path: %d %s, want 404 with code 2500", status, w.raw)
	}
	if status, _, w := metaPost(t, http.MethodPost, base+"/v19.0/999/messages", metaToken, metaBody("255712345670", "text", `{"body":"x"}`)); status != 200 {
		t.Errorf("another phone number id: %d %s", status, w.raw)
	}
}

func TestMetaValidation(t *testing.T) {
	t.Parallel()
	sim, base := metaStart(t, simulator.Config{})
	url := base + "/v21.0/" + metaPhoneID + "/messages"
	const to = "255712345678"
	sim.Script(to, 131000) // used up only by a valid request
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"not JSON", `{"to":`, 100},
		{"empty body", ``, 100},
		{"to as a number", `{"messaging_product":"whatsapp","to":255712345678,"text":{"body":"x"}}`, 100},
		{"no messaging_product", `{"to":"255712345678","type":"text","text":{"body":"x"}}`, 100},
		{"another product", `{"messaging_product":"instagram","to":"255712345678","type":"text","text":{"body":"x"}}`, 100},
		{"group recipient", `{"messaging_product":"whatsapp","recipient_type":"group","to":"255712345678","type":"text","text":{"body":"x"}}`, 131009},
		{"no to", `{"messaging_product":"whatsapp","type":"text","text":{"body":"x"}}`, 100},
		{"to with letters", metaBody("25571234567a", "text", `{"body":"x"}`), 131009},
		{"to too short", metaBody("255712", "text", `{"body":"x"}`), 131009},
		{"unknown type", metaBody(to, "poll", `{}`), 100},
		{"text without body", metaBody(to, "text", `{"preview_url":true}`), 100},
		{"text without object", `{"messaging_product":"whatsapp","to":"255712345678","type":"text"}`, 100},
		{"text too long", metaBody(to, "text", `{"body":"`+strings.Repeat("a", 4097)+`"}`), 131009},
		{"preview_url as a string", metaBody(to, "text", `{"body":"x","preview_url":"yes"}`), 100},
		{"image without link", metaBody(to, "image", `{"caption":"x"}`), 100},
		{"image with id and link", metaBody(to, "image", `{"id":"123","link":"https://example.com/a.jpg"}`), 131009},
		{"document relative link", metaBody(to, "document", `{"link":"/a.pdf"}`), 131009},
		{"audio with caption", metaBody(to, "audio", `{"link":"https://example.com/a.ogg","caption":"x"}`), 131009},
		{"image with filename", metaBody(to, "image", `{"link":"https://example.com/a.jpg","filename":"a.jpg"}`), 131009},
		{"latitude missing", metaBody(to, "location", `{"longitude":39}`), 100},
		{"latitude out of range", metaBody(to, "location", `{"latitude":91,"longitude":39}`), 131009},
		{"contacts empty", `{"messaging_product":"whatsapp","to":"255712345678","type":"contacts","contacts":[]}`, 131009},
		{"contact with formatted_name only", `{"messaging_product":"whatsapp","to":"255712345678","type":"contacts","contacts":[{"name":{"formatted_name":"Amina"}}]}`, 131009},
		{"template without name", metaBody(to, "template", `{"language":{"code":"en"}}`), 100},
		{"template without language", metaBody(to, "template", `{"name":"hello_world"}`), 100},
		{"template without language code", metaBody(to, "template", `{"name":"hello_world","language":{"policy":"deterministic"}}`), 100},
		{"template button without sub_type", metaBody(to, "template", `{"name":"x","language":{"code":"en"},"components":[{"type":"button","index":"0","parameters":[{"type":"text","text":"a"}]}]}`), 100},
		{"template unknown component", metaBody(to, "template", `{"name":"x","language":{"code":"en"},"components":[{"type":"sidebar"}]}`), 131009},
	} {
		status, _, w := metaPost(t, http.MethodPost, url, metaToken, tc.body)
		if status != http.StatusBadRequest || w.Error == nil || w.Error.Code != tc.code || w.Error.Message == "" || w.Error.Type != "OAuthException" {
			t.Errorf("%s: %d %s, want 400 with code %d", tc.name, status, w.raw, tc.code)
		}
	}
	// Meta accepts "+", and a missing type is text.
	for _, body := range []string{
		metaBody("+"+to, "text", `{"body":"x"}`),
		`{"messaging_product":"whatsapp","to":"255712345678","text":{"body":"no type"}}`,
		metaBody(to, "image", `{"id":"1479537139650973"}`),
		metaBody(to, "interactive", `{"type":"button","body":{"text":"?"},"action":{"buttons":[{"type":"reply","reply":{"id":"y","title":"Yes"}}]}}`),
	} {
		status, _, w := metaPost(t, http.MethodPost, url, metaToken, body)
		if want := 200; status != want && !(status == 500 && w.Error != nil && w.Error.Code == 131000) {
			t.Errorf("%s: %d %s, want accepted (or the scripted 131000)", body, status, w.raw)
		}
	}
	if st := sim.Stats(); st.ByCode["131000"] != 1 {
		t.Errorf("ByCode %v: the script went to the first valid request", st.ByCode)
	}
}
