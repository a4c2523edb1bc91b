package worker_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/socnet"
	"github.com/wabulk/wabulk/providers/taqnyat"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

// These tests drive provider callbacks end to end: a hand-written body in
// the shape the provider's document (or Meta's public webhook reference)
// shows is POSTed to the real webhook receiver (receipts.Receiver over
// HTTP, with the account's authentication), stored as an asynq events task,
// applied by worker.Events on a real asynq server (see cbEnv.run), and the
// result read back from the store; sends go through the real worker.Sender
// to the provider's simulator on loopback, with an injected clock
// (worker.Config.Now) for the 24-hour window. The payloads are written from
// the documents, never produced by the simulator's own callback builders:
// the point is to catch where our reading of a document disagrees with how
// an outside reader would write its callbacks.

const (
	cbSimKey     = "sim-key-0123456789abcdef0123456789ab"
	cbSimUser    = "wabulk"
	cbSimPass    = "sim-password"
	cbAppSecret  = "meta-app-s3cret"
	cbVerify     = "meta-verify-t0ken"
	cbHookHeader = "X-Webhook-Secret"
	cbHookSecret = "hook-s3cret"
	cbHookUser   = "hooks"
	cbHookPass   = "hook-p4ss"
	// cbBusiness is the business number Meta's metadata and Modica's
	// Destination name.
	cbBusiness = "15550783881"
)

// cbKind is one provider kind: how its webhook is authenticated, how its
// adapter reaches the simulator, and its callbacks as its document shows
// them. A nil payload func means the document describes no such callback.
type cbKind struct {
	name string
	// hook configures the account's authentication; authorize makes a
	// request carry good (or, with good false, wrong) credentials.
	hook      func(*receipts.Account)
	authorize func(r *http.Request, body []byte, good bool)
	// adapter is the account's adapter pointed at the simulator at base;
	// simKey is the credential the simulator checks.
	adapter func(t *testing.T, base string) providers.Provider
	simKey  string
	// templates: the adapter sends templates (Modica's gateway sends text only).
	templates bool

	// words are the provider's words for sent, delivered and read; a
	// missing read means the provider reports nothing past delivery.
	words map[message.Status]string
	// status is a delivery report of provider message id to contact to
	// (E.164) saying word at the time at.
	status func(id, to, word string, at time.Time) string
	// failed is a failure report, and failedCode the error code it must
	// leave on the record.
	failed     func(id, to string, at time.Time) string
	failedCode string
	// inbound is a text message from contact from; nil when the provider
	// pushes none.
	inbound func(from, text string, at time.Time) string
	// stopWord is an opt-out keyword in the provider's market language.
	stopWord string
	// garbage is a body the adapter must refuse (400).
	garbage string
}

func cbDigits(e164 string) string { return strings.TrimPrefix(e164, "+") }

func cbUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// fill replaces each {{key}} in tmpl.
func cbFill(tmpl string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		tmpl = strings.ReplaceAll(tmpl, "{{"+kv[i]+"}}", kv[i+1])
	}
	return tmpl
}

func cbBasicAuth(user, pass string) func(*receipts.Account) {
	return func(a *receipts.Account) { a.BasicUser, a.BasicPassword = user, pass }
}

func cbAuthorizeBasic(r *http.Request, _ []byte, good bool) {
	if good {
		r.SetBasicAuth(cbHookUser, cbHookPass)
	} else {
		r.SetBasicAuth(cbHookUser, "not-the-password")
	}
}

