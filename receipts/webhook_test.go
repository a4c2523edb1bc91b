package receipts_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/socnet"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store/storetest"
)

// The secrets of the test accounts.
const (
	hookHeader   = "X-Webhook-Secret"
	hookSecret   = "hook-s3cret-value"
	appSecret    = "app-s3cret-value"
	verifyToken  = "verify-t0ken-value"
	basicUser    = "modica-hooks"
	basicPass    = "basic-p4ss-value"
	testMaxBody  = 4 << 10
	tujengeDLR   = `{"statuses":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","recipient_id":"255712345678","status":"delivered","timestamp":"1518694700"}]}`
	tujengeReply = `{"messages":[{"from":"255712345678","id":"ABGGFlA5FpafAgo6EhoL2ZR7Nr0y","timestamp":"1518694700","type":"text","text":{"body":"STOP"}}]}`
	metaRead     = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.s","status":"read","timestamp":"1739321024","recipient_id":"255712345678"}]}}]}]}`
	modicaDLR    = `{"id":"4815162342","status":"received","reference":"c:+64211234567"}`
)

// secrets are every secret value the tests configure: none may reach a log
// line or an answer.
var secrets = []string{hookSecret, appSecret, verifyToken, basicPass}

// hooks is one test's receiver on its own Redis prefix, served over real
// HTTP, with its adapters and its log.
type hooks struct {
	r    *storetest.Redis
	srv  *httptest.Server
	logs *observer.ObservedLogs

	tujenge *tujenge.Client
	meta    *meta.Client
	modica  *modica.Client
}

func newHooks(t *testing.T) *hooks {
	t.Helper()
	r := storetest.New(t)
	tj, err := tujenge.New(tujenge.Config{APIKey: "send-key"})
	must(t, err)
	mt, err := meta.New(meta.Config{Token: "send-token", PhoneNumberID: "123456789012345", AppSecret: appSecret, VerifyToken: verifyToken})
	must(t, err)
	mtNoHandshake, err := meta.New(meta.Config{Token: "send-token", PhoneNumberID: "123456789012345", AppSecret: appSecret})
	must(t, err)
	md, err := modica.New(modica.Config{Username: "send-user", Password: "send-pass"})
	must(t, err)
	core, logs := observer.New(zapcore.DebugLevel)
	w, err := receipts.NewReceiver(asynq.NewClientFromRedisClient(r.Client), receipts.ReceiverConfig{
		Prefix:  r.Prefix,
		MaxBody: testMaxBody,
		Now:     sharedtest.NewClock(t0).Now,
		Logger:  zap.New(core),
		Accounts: map[string]receipts.Account{
			"tj":   {Parser: tj, SecretHeader: hookHeader, SecretValue: hookSecret},
			"mt":   {Parser: mt}, // the adapter authenticates: its AppSecret and VerifyToken
			"mt-0": {Parser: mtNoHandshake},
			"md":   {Parser: md, BasicUser: basicUser, BasicPassword: basicPass},
			"open": {Parser: tj, Insecure: true},
		},
	})
	must(t, err)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return &hooks{r: r, srv: srv, logs: logs, tujenge: tj, meta: mt, modica: md}
}

// post sends body to path with header.
func (k *hooks) post(t *testing.T, path, body string, header http.Header) answer {
	t.Helper()
	req := mustRequest(t, http.MethodPost, k.srv.URL+path, body)
	for name, vs := range header {
		req.Header[name] = vs
	}
	return do(t, req)
}

func (k *hooks) get(t *testing.T, path string) answer {
	t.Helper()
	return do(t, mustRequest(t, http.MethodGet, k.srv.URL+path, ""))
}

// answer is what the receiver said.
type answer struct {
	status int
	header http.Header
	body   string
}

// do makes req over real HTTP.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func mustRequest(t *testing.T, method, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	must(t, err)
	return req
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// events returns the queued events tasks, decoded.
func (k *hooks) events(t *testing.T) []receipts.Batch {
	t.Helper()
	return queued(t, k.r)
}

// noSecretLogged fails t when a log line holds a configured secret.
func (k *hooks) noSecretLogged(t *testing.T) {
	t.Helper()
	for _, e := range k.logs.All() {
		line := fmt.Sprintf("%s %v", e.Message, e.ContextMap())
		if containsAny(line, secrets) {
			t.Errorf("log line leaks a secret: %s", line)
		}
	}
}