func cbSignMeta(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Meta's Cloud API webhook: entry[].changes[].value, as in Meta's webhook
// reference ("Status: delivered", "Received messages: text").
const cbMetaEnvelope = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{` +
	`"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + cbBusiness + `","phone_number_id":"106540352242922"},{{value}}},` +
	`"field":"messages"}]}]}`

var cbKinds = []*cbKind{
	{
		name: "meta",
		hook: func(*receipts.Account) {}, // the adapter authenticates: AppSecret and VerifyToken below
		authorize: func(r *http.Request, body []byte, good bool) {
			secret := cbAppSecret
			if !good {
				secret = "some-other-app-secret"
			}
			r.Header.Set("X-Hub-Signature-256", cbSignMeta(secret, body))
		},
		adapter: func(t *testing.T, base string) providers.Provider {
			c, err := meta.New(meta.Config{BaseURL: base, Token: cbSimKey, PhoneNumberID: "109876543210987",
				AppSecret: cbAppSecret, VerifyToken: cbVerify})
			cbMust(t, err)
			return c
		},
		simKey:    cbSimKey,
		templates: true,
		words:     map[message.Status]string{message.Sent: "sent", message.Delivered: "delivered", message.Read: "read"},
		status: func(id, to, word string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"statuses":[{"id":"{{id}}","status":"{{word}}","timestamp":"{{ts}}","recipient_id":"{{to}}",`+
				`"conversation":{"id":"CONVERSATION_ID","expiration_timestamp":"{{exp}}","origin":{"type":"marketing"}},`+
				`"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"}}]`,
				"id", id, "word", word, "ts", cbUnix(at), "to", cbDigits(to), "exp", cbUnix(at.Add(24*time.Hour))))
		},
		failed: func(id, to string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"statuses":[{"id":"{{id}}","status":"failed","timestamp":"{{ts}}","recipient_id":"{{to}}",`+
				`"errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable",`+
				`"error_data":{"details":"Message Undeliverable."},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]}]`,
				"id", id, "ts", cbUnix(at), "to", cbDigits(to)))
		},
		failedCode: "131026",
		inbound: func(from, text string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"{{from}}"}],`+
				`"messages":[{"from":"{{from}}","id":"wamid.HBgL{{from}}{{ts}}","timestamp":"{{ts}}","text":{"body":"{{text}}"},"type":"text"}]`,
				"from", cbDigits(from), "ts", cbUnix(at), "text", text))
		},
		stopWord: "Стоп",
		garbage:  `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":`,
	},
	{
		// Tujenge forwards the on-premises WhatsApp Business API's
		// notifications: statuses and messages at the top level.
		name: "tujenge",
		hook: func(a *receipts.Account) { a.SecretHeader, a.SecretValue = cbHookHeader, cbHookSecret },
		authorize: func(r *http.Request, _ []byte, good bool) {
			if good {
				r.Header.Set(cbHookHeader, cbHookSecret)
			} else {
				r.Header.Set(cbHookHeader, "guessed")
			}
		},
		adapter: func(t *testing.T, base string) providers.Provider {
			c, err := tujenge.New(tujenge.Config{BaseURL: base, APIKey: cbSimKey})
			cbMust(t, err)
			return c
		},
		simKey:    cbSimKey,
		templates: true,
		words:     map[message.Status]string{message.Sent: "sent", message.Delivered: "delivered", message.Read: "read"},
		status: func(id, to, word string, at time.Time) string {
			return cbFill(`{"statuses":[{"id":"{{id}}","recipient_id":"{{to}}","status":"{{word}}","timestamp":"{{ts}}","type":"message",`+
				`"conversation":{"id":"532b57b5f6e63595ccd74c6010e5c5c7","expiration_timestamp":{{exp}},"origin":{"type":"business_initiated"}},`+
				`"pricing":{"billable":true,"pricing_model":"CBP","category":"business_initiated"}}]}`,
				"id", id, "word", word, "ts", cbUnix(at), "to", cbDigits(to), "exp", cbUnix(at.Add(24*time.Hour)))
		},
		failed: func(id, to string, at time.Time) string {
			return cbFill(`{"statuses":[{"errors":[{"code":470,"title":"Message failed to send because more than 24 hours have passed since the customer last replied to this number"}],`+
				`"id":"{{id}}","recipient_id":"{{to}}","status":"failed","timestamp":"{{ts}}"}]}`,
				"id", id, "ts", cbUnix(at), "to", cbDigits(to))
		},
		failedCode: "470",
		inbound: func(from, text string, at time.Time) string {
			return cbFill(`{"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"{{from}}"}],`+
				`"messages":[{"from":"{{from}}","id":"ABGGFlA5Fpa{{ts}}","timestamp":"{{ts}}","text":{"body":"{{text}}"},"type":"text"}]}`,
				"from", cbDigits(from), "ts", cbUnix(at), "text", text)
		},
		stopWord: "Acha",
		garbage:  `{"statuses":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","status":"read"`,
	},
	{
		// Taqnyat's "Callback Structure": type, statuses (delivery reports:
		// status success/failure, state, message_id, details, recipient,
		// ISO-8601 timestamp), contacts, notifications (from, to,
		// message_id, message, timestamp).
		name:      "taqnyat",
		hook:      cbBasicAuth(cbHookUser, cbHookPass),
		authorize: cbAuthorizeBasic,
		adapter: func(t *testing.T, base string) providers.Provider {
			c, err := taqnyat.New(taqnyat.Config{BaseURL: base, Token: cbSimKey})
			cbMust(t, err)
			return c
		},
		simKey:    cbSimKey,
		templates: true,
		words:     map[message.Status]string{message.Sent: "sent", message.Delivered: "delivered", message.Read: "read"},
		status: func(id, to, word string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","statuses":[{"status":"success","state":"{{word}}","message_id":"{{id}}","details":"","recipient":"{{to}}","timestamp":"{{iso}}"}]}`,
				"id", id, "word", word, "to", cbDigits(to), "iso", at.Format(time.RFC3339))
		},
		failed: func(id, to string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","statuses":[{"status":"failure","state":"failed","message_id":"{{id}}","details":"Message has failed","recipient":"{{to}}","timestamp":"{{iso}}"}]}`,
				"id", id, "to", cbDigits(to), "iso", at.Format(time.RFC3339))
		},
		failedCode: "failed",
		inbound: func(from, text string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","contacts":[{"profile":{"name":"Amina"},"wa_id":"{{from}}"}],`+
				`"notifications":[{"from":"{{from}}","to":"taqnyatbot","message_id":"ABGGFlA5Fpaf{{ts}}","message":{"type":"text","text":"{{text}}"},"timestamp":"{{iso}}"}]}`,
				"from", cbDigits(from), "ts", cbUnix(at), "iso", at.Format(time.RFC3339), "text", text)
		},
		stopWord: "إلغاء",
		garbage:  `{"type":"whatsapp","statuses":[{"state":"read"`,
	},
	{
		// Modica: the DLR callback {"id","status","reference"} and the MO
		// callback {"id","source","Destination","content"}, each on a URL
		// carrying credentials (HTTP Basic).
		name:      "modica",
		hook:      cbBasicAuth(cbHookUser, cbHookPass),
		authorize: cbAuthorizeBasic,
		adapter: func(t *testing.T, base string) providers.Provider {
			c, err := modica.New(modica.Config{BaseURL: base, Username: cbSimUser, Password: cbSimPass})
			cbMust(t, err)
			return c
		},
		simKey: cbSimUser + ":" + cbSimPass,
		words:  map[message.Status]string{message.Sent: "sent", message.Delivered: "received"},
		status: func(id, _, word string, _ time.Time) string {
			return cbFill(`{"id":"{{id}}","status":"{{word}}","reference":"c:{{id}}"}`, "id", id, "word", word)
		},
		failed: func(id, _ string, _ time.Time) string {
			return cbFill(`{"id":"{{id}}","status":"rejected","reference":"c:{{id}}"}`, "id", id)
		},
		failedCode: "rejected",
		inbound: func(from, text string, at time.Time) string {
			return cbFill(`{"id":"mo-{{from}}-{{ts}}","source":"{{from}}","Destination":"+`+cbBusiness+`",`+
				`"content":{"from":"{{digits}}","id":"wamid.mo{{ts}}","timestamp":"{{ts}}","type":"text","text":{"body":"{{text}}"}}}`,
				"from", from, "digits", cbDigits(from), "ts", cbUnix(at), "text", text)
		},
		stopWord: "sitisha",
		garbage:  `id=4815162342&status=received`,
	},
	{
		// DecisionTelecom: callback_url receives status changes; the shape
		// mirrors receive-whatsapp's answer {"message_id":554,"status":1}.
		// It documents no inbound messages.
		name:      "decisiontelecom",
		hook:      cbBasicAuth(cbHookUser, cbHookPass),
		authorize: cbAuthorizeBasic,
		adapter: func(t *testing.T, base string) providers.Provider {
			c, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: base + "/v1/api", APIKey: cbSimKey, Source: "wabulk",
				CallbackURL: "https://hooks.example/webhooks/decisiontelecom"})
			cbMust(t, err)
			return c
		},
		simKey:    cbSimKey,
		templates: true,
		words:     map[message.Status]string{message.Sent: "0", message.Delivered: "1", message.Read: "7"},
		status: func(id, _, word string, _ time.Time) string {
			return cbFill(`{"message_id":{{id}},"status":{{word}}}`, "id", id, "word", word)
		},
		failed: func(id, _ string, _ time.Time) string {
			return cbFill(`{"message_id":{{id}},"status":4}`, "id", id)
		},
		failedCode: "failed",
		garbage:    `<status><message_id>554</message_id></status>`,
	},
}

// cbKindsWith returns the kinds whose document has the callback pick picks.
func cbKindsWith(pick func(*cbKind) bool) []*cbKind {
	var out []*cbKind
	for _, k := range cbKinds {
		if pick(k) {
			out = append(out, k)
		}
	}
	return out
}

// cbEnv is one provider account's whole chain on its own Redis prefix.
type cbEnv struct {
	t      *testing.T
	k      *cbKind
	r      *storetest.Redis
	st     *store.Store
	sim    *simulator.Simulator
	prov   providers.Provider
	client *asynq.Client
	insp   *asynq.Inspector
	hooks  *httptest.Server
	clock  *sharedtest.Clock
	cfg    worker.Config
}

func newCBEnv(t *testing.T, k *cbKind) *cbEnv {
	t.Helper()
	r := storetest.New(t)
	// The injected clock starts at the real time (adapters compute TTLs
	// from the real clock); every payload timestamp is written from it.
	clock := sharedtest.NewClock(time.Now().UTC().Truncate(time.Second))
	sim, err := simulator.New(simulator.Config{Kind: k.name, APIKey: k.simKey, Seed: 1})
	cbMust(t, err)
	base, err := sim.Start("127.0.0.1:0")
	cbMust(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	client := asynq.NewClientFromRedisClient(r.Client)
	e := &cbEnv{t: t, k: k, r: r, sim: sim, prov: k.adapter(t, base), client: client, clock: clock,
		st:   store.New(r.Client, store.Config{Prefix: r.Prefix, Now: clock.Now}),
		insp: asynq.NewInspectorFromRedisClient(r.Client),
		cfg: worker.Config{Prefix: r.Prefix, Concurrency: 4, Now: clock.Now,
			EventHoldDelay: 5 * time.Millisecond, EventHoldFor: time.Minute, DelayedTaskCheckInterval: 20 * time.Millisecond,
			RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second},
	}
	if parser, ok := e.prov.(providers.CallbackParser); ok {
		acct := receipts.Account{Parser: parser}
		k.hook(&acct)
		w, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: r.Prefix, Now: clock.Now,
			Accounts: map[string]receipts.Account{k.name: acct}})
		cbMust(t, err)
		e.hooks = httptest.NewServer(w)
		t.Cleanup(e.hooks.Close)
	}
	return e
}

// run starts the real worker handlers (worker.Sender for sends,
// worker.Events for callbacks) on a real asynq server, configured as
// worker.NewServer configures it (same queues, RetryDelay, IsFailure)
// except that it polls empty queues every 5 ms instead of asynq's 1 s,
// which worker.Config does not expose: each callback step would otherwise
// cost up to a second.
func (e *cbEnv) run() {
	e.t.Helper()
	srv := asynq.NewServerFromRedisClient(e.r.Client, asynq.Config{
		Concurrency: e.cfg.Concurrency,
		Queues: map[string]int{receipts.Queue(e.r.Prefix): 5,
			message.QueueName(e.r.Prefix, message.LaneNormal): 3},
		RetryDelayFunc:           worker.RetryDelay,
		IsFailure:                worker.IsFailure,
		TaskCheckInterval:        5 * time.Millisecond,
		DelayedTaskCheckInterval: e.cfg.DelayedTaskCheckInterval,
		ShutdownTimeout:          e.cfg.ShutdownTimeout,
		LogLevel:                 asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(message.TypeSend, worker.NewSender(e.cfg, e.st, map[string]providers.Provider{e.k.name: e.prov}, nil))
	mux.Handle(receipts.TypeEvents, worker.NewEvents(e.cfg, e.st))
	cbMust(e.t, srv.Start(mux))
	e.t.Cleanup(srv.Shutdown)
}

// post POSTs body to the account's webhook as the provider would, with
// good, wrong or (auth nil) no credentials, and returns the status.
func (e *cbEnv) post(body string, auth *bool) int {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.hooks.URL+"/webhooks/"+e.k.name, strings.NewReader(body))
	cbMust(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		e.k.authorize(req, []byte(body), *auth)
	}
	resp, err := http.DefaultClient.Do(req)
	cbMust(e.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

var (
	cbGood  = true
	cbWrong = false
)

// deliver POSTs authenticated callbacks one by one, each answered 200 and
// applied before the next is sent, so the worker sees them in this order.
func (e *cbEnv) deliver(bodies ...string) {
	e.t.Helper()
	for _, b := range bodies {
		if code := e.post(b, &cbGood); code != http.StatusOK {
			e.t.Fatalf("callback answered %d, want 200:\n%s", code, b)
		}
		e.drainEvents()
	}
}

func (e *cbEnv) eventsQueue() string { return receipts.Queue(e.r.Prefix) }

// eventTasks is how many events tasks wait, run or are due again.
func (e *cbEnv) eventTasks() int {
	e.t.Helper()
	queues, err := e.insp.Queues()
	cbMust(e.t, err)
	if !slices.Contains(queues, e.eventsQueue()) {
		return 0 // nothing was ever enqueued
	}
	q, err := e.insp.GetQueueInfo(e.eventsQueue())
	cbMust(e.t, err)
	return q.Pending + q.Active + q.Scheduled + q.Retry + q.Archived
}

func (e *cbEnv) drainEvents() {
	e.t.Helper()
	sharedtest.Eventually(e.t, func() bool { return e.eventTasks() == 0 }, 20*time.Second, "events queue drained")
}

// msg is campaign's message to the n-th contact: the campaign's usual
// content (a template where the adapter sends templates), or free-form
// text when text is set.
func (e *cbEnv) msg(campaign string, n int, text bool) *message.Message {
	to := fmt.Sprintf("+2567010%05d", n)
	m := &message.Message{ID: message.CampaignMessageID(campaign, to), CampaignID: campaign, Account: e.k.name, To: to,
		CreatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(72 * time.Hour)}
	if text || !e.k.templates {
		m.Content.Text = &message.Text{Body: "Your order has shipped"}
	} else {
		m.Content.Template = &message.Template{Name: "order_update", Language: "en", Body: []string{"1234"}}
	}
	return m
}

// send creates the record and the task as the producer does and waits
// for the outcome the worker records.
func (e *cbEnv) send(ms ...*message.Message) {
	e.t.Helper()
	ctx := context.Background()
	for _, m := range ms {
		_, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}})
		cbMust(e.t, err)
		task, err := message.NewSendTask(m, asynq.Queue(message.QueueName(e.r.Prefix, message.LaneNormal)), asynq.MaxRetry(message.TaskMaxRetry))
		cbMust(e.t, err)
		_, err = e.client.Enqueue(task)
		cbMust(e.t, err)
	}
	for _, m := range ms {
		sharedtest.Eventually(e.t, func() bool { return !e.get(m).Status.Pending() }, 20*time.Second, "an outcome for %s", m.ID)
	}
}