func secretHeader(v string) http.Header { return http.Header{hookHeader: {v}} }

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func basic(user, pass string) http.Header {
	req := &http.Request{Header: http.Header{}}
	req.SetBasicAuth(user, pass)
	return req.Header
}

func TestWebhookStoresOneEventsTaskPerCallback(t *testing.T) {
	t.Parallel()
	k := newHooks(t)
	at := time.Unix(1518694700, 0).UTC()
	body := `{"statuses":[
		{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","recipient_id":"255712345678","status":"sent","timestamp":"1518694700"},
		{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrV","recipient_id":"255712345679","status":"failed","timestamp":"1518694700",
		 "errors":[{"code":470,"title":"Message failed to send because more than 24 hours have passed since the customer last replied to this number"}]}],
		"messages":[{"from":"255712345678","id":"ABGGFlA5FpafAgo6EhoL2ZR7Nr0y","timestamp":"1518694700","type":"text","text":{"body":"STOP"}}]}`
	if resp := k.post(t, "/webhooks/tj", body, secretHeader(hookSecret)); resp.status != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", resp.status, resp.body)
	}
	want := []receipts.Batch{{Account: "tj", Received: t0, Events: []providers.Event{
		{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Sent, ProviderStatus: "sent", Recipient: "+255712345678", Time: at},
		{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrV", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345679", Time: at,
			ErrorCode: "470", Error: "Message failed to send because more than 24 hours have passed since the customer last replied to this number"},
		{Kind: providers.EventInbound, InboundID: "ABGGFlA5FpafAgo6EhoL2ZR7Nr0y", From: "+255712345678", Text: "STOP", Time: at},
	}}}
	if diff := cmp.Diff(want, k.events(t)); diff != "" {
		t.Errorf("queued events (-want +got):\n%s", diff)
	}

	// A second callback is a second task.
	if resp := k.post(t, "/webhooks/tj", tujengeReply, secretHeader(hookSecret)); resp.status != http.StatusOK {
		t.Fatalf("second callback: status %d", resp.status)
	}
	if n := len(k.events(t)); n != 2 {
		t.Errorf("%d tasks after two callbacks, want 2", n)
	}
	k.noSecretLogged(t)
}

func TestWebhookMetaSignedAndBasicAuthCallbacksAreStored(t *testing.T) {
	t.Parallel()
	k := newHooks(t)
	mtEvents, err := k.meta.ParseCallback(http.Header{meta.SignatureHeader: {sign(appSecret, metaRead)}}, []byte(metaRead))
	must(t, err)
	mdEvents, err := k.modica.ParseCallback(http.Header{}, []byte(modicaDLR))
	must(t, err)
	if len(mtEvents) != 1 || len(mdEvents) != 1 {
		t.Fatalf("the adapters read %d and %d events from the test bodies, want 1 each", len(mtEvents), len(mdEvents))
	}

	if resp := k.post(t, "/webhooks/mt", metaRead, http.Header{meta.SignatureHeader: {sign(appSecret, metaRead)}}); resp.status != http.StatusOK {
		t.Fatalf("signed Meta callback: status %d (%s)", resp.status, resp.body)
	}
	if resp := k.post(t, "/webhooks/md", modicaDLR, basic(basicUser, basicPass)); resp.status != http.StatusOK {
		t.Fatalf("Modica callback with Basic credentials: status %d (%s)", resp.status, resp.body)
	}
	got := map[string][]providers.Event{}
	for _, b := range k.events(t) {
		if !b.Received.Equal(t0) {
			t.Errorf("batch of %s received %v, want %v", b.Account, b.Received, t0)
		}
		got[b.Account] = append(got[b.Account], b.Events...)
	}
	if diff := cmp.Diff(map[string][]providers.Event{"mt": mtEvents, "md": mdEvents}, got); diff != "" {
		t.Errorf("queued events by account (-want +got):\n%s", diff)
	}
	k.noSecretLogged(t)
}