func (e *cbEnv) get(m *message.Message) *store.Record {
	e.t.Helper()
	r, err := e.st.Get(context.Background(), m.ID)
	cbMust(e.t, err)
	return r
}

// pmid is the provider message id the send recorded.
func (e *cbEnv) pmid(m *message.Message) string {
	e.t.Helper()
	r := e.get(m)
	if r.ProviderMessageID == "" {
		e.t.Fatalf("%s: %s/%s %s, without a provider message id", m.ID, r.Status, r.ErrorCode, r.Error)
	}
	return r.ProviderMessageID
}

// openWindow has the contact write to the business, for kinds whose
// adapter sends free-form text only.
func (e *cbEnv) openWindow(ms ...*message.Message) {
	e.t.Helper()
	for _, m := range ms {
		if m.Content.FreeForm() {
			e.deliver(e.k.inbound(m.To, "Hello", e.clock.Now().Add(-time.Minute)))
		}
	}
}

func cbMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cbForEachKind runs f in a parallel subtest, on a fresh env, for each kind.
func cbForEachKind(t *testing.T, kinds []*cbKind, f func(t *testing.T, e *cbEnv)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, newCBEnv(t, k))
		})
	}
}

type cbOutcome struct {
	Status message.Status
	Code   string
}

// Receipts in the provider's own shape move records forward whatever the
// order they arrive in: in order, reversed (read before delivered before
// sent), duplicated, and a failure with its error code; the campaign's
// counters follow.
func TestCallbacksE2EReceipts(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKindsWith(func(k *cbKind) bool { return k.status != nil }), func(t *testing.T, e *cbEnv) {
		e.run()
		inOrder, reversed, dup, failed := e.msg("c", 1, false), e.msg("c", 2, false), e.msg("c", 3, false), e.msg("c", 4, false)
		all := []*message.Message{inOrder, reversed, dup, failed}
		e.openWindow(all...)
		e.send(all...)

		final := message.Read
		seq := []message.Status{message.Sent, message.Delivered, message.Read}
		if _, ok := e.k.words[message.Read]; !ok {
			final, seq = message.Delivered, seq[:2]
		}
		at := e.clock.Now()
		body := func(m *message.Message, s message.Status) string {
			return e.k.status(e.pmid(m), m.To, e.k.words[s], at)
		}
		for _, s := range seq {
			e.deliver(body(inOrder, s))
		}
		for i := len(seq) - 1; i >= 0; i-- {
			e.deliver(body(reversed, seq[i]))
		}
		d := body(dup, message.Delivered)
		e.deliver(d, d, d, body(dup, message.Sent), d)
		e.deliver(e.k.failed(e.pmid(failed), failed.To, at), body(failed, message.Delivered)) // a late receipt after the failure

		got := map[string]cbOutcome{}
		for _, m := range all {
			r := e.get(m)
			got[m.ID] = cbOutcome{r.Status, r.ErrorCode}
		}
		// A receipt refusing for the 24-hour window (470, 131047) ends the
		// message window_closed; any other, failed.
		failedAs := message.Failed
		if e.k.failedCode == "470" || e.k.failedCode == "131047" {
			failedAs = message.WindowClosed
		}
		want := map[string]cbOutcome{
			inOrder.ID: {final, ""}, reversed.ID: {final, ""}, dup.ID: {message.Delivered, ""},
			failed.ID: {failedAs, e.k.failedCode},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if r := e.get(failed); r.Error == "" {
			t.Error("the failed record carries no error text")
		}
		counts, err := e.st.CampaignCounts(context.Background(), "c")
		cbMust(t, err)
		wantCounts := store.Counts{message.Delivered: 1, failedAs: 1}
		wantCounts[final] += 2
		if diff := cmp.Diff(wantCounts, counts); diff != "" {
			t.Errorf("campaign counts (-want +got):\n%s", diff)
		}
	})
}

// A receipt that arrives before the send has recorded the provider's id
// is held (the webhook still answers 200), and applied once the id is
// recorded.
func TestCallbacksE2EReceiptBeforeTheIDIsRecorded(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKindsWith(func(k *cbKind) bool { return k.status != nil }), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		e.run()
		m := e.msg("c", 1, false)
		const pmid = "4815162342"
		_, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: "c", Account: e.k.name, To: m.To}})
		cbMust(t, err)
		ref := store.Ref{ID: m.ID, CampaignID: "c", Account: e.k.name}
		_, err = e.st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})
		cbMust(t, err)

		if code := e.post(e.k.status(pmid, m.To, e.k.words[message.Delivered], e.clock.Now()), &cbGood); code != http.StatusOK {
			t.Fatalf("early receipt answered %d, want 200", code)
		}
		// Held: due again later, no attempt burnt.
		sharedtest.WaitFor(t, func() *asynq.QueueInfo { q, _ := e.insp.GetQueueInfo(e.eventsQueue()); return q },
			func(q *asynq.QueueInfo) bool { return q != nil && q.Retry+q.Scheduled == 1 }, 20*time.Second,
			"the early receipt held")
		if r := e.get(m); r.Status != message.Sending {
			t.Fatalf("record %s while its receipt is held, want sending", r.Status)
		}
		_, err = e.st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: pmid})
		cbMust(t, err)
		e.drainEvents()
		if r := e.get(m); r.Status != message.Delivered {
			t.Errorf("record %s after the id was recorded, want delivered", r.Status)
		}
		q, err := e.insp.GetQueueInfo(e.eventsQueue())
		cbMust(t, err)
		if q.Archived != 0 {
			t.Errorf("events queue %+v: the held task was archived", q)
		}
	})
}