// Every refused callback is answered with its status and records nothing;
// so is a callback that carries nothing wabulk uses (200).
func TestWebhookRefusalsRecordNothing(t *testing.T) {
	t.Parallel()
	big := `{"statuses":[],"pad":"` + strings.Repeat("x", testMaxBody) + `"}`
	tests := []struct {
		name   string
		path   string
		body   string
		header http.Header
		chunk  bool // send without Content-Length
		want   int
	}{
		{name: "wrong secret", path: "/webhooks/tj", body: tujengeDLR, header: secretHeader("not-the-secret"), want: 401},
		{name: "missing secret", path: "/webhooks/tj", body: tujengeDLR, want: 401},
		{name: "secret in another header", path: "/webhooks/tj", body: tujengeDLR, header: http.Header{"X-Other": {hookSecret}}, want: 401},
		{name: "secret header twice", path: "/webhooks/tj", body: tujengeDLR, header: http.Header{hookHeader: {hookSecret, "other"}}, want: 401},
		{name: "secret as a prefix", path: "/webhooks/tj", body: tujengeDLR, header: secretHeader(hookSecret + "x"), want: 401},
		{name: "unparsable body", path: "/webhooks/tj", body: `{"statuses":[{"id":"s1","status":"sent"`, header: secretHeader(hookSecret), want: 400},
		{name: "not JSON", path: "/webhooks/tj", body: "hello", header: secretHeader(hookSecret), want: 400},
		{name: "oversized", path: "/webhooks/tj", body: big, header: secretHeader(hookSecret), want: 413},
		{name: "oversized without Content-Length", path: "/webhooks/tj", body: big, header: secretHeader(hookSecret), chunk: true, want: 413},
		{name: "oversized and unauthenticated", path: "/webhooks/tj", body: big, chunk: true, want: 401},
		{name: "unknown account", path: "/webhooks/nope", body: tujengeDLR, header: secretHeader(hookSecret), want: 401},
		{name: "no account", path: "/webhooks/", body: tujengeDLR, header: secretHeader(hookSecret), want: 404},
		{name: "meta bad signature", path: "/webhooks/mt", body: metaRead, header: http.Header{meta.SignatureHeader: {sign("another-secret", metaRead)}}, want: 401},
		{name: "meta signature of another body", path: "/webhooks/mt", body: metaRead, header: http.Header{meta.SignatureHeader: {sign(appSecret, metaRead+" ")}}, want: 401},
		{name: "meta malformed signature", path: "/webhooks/mt", body: metaRead, header: http.Header{meta.SignatureHeader: {"sha1=abc"}}, want: 401},
		{name: "meta unsigned", path: "/webhooks/mt", body: metaRead, want: 401},
		{name: "meta signed garbage", path: "/webhooks/mt", body: "[1,2", header: http.Header{meta.SignatureHeader: {sign(appSecret, "[1,2")}}, want: 400},
		{name: "basic wrong password", path: "/webhooks/md", body: modicaDLR, header: basic(basicUser, "nope"), want: 401},
		{name: "basic wrong user", path: "/webhooks/md", body: modicaDLR, header: basic("someone", basicPass), want: 401},
		{name: "basic missing", path: "/webhooks/md", body: modicaDLR, want: 401},
		{name: "basic credentials of another account's secret", path: "/webhooks/md", body: modicaDLR, header: secretHeader(hookSecret), want: 401},
		{name: "zero events", path: "/webhooks/tj", body: `{"statuses":[]}`, header: secretHeader(hookSecret), want: 200},
		{name: "zero events: another product's Meta webhook", path: "/webhooks/mt", body: `{"object":"page","entry":[]}`,
			header: http.Header{meta.SignatureHeader: {sign(appSecret, `{"object":"page","entry":[]}`)}}, want: 200},
		{name: "insecure account, unknown status only", path: "/webhooks/open", body: `{"statuses":[{"id":"s1","status":"mystery"}]}`, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newHooks(t)
			var r io.Reader = strings.NewReader(tt.body)
			if tt.chunk {
				r = io.MultiReader(r) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, k.srv.URL+tt.path, r)
			must(t, err)
			for name, vs := range tt.header {
				req.Header[name] = vs
			}
			resp := do(t, req)
			if resp.status != tt.want {
				t.Errorf("status %d (%s), want %d", resp.status, resp.body, tt.want)
			}
			if tt.want == 401 && tt.path == "/webhooks/md" && !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("a 401 for HTTP Basic has WWW-Authenticate %q", resp.header.Get("WWW-Authenticate"))
			}
			if got := k.events(t); len(got) != 0 {
				t.Errorf("recorded %+v, want nothing", got)
			}
			if b := resp.body; containsAny(b, secrets) {
				t.Errorf("the answer leaks a secret: %q", b)
			}
			k.noSecretLogged(t)
		})
	}
}