// STOP (and a keyword in the provider's market language) puts the contact
// on the suppression list: a campaign message to it ends opted_out with no
// request to the provider. START takes it off again.
func TestCallbacksE2EStopThenSend(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKindsWith(func(k *cbKind) bool { return k.inbound != nil }), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		e.run()
		stop, native, chatty := e.msg("c", 1, false), e.msg("c", 2, false), e.msg("c", 3, false)
		at := e.clock.Now().Add(-time.Minute)
		e.deliver(e.k.inbound(stop.To, "STOP", at), e.k.inbound(native.To, e.k.stopWord, at),
			e.k.inbound(chatty.To, "Please stop sending me offers", at))
		for _, c := range []struct {
			m    *message.Message
			want bool
		}{{stop, true}, {native, true}, {chatty, false}} {
			if got, err := e.st.OptedOut(ctx, e.k.name, c.m.To); err != nil || got != c.want {
				t.Errorf("OptedOut(%s) = %v, %v; want %v", c.m.To, got, err, c.want)
			}
		}

		e.send(stop, native, chatty)
		for m, want := range map[*message.Message]cbOutcome{
			stop: {message.OptedOut, "opted_out"}, native: {message.OptedOut, "opted_out"}, chatty: {message.Accepted, ""},
		} {
			if r := e.get(m); (cbOutcome{r.Status, r.ErrorCode}) != want {
				t.Errorf("%s: %s/%s, want %v", m.To, r.Status, r.ErrorCode, want)
			}
		}
		if s := e.sim.Stats(); s.Requests != 1 || e.sim.Accepted(stop.To) != 0 || e.sim.Accepted(native.To) != 0 {
			t.Errorf("provider saw %d requests (stop %d, native %d), want 1: only the contact that did not opt out",
				s.Requests, e.sim.Accepted(stop.To), e.sim.Accepted(native.To))
		}

		e.deliver(e.k.inbound(stop.To, "START", e.clock.Now()))
		if got, err := e.st.OptedOut(ctx, e.k.name, stop.To); err != nil || got {
			t.Fatalf("OptedOut after START = %v, %v; want false", got, err)
		}
		again := e.msg("c2", 1, false)
		e.send(again)
		if r := e.get(again); r.Status != message.Accepted || e.sim.Accepted(again.To) != 1 {
			t.Errorf("after START: %s/%s, provider accepted %d; want accepted once", r.Status, r.ErrorCode, e.sim.Accepted(again.To))
		}
	})
}

// An inbound message opens the 24-hour window: a free-form send inside it
// goes out; with the injected clock 24 h + 1 min later it ends
// window_closed without a request, while a template still goes out.
// Providers that push no inbound messages (DecisionTelecom) never open it.
func TestCallbacksE2EWindow(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKinds, func(t *testing.T, e *cbEnv) {
		// Each account keeps the window as its kind does by default.
		k, err := providers.LookupKind(e.k.name)
		cbMust(t, err)
		e.cfg.Windows = map[string]providers.WindowPolicy{e.k.name: k.DefaultWindow()}
		e.run()
		if e.k.inbound == nil {
			// wabulk can never see the window open: the free-form text is
			// sent and the provider decides (this one takes it).
			free := e.msg("c", 1, true)
			e.send(free)
			if r := e.get(free); !r.Status.ProviderTook() || e.sim.Accepted(free.To) != 1 {
				t.Errorf("free-form with no inbound possible: %s/%s %s, provider accepted %d; want sent once",
					r.Status, r.ErrorCode, r.Error, e.sim.Accepted(free.To))
			}
		} else {
			e.deliver(e.k.inbound(e.msg("c", 1, true).To, "Hi, is my order on its way?", e.clock.Now().Add(-time.Minute)))
			inside := e.msg("c", 1, true)
			e.send(inside)
			if r := e.get(inside); r.Status != message.Accepted || e.sim.Accepted(inside.To) != 1 {
				t.Fatalf("free-form inside the window: %s/%s %s, provider accepted %d; want accepted once",
					r.Status, r.ErrorCode, r.Error, e.sim.Accepted(inside.To))
			}
			e.clock.Advance(24*time.Hour + time.Minute)
			before := e.sim.Stats().Requests
			late := e.msg("c-late", 1, true)
			e.send(late)
			if r := e.get(late); r.Status != message.WindowClosed || e.sim.Stats().Requests != before {
				t.Errorf("free-form 24 h + 1 min later: %s/%s, %d new requests; want window_closed and none",
					r.Status, r.ErrorCode, e.sim.Stats().Requests-before)
			}
		}
		if !e.k.templates {
			return // Modica's gateway carries no templates
		}
		tmpl := e.msg("c-template", 1, false)
		e.send(tmpl)
		if r := e.get(tmpl); r.Status != message.Accepted || e.sim.Accepted(tmpl.To) == 0 {
			t.Errorf("template outside the window: %s/%s %s; want accepted", r.Status, r.ErrorCode, r.Error)
		}
	})
}

// A callback with a bad signature, a wrong secret or Basic password, or
// none, is answered 401; an unreadable one 400. Neither enqueues an events
// task nor changes a record, an opt-out or a window. A good one does, and
// its task applies.
func TestCallbacksE2ERefusedCallbacksChangeNothing(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKindsWith(func(k *cbKind) bool { return k.status != nil }), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		m := e.msg("c", 1, false)
		const pmid = "4815162342"
		_, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: "c", Account: e.k.name, To: m.To}})
		cbMust(t, err)
		ref := store.Ref{ID: m.ID, CampaignID: "c", Account: e.k.name}
		_, err = e.st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})
		cbMust(t, err)
		_, err = e.st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: pmid})
		cbMust(t, err)

		receipt := e.k.status(pmid, m.To, e.k.words[message.Delivered], e.clock.Now())
		bodies := []string{receipt}
		if e.k.inbound != nil {
			bodies = append(bodies, e.k.inbound(m.To, "STOP", e.clock.Now()))
		}
		for _, b := range bodies {
			if code := e.post(b, &cbWrong); code != http.StatusUnauthorized {
				t.Errorf("wrong credentials: %d, want 401", code)
			}
			if code := e.post(b, nil); code != http.StatusUnauthorized {
				t.Errorf("no credentials: %d, want 401", code)
			}
		}
		if code := e.post(e.k.garbage, &cbGood); code != http.StatusBadRequest {
			t.Errorf("unreadable body %q: %d, want 400", e.k.garbage, code)
		}
		if n := e.eventTasks(); n != 0 {
			t.Errorf("%d events tasks enqueued by refused callbacks, want none", n)
		}
		if r := e.get(m); r.Status != message.Accepted {
			t.Errorf("record %s after refused callbacks, want accepted", r.Status)
		}
		if out, _ := e.st.OptedOut(ctx, e.k.name, m.To); out {
			t.Error("a refused STOP opted the contact out")
		}
		if _, ok, _ := e.st.LastInbound(ctx, e.k.name, "", m.To); ok {
			t.Error("a refused inbound message opened the window")
		}

		// The same receipt, authenticated: one task, which the events
		// handler (run directly on the task the inspector shows) applies.
		if code := e.post(receipt, &cbGood); code != http.StatusOK {
			t.Fatalf("good callback: %d, want 200", code)
		}
		pending, err := e.insp.ListPendingTasks(e.eventsQueue())
		cbMust(t, err)
		if len(pending) != 1 {
			t.Fatalf("%d events tasks after a good callback, want 1", len(pending))
		}
		h := worker.NewEvents(e.cfg, e.st)
		cbMust(t, h.ProcessTask(ctx, asynq.NewTask(pending[0].Type, pending[0].Payload)))
		if r := e.get(m); r.Status != message.Delivered {
			t.Errorf("record %s after the good receipt, want delivered", r.Status)
		}
	})
}

// Meta's GET handshake answers the challenge for the right verify token
// and 403 otherwise; accounts of other kinds have no handshake.
func TestCallbacksE2EMetaHandshake(t *testing.T) {
	t.Parallel()
	e := newCBEnv(t, cbKinds[0])
	get := func(q url.Values) (int, string) {
		t.Helper()
		resp, err := http.Get(e.hooks.URL + "/webhooks/meta?" + q.Encode())
		cbMust(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name      string
		q         url.Values
		code      int
		challenge string
	}{
		{"subscribe", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {cbVerify}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1158201444"}}, 403, ""},
		{"not subscribe", url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {cbVerify}, "hub.challenge": {"1"}}, 403, ""},
		{"no challenge", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {cbVerify}}, 403, ""},
	} {
		code, body := get(c.q)
		if code != c.code || (c.code == 200 && body != c.challenge) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, body, c.code, c.challenge)
		}
	}
	if n := e.eventTasks(); n != 0 {
		t.Errorf("handshakes enqueued %d tasks", n)
	}

	tj := newCBEnv(t, cbKinds[1])
	resp, err := http.Get(tj.hooks.URL + "/webhooks/tujenge?" + url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"1"}}.Encode())
	cbMust(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("handshake on a Tujenge account: %d, want 403", resp.StatusCode)
	}
}

// Socnet documents no callbacks: its adapter reads none, so it can have
// no webhook endpoint; DecisionTelecom documents status callbacks only.
func TestCallbacksE2EProvidersWithoutCallbacks(t *testing.T) {
	t.Parallel()
	sn, err := socnet.New(socnet.Config{APIKey: cbSimKey})
	cbMust(t, err)
	if _, ok := any(sn).(providers.CallbackParser); ok {
		t.Error("the Socnet adapter reads callbacks; its document describes none")
	}
	dt, err := decisiontelecom.New(decisiontelecom.Config{APIKey: cbSimKey, Source: "wabulk"})
	cbMust(t, err)
	// An inbound message in the WhatsApp shape, posted to DecisionTelecom's
	// callback URL: nothing DecisionTelecom documents, so nothing to record.
	evs, err := dt.ParseCallback(nil, []byte(`{"messages":[{"from":"256701000001","id":"x","timestamp":"1772442000","type":"text","text":{"body":"STOP"}}]}`))
	if err != nil || len(evs) != 0 {
		t.Errorf("DecisionTelecom inbound-looking body: %v, %v; want no events", evs, err)
	}
}

// cbVariant is a callback written the way another reader of the document
// (or of WhatsApp's public examples) may write it, and what it must leave
// in the store.
type cbVariant struct {
	name string
	// body is the callback about provider message id pmid sent to contact
	// to (a receipt), or from contact to (an inbound message).
	body func(pmid, to string, at time.Time) string
	// code is the webhook's answer. Defaults to 200.
	code int
	// status is the record's status afterwards ("": not a receipt, the
	// record stays accepted).
	status message.Status
	// optOut: the contact wrote an opt-out keyword: opted out, window open.
	optOut bool
	// noWindow: nothing from the contact is recorded (no window, no opt-out).
	noWindow bool
}