func TestWebhookAnswersMetaHandshake(t *testing.T) {
	t.Parallel()
	k := newHooks(t)
	q := func(mode, token, challenge string) string {
		return "?" + url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {challenge}}.Encode()
	}
	tests := []struct {
		name, path string
		want       int
		wantBody   string
	}{
		{"good token", "/webhooks/mt" + q("subscribe", verifyToken, "1158201444"), 200, "1158201444"},
		{"bad token", "/webhooks/mt" + q("subscribe", "guess", "1158201444"), 403, ""},
		{"not subscribe", "/webhooks/mt" + q("unsubscribe", verifyToken, "1158201444"), 403, ""},
		{"no challenge", "/webhooks/mt" + q("subscribe", verifyToken, ""), 403, ""},
		{"account without a verify token", "/webhooks/mt-0" + q("subscribe", "", "1158201444"), 403, ""},
		{"account whose provider makes no handshake", "/webhooks/tj" + q("subscribe", "", "1158201444"), 403, ""},
		{"unknown account", "/webhooks/nope" + q("subscribe", verifyToken, "1158201444"), 403, ""},
		{"GET without hub.mode", "/webhooks/mt", 405, ""},
	}
	for _, tt := range tests {
		resp := k.get(t, tt.path)
		if resp.status != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, resp.status, resp.body, tt.want)
		}
		if tt.wantBody != "" && resp.body != tt.wantBody {
			t.Errorf("%s: body %q, want exactly %q", tt.name, resp.body, tt.wantBody)
		}
		if b := resp.body; tt.want != 200 && strings.Contains(b, "1158201444") {
			t.Errorf("%s: a refused handshake echoes the challenge: %q", tt.name, b)
		}
	}
	if got := k.events(t); len(got) != 0 {
		t.Errorf("a handshake recorded %+v", got)
	}
	k.noSecretLogged(t)
}

func TestWebhookHealthAndReadiness(t *testing.T) {
	t.Parallel()
	k := newHooks(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp := k.get(t, path); resp.status != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, resp.status)
		}
	}
	if resp := k.get(t, "/nothing-here"); resp.status != http.StatusNotFound {
		t.Errorf("unknown path: status %d, want 404", resp.status)
	}

	dead := deadHooks(t)
	if resp := do(t, mustRequest(t, http.MethodGet, dead.URL+"/readyz", "")); resp.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz without Redis: status %d, want 503", resp.status)
	}
	if resp := do(t, mustRequest(t, http.MethodGet, dead.URL+"/healthz", "")); resp.status != http.StatusOK {
		t.Errorf("/healthz without Redis: status %d, want 200 (the process is alive)", resp.status)
	}
}

// When Redis cannot take the events, the provider is told to retry.
func TestWebhookAnswers503WhenRedisFails(t *testing.T) {
	t.Parallel()
	dead := deadHooks(t)
	req := mustRequest(t, http.MethodPost, dead.URL+"/webhooks/tj", tujengeDLR)
	req.Header.Set(hookHeader, hookSecret)
	resp := do(t, req)
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", resp.status, resp.header.Get("Retry-After"))
	}
	// Refusals come before Redis is asked.
	req = mustRequest(t, http.MethodPost, dead.URL+"/webhooks/tj", tujengeDLR)
	if resp := do(t, req); resp.status != http.StatusUnauthorized {
		t.Errorf("unauthenticated, Redis down: status %d, want 401", resp.status)
	}
}

// deadHooks serves a receiver whose Redis is unreachable.
func deadHooks(t *testing.T) *httptest.Server {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	tj, err := tujenge.New(tujenge.Config{APIKey: "send-key"})
	must(t, err)
	w, err := receipts.NewReceiver(asynq.NewClientFromRedisClient(rdb), receipts.ReceiverConfig{
		Accounts: map[string]receipts.Account{"tj": {Parser: tj, SecretHeader: hookHeader, SecretValue: hookSecret}},
	})
	must(t, err)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv
}