var cbVariants = map[string][]cbVariant{
	"meta": {
		{name: "one webhook, three statuses, read first", status: message.Read, body: func(id, to string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"statuses":[{"id":"{{id}}","status":"read","timestamp":"{{ts}}","recipient_id":"{{to}}"},`+
				`{"id":"{{id}}","status":"delivered","timestamp":"{{ts}}","recipient_id":"{{to}}"},{"id":"{{id}}","status":"sent","timestamp":"{{ts}}","recipient_id":"{{to}}"}]`,
				"id", id, "to", cbDigits(to), "ts", cbUnix(at)))
		}},
		{name: "numeric timestamp", status: message.Delivered, body: func(id, to string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"statuses":[{"id":"{{id}}","status":"delivered","timestamp":{{ts}},"recipient_id":"{{to}}"}]`,
				"id", id, "to", cbDigits(to), "ts", cbUnix(at)))
		}},
		{name: "on-premises shape: statuses at the top level", status: message.Read, body: func(id, to string, at time.Time) string {
			return cbFill(`{"statuses":[{"id":"{{id}}","recipient_id":"{{to}}","status":"read","timestamp":"{{ts}}"}]}`, "id", id, "to", cbDigits(to), "ts", cbUnix(at))
		}},
		{name: "on-premises shape: messages at the top level", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"{{from}}"}],"messages":[{"from":"{{from}}","id":"ABGGFlA5FpafAgo6EhoL2ZR7Nr0y",`+
				`"timestamp":"{{ts}}","text":{"body":"STOP"},"type":"text"}]}`, "from", cbDigits(from), "ts", cbUnix(at))
		}},
		{name: "quick-reply button", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"{{from}}"}],"messages":[{"context":{"from":"`+cbBusiness+`","id":"wamid.ctx"},`+
				`"from":"{{from}}","id":"wamid.btn","timestamp":"{{ts}}","type":"button","button":{"text":"STOP","payload":"Stop promotions"}}]`, "from", cbDigits(from), "ts", cbUnix(at)))
		}},
		{name: "interactive button reply", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"messages":[{"from":"{{from}}","id":"wamid.ia","timestamp":"{{ts}}","type":"interactive",`+
				`"interactive":{"type":"button_reply","button_reply":{"id":"unsubscribe","title":"STOP"}}}]`, "from", cbDigits(from), "ts", cbUnix(at)))
		}},
		{name: "system message: the user changed number", noWindow: true, body: func(_, from string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"messages":[{"from":"{{from}}","id":"wamid.sys","timestamp":"{{ts}}","type":"system",`+
				`"system":{"body":"NAME changed from {{from}} to 256709999999","wa_id":"256709999999","type":"user_changed_number"}}]`, "from", cbDigits(from), "ts", cbUnix(at)))
		}},
		{name: "template status update", noWindow: true, body: func(string, string, time.Time) string {
			return `{"object":"whatsapp_business_account","entry":[{"id":"1","time":1739321024,"changes":[{"value":{"event":"APPROVED",` +
				`"message_template_id":594425479261596,"message_template_name":"order_update","message_template_language":"en","reason":"NONE"},"field":"message_template_status_update"}]}]}`
		}},
	},
	"tujenge": {
		{name: "several statuses in one body, read first", status: message.Read, body: func(id, to string, at time.Time) string {
			return cbFill(`{"statuses":[{"id":"{{id}}","recipient_id":"{{to}}","status":"read","timestamp":"{{ts}}"},`+
				`{"id":"{{id}}","recipient_id":"{{to}}","status":"sent","timestamp":"{{ts}}"},{"id":"{{id}}","recipient_id":"{{to}}","status":"delivered","timestamp":"{{ts}}"}]}`,
				"id", id, "to", cbDigits(to), "ts", cbUnix(at))
		}},
		{name: "Cloud API envelope (a gateway on the Cloud API): receipt", status: message.Delivered, body: func(id, to string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"statuses":[{"id":"{{id}}","status":"delivered","timestamp":"{{ts}}","recipient_id":"{{to}}"}]`,
				"id", id, "to", cbDigits(to), "ts", cbUnix(at)))
		}},
		{name: "Cloud API envelope: inbound", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(cbMetaEnvelope, "value", cbFill(`"contacts":[{"profile":{"name":"Amina"},"wa_id":"{{from}}"}],`+
				`"messages":[{"from":"{{from}}","id":"wamid.in","timestamp":"{{ts}}","text":{"body":"STOP"},"type":"text"}]`, "from", cbDigits(from), "ts", cbUnix(at)))
		}},
		{name: "quick-reply button", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"messages":[{"context":{"from":"`+cbBusiness+`","id":"gBGGFlB5"},"from":"{{from}}","id":"ABGGFl","timestamp":"{{ts}}","type":"button",`+
				`"button":{"text":"STOP","payload":"unsubscribe"}}]}`, "from", cbDigits(from), "ts", cbUnix(at))
		}},
		{name: "system message: the user changed number", noWindow: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"messages":[{"from":"{{from}}","id":"ABGGFsys","timestamp":"{{ts}}","type":"system",`+
				`"system":{"body":"User A changed from {{from}} to 256709999999","new_wa_id":"256709999999","type":"user_changed_number"}}]}`, "from", cbDigits(from), "ts", cbUnix(at))
		}},
	},
	"taqnyat": {
		{name: "the state's word in status, no state", status: message.Delivered, body: func(id, to string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","statuses":[{"status":"delivered","message_id":"{{id}}","recipient":"{{to}}","timestamp":"{{iso}}"}]}`,
				"id", id, "to", cbDigits(to), "iso", at.Format(time.RFC3339))
		}},
		{name: "numeric message id, recipient with +, offset timestamp", status: message.Read, body: func(id, to string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","statuses":[{"status":"success","state":"read","message_id":{{id}},"recipient":"{{to}}","timestamp":"{{iso}}"}]}`,
				"id", id, "to", to, "iso", at.In(time.FixedZone("AST", 3*3600)).Format("2006-01-02T15:04:05-0700"))
		}},
		{name: "a report and a message in one callback", status: message.Read, optOut: true, body: func(id, to string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","statuses":[{"status":"success","state":"read","message_id":"{{id}}","recipient":"{{to}}","timestamp":"{{iso}}"}],`+
				`"contacts":[{"profile":{"name":"Amina"},"wa_id":"{{to}}"}],"notifications":[{"from":"{{to}}","to":"taqnyatbot","message_id":"in-both",`+
				`"message":{"type":"text","text":"STOP"},"timestamp":"{{iso}}"}]}`, "id", id, "to", cbDigits(to), "iso", at.Format(time.RFC3339))
		}},
		{name: "a message without a type", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","notifications":[{"from":"{{from}}","to":"taqnyatbot","message_id":"in-1","message":{"text":"STOP"},"timestamp":"{{iso}}"}]}`,
				"from", cbDigits(from), "iso", at.Format(time.RFC3339))
		}},
		{name: "a message that is a bare string", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","notifications":[{"from":"{{from}}","to":"taqnyatbot","message_id":"in-2","message":"STOP","timestamp":"{{iso}}"}]}`,
				"from", cbDigits(from), "iso", at.Format(time.RFC3339))
		}},
		{name: "a message with body", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","notifications":[{"from":"{{from}}","to":"966112345678","message_id":"in-3","message":{"type":"text","body":"STOP"},"timestamp":"{{iso}}"}]}`,
				"from", cbDigits(from), "iso", at.Format(time.RFC3339))
		}},
		{name: "a message in the Cloud API's text shape", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"type":"whatsapp","notifications":[{"from":"{{from}}","to":"taqnyatbot","message_id":"in-4","message":{"type":"text","text":{"body":"STOP"}},"timestamp":"{{iso}}"}]}`,
				"from", cbDigits(from), "iso", at.Format(time.RFC3339))
		}},
	},
	"modica": {
		{name: "DLR id as a number", status: message.Delivered, body: func(id, _ string, _ time.Time) string {
			return cbFill(`{"id":{{id}},"status":"received","reference":"c:1"}`, "id", id)
		}},
		{name: "DLR status in capitals", status: message.Sent, body: func(id, _ string, _ time.Time) string {
			return cbFill(`{"id":"{{id}}","status":"SENT","reference":"c:1"}`, "id", id)
		}},
		{name: "MO content as plain text", optOut: true, body: func(_, from string, _ time.Time) string {
			return cbFill(`{"id":"mo-1","source":"{{from}}","Destination":"`+cbBusiness+`","content":"STOP"}`, "from", cbDigits(from))
		}},
		{name: "MO content with only a text member", optOut: true, body: func(_, from string, _ time.Time) string {
			return cbFill(`{"id":"mo-2","source":"{{from}}","destination":"`+cbBusiness+`","content":{"text":"STOP"}}`, "from", from)
		}},
		{name: "MO content as base64", optOut: true, body: func(_, from string, _ time.Time) string {
			return cbFill(`{"id":"mo-3","source":"{{from}}","Destination":"`+cbBusiness+`","encoding":"base64","content":"U1RPUA=="}`, "from", from)
		}},
		{name: "MO content as a whole Cloud API notification", optOut: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"id":"mo-4","source":"{{from}}","Destination":"`+cbBusiness+`","content":{"messaging_product":"whatsapp",`+
				`"contacts":[{"profile":{"name":"Aroha"},"wa_id":"{{digits}}"}],"messages":[{"from":"{{digits}}","id":"wamid.mo4","timestamp":"{{ts}}","type":"text","text":{"body":"STOP"}}]}}`,
				"from", from, "digits", cbDigits(from), "ts", cbUnix(at))
		}},
		{name: "MO content of WhatsApp statuses only", noWindow: true, body: func(_, from string, at time.Time) string {
			return cbFill(`{"id":"mo-5","source":"{{from}}","Destination":"`+cbBusiness+`","content":{"statuses":[{"id":"wamid.x","status":"read","timestamp":"{{ts}}","recipient_id":"{{digits}}"}]}}`,
				"from", from, "digits", cbDigits(from), "ts", cbUnix(at))
		}},
	},
	"decisiontelecom": {
		{name: "status as the document's word", status: message.Read, body: func(id, _ string, _ time.Time) string {
			return cbFill(`{"message_id":{{id}},"status":"seen"}`, "id", id)
		}},
		{name: "numbers as strings", status: message.Delivered, body: func(id, _ string, _ time.Time) string {
			return cbFill(`{"message_id":"{{id}}","status":"1"}`, "id", id)
		}},
		{name: "with the recipient", status: message.Sent, body: func(id, to string, _ time.Time) string {
			return cbFill(`{"message_id":{{id}},"status":0,"destination_addr":{{to}}}`, "id", id, "to", cbDigits(to))
		}},
		// The document prints its status object with a trailing comma; a
		// body copied from it is read.
		{name: "trailing comma, as the document prints it", status: message.Delivered, body: func(id, _ string, _ time.Time) string {
			return cbFill("{\n\"message_id\":{{id}},\n\"status\":1,\n}", "id", id)
		}},
	},
}

// Callbacks written as other readers of the documents write them: every
// variant is understood (or, where the adapter decides otherwise on
// purpose, refused whole), through the real endpoint and worker.
func TestCallbacksE2EReaderVariants(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbKindsWith(func(k *cbKind) bool { return len(cbVariants[k.name]) > 0 }), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		e.run()
		vs := cbVariants[e.k.name]
		type sent struct {
			m    *message.Message
			pmid string
		}
		var msgs []sent
		for i, v := range vs {
			m := e.msg("c", i+1, false)
			pmid := strconv.Itoa(7_000_000_000 + i + 1)
			_, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: "c", Account: e.k.name, To: m.To}})
			cbMust(t, err)
			ref := store.Ref{ID: m.ID, CampaignID: "c", Account: e.k.name}
			_, err = e.st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true})
			cbMust(t, err)
			_, err = e.st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: pmid})
			cbMust(t, err)
			msgs = append(msgs, sent{m, pmid})
			want := v.code
			if want == 0 {
				want = http.StatusOK
			}
			if code := e.post(v.body(pmid, m.To, e.clock.Now().Add(-time.Minute)), &cbGood); code != want {
				t.Errorf("%s: webhook answered %d, want %d", v.name, code, want)
			}
		}
		e.drainEvents()
		for i, v := range vs {
			m := msgs[i].m
			wantStatus := v.status
			if wantStatus == "" {
				wantStatus = message.Accepted
			}
			if r := e.get(m); r.Status != wantStatus {
				t.Errorf("%s: record %s, want %s", v.name, r.Status, wantStatus)
			}
			out, err := e.st.OptedOut(ctx, e.k.name, m.To)
			cbMust(t, err)
			_, wrote, err := e.st.LastInbound(ctx, e.k.name, "", m.To)
			cbMust(t, err)
			switch {
			case v.optOut && (!out || !wrote):
				t.Errorf("%s: opted out %v, window open %v; want both", v.name, out, wrote)
			case v.noWindow && (out || wrote):
				t.Errorf("%s: opted out %v, window open %v; want neither", v.name, out, wrote)
			}
		}
	})
}