func TestNewReceiverRefusesAccountsItCannotAuthenticate(t *testing.T) {
	t.Parallel()
	client := asynq.NewClientFromRedisClient(storetest.New(t).Client)
	tj, err := tujenge.New(tujenge.Config{APIKey: "send-key"})
	must(t, err)
	// Meta's adapter authenticates with its own app secret, and answers
	// the handshake with its verify token.
	newMeta := func(appSecret, verifyToken string) *meta.Client {
		mt, err := meta.New(meta.Config{Token: "send-token", PhoneNumberID: "123456789012345", AppSecret: appSecret, VerifyToken: verifyToken})
		must(t, err)
		return mt
	}
	tests := []struct {
		name    string
		account receipts.Account
		wantIs  error
		want    string
	}{
		{name: "no authentication", account: receipts.Account{Parser: tj}, wantIs: receipts.ErrNoAuth},
		{name: "a verify token only", account: receipts.Account{Parser: newMeta("", "v")}, wantIs: receipts.ErrNoAuth},
		{name: "header and basic", account: receipts.Account{Parser: tj, SecretHeader: "X-S", SecretValue: "v", BasicUser: "u", BasicPassword: "p"},
			wantIs: receipts.ErrAuthConflict, want: "secret header, HTTP Basic"},
		{name: "app secret and header", account: receipts.Account{Parser: newMeta("a", ""), SecretHeader: "X-S", SecretValue: "v"},
			wantIs: receipts.ErrAuthConflict, want: "secret header, X-Hub-Signature-256 (Meta app secret)"},
		{name: "insecure and authenticated", account: receipts.Account{Parser: newMeta("a", ""), Insecure: true}, want: "both Insecure and X-Hub-Signature-256 (Meta app secret) are set"},
		{name: "header without value", account: receipts.Account{Parser: tj, SecretHeader: "X-S"}, want: "has no secret value"},
		{name: "value without header", account: receipts.Account{Parser: tj, SecretValue: "v"}, want: "no header to carry it"},
		{name: "bad header name", account: receipts.Account{Parser: tj, SecretHeader: "X S", SecretValue: "v"}, want: "not a valid HTTP header name"},
		{name: "user without password", account: receipts.Account{Parser: tj, BasicUser: "u"}, want: "no password"},
		{name: "password without user", account: receipts.Account{Parser: tj, BasicPassword: "p"}, want: "no user"},
		{name: "user with a colon", account: receipts.Account{Parser: tj, BasicUser: "u:x", BasicPassword: "p"}, want: "must not contain ':'"},
		{name: "no parser", account: receipts.Account{Insecure: true}, want: "no callback parser"},
	}
	for _, tt := range tests {
		_, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{"acct": tt.account}})
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), `webhook account "acct"`) {
			t.Errorf("%s: %v does not name the account", tt.name, err)
		}
		if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
			t.Errorf("%s: %v is not %v", tt.name, err, tt.wantIs)
		}
		if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want it to contain %q", tt.name, err, tt.want)
		}
		if strings.Contains(err.Error(), `"v"`) || strings.Contains(err.Error(), `"p"`) {
			t.Errorf("%s: the error quotes a secret: %v", tt.name, err)
		}
	}
	// Every problem at once.
	_, err = receipts.NewReceiver(client, receipts.ReceiverConfig{Accounts: map[string]receipts.Account{
		"a": {Parser: tj}, "b": {Parser: tj, BasicUser: "u"}, "c": {Parser: tj, Insecure: true},
	}})
	if err == nil || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) || strings.Contains(err.Error(), `"c"`) {
		t.Errorf("two bad accounts and a good one: %v", err)
	}
	if _, err := receipts.NewReceiver(nil, receipts.ReceiverConfig{}); err == nil {
		t.Error("no asynq client: no error")
	}
	// socnet has no callbacks: it cannot be a parser (a compile-time fact,
	// kept here so the receiver's documentation stays true).
	var s any = (*socnet.Client)(nil)
	if _, ok := s.(providers.CallbackParser); ok {
		t.Error("socnet now parses callbacks: give it a webhook endpoint in cmd serve")
	}
}

func ExampleNewReceiver() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	tj, _ := tujenge.New(tujenge.Config{APIKey: "..."})
	hooks, err := receipts.NewReceiver(asynq.NewClientFromRedisClient(rdb), receipts.ReceiverConfig{
		Accounts: map[string]receipts.Account{
			// Tujenge's webhook config sends this header with every callback.
			"tujenge-main": {Parser: tj, SecretHeader: "X-Webhook-Secret", SecretValue: "s3cret"},
		},
		Now: func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, secret := range []string{"guess", "s3cret"} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/tujenge-main", strings.NewReader(tujengeDLR))
		req.Header.Set("X-Webhook-Secret", secret)
		rec := httptest.NewRecorder()
		hooks.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}

	tasks, _ := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks(receipts.Queue("wabulk:"))
	for _, ti := range tasks {
		var b receipts.Batch
		_ = json.Unmarshal(ti.Payload, &b)
		fmt.Println(ti.Type, b.Account, b.Received.Format(time.RFC3339), b.Events[0].ProviderMessageID, b.Events[0].Status)
	}
	// Output:
	// 401
	// 200
	// wabulk:events tujenge-main 2026-11-21T09:00:00Z gBEGkYiEB1VXAglK1ZEqA1YKPrU delivered
}
