package worker_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	_ "github.com/wabulk/wabulk/providers/decisiontelecom"
	_ "github.com/wabulk/wabulk/providers/meta"
	_ "github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/simulator"
	_ "github.com/wabulk/wabulk/providers/socnet"
	_ "github.com/wabulk/wabulk/providers/taqnyat"
	_ "github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

// windowKinds is, for every kind, the policy its accounts take by default
// (whether its document delivers inbound messages) and the code its window
// refusal leaves on the record (each simulator answers the kind's own).
var windowKinds = []struct {
	kind    string
	def     providers.WindowPolicy
	refusal string
}{
	{"tujenge", providers.WindowEnforce, "470"},
	{"taqnyat", providers.WindowEnforce, "131047"},
	{"modica", providers.WindowEnforce, "invalid_attrib"},
	{"meta", providers.WindowEnforce, "131047"},
	{"socnet", providers.WindowProvider, "1"},
	{"decisiontelecom", providers.WindowProvider, "7"},
}

// winEnv is one account of a kind, against that kind's simulator
// enforcing the 24-hour window, with the worker on real Redis.
type winEnv struct {
	t      *testing.T
	kind   *providers.Kind
	st     *store.Store
	sim    *simulator.Simulator
	client *asynq.Client
	prefix string
}

const winAccount = "acct"

// newWinEnv starts the simulator and a worker whose window policies come
// from the config as `wabulk worker` builds them (app.WorkerConfig): window
// "" is the kind's default.
func newWinEnv(t *testing.T, kind, window string) *winEnv {
	t.Helper()
	k, err := providers.LookupKind(kind)
	must(t, err)
	r := storetest.New(t)
	_, key := k.Simulated("http://127.0.0.1")
	sim, err := simulator.New(simulator.Config{Kind: kind, APIKey: key, Window: true, Seed: 1})
	must(t, err)
	base, err := sim.Start("127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	acct, _ := k.Simulated(base)
	acct.Name = winAccount
	prov, err := k.New(acct)
	must(t, err)

	cfg := &config.Config{Providers: []config.ProviderConfig{{Name: winAccount, Kind: kind, Window: window}}}
	cfg.Redis.Prefix = r.Prefix
	wc := app.WorkerConfig(cfg, nil)
	wc.Concurrency, wc.TaskCheckInterval, wc.DelayedTaskCheckInterval = 4, 5*time.Millisecond, 20*time.Millisecond
	wc.RetryBase, wc.RetryMax, wc.ShutdownTimeout = 10*time.Millisecond, 50*time.Millisecond, 5*time.Second
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	srv := worker.NewServer(r.Client, wc, worker.NewSender(wc, st, map[string]providers.Provider{winAccount: prov}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		sharedtest.WaitOrTimeout(t, done, waitTimeout, "the worker to shut down")
	})
	return &winEnv{t: t, kind: k, st: st, sim: sim, client: asynq.NewClientFromRedisClient(r.Client), prefix: r.Prefix}
}

// text is campaign's free-form message to the n-th contact (a Ugandan
// number, which every kind reaches), with the fallback template when
// fallback is set.
func (e *winEnv) text(campaign string, n int, fallback bool) *message.Message {
	to := fmt.Sprintf("+2567020%05d", n)
	now := time.Now()
	m := &message.Message{ID: message.CampaignMessageID(campaign, to), CampaignID: campaign, Account: winAccount, To: to,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), Content: message.Content{Text: &message.Text{Body: "Your order has shipped"}}}
	if fallback {
		m.Fallback = &message.Template{Name: "order_update", Language: "en", Body: []string{"1234"}}
	}
	return m
}

// send queues ms as the producer does and waits for each one's outcome.
func (e *winEnv) send(ms ...*message.Message) {
	e.t.Helper()
	ctx := context.Background()
	for _, m := range ms {
		_, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}})
		must(e.t, err)
		task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(message.QueueName(e.prefix, message.LaneNormal)), asynq.MaxRetry(message.TaskMaxRetry))
		must(e.t, err)
		_, err = e.client.Enqueue(task)
		must(e.t, err)
	}
	for _, m := range ms {
		sharedtest.Eventually(e.t, func() bool { return e.get(m).Status.Outcome() }, waitTimeout, "an outcome for %s", m.ID)
	}
}

func (e *winEnv) get(m *message.Message) *store.Record {
	e.t.Helper()
	r, err := e.st.Get(context.Background(), m.ID)
	must(e.t, err)
	return r
}

// Every kind under both window policies, its default taken from the kind
// as `wabulk worker` takes it. Four contacts, each sent free-form text:
// one who never wrote, one who wrote where only the provider saw it, one
// who wrote where both saw it, one wabulk believes wrote (a window the
// provider says is closed); and, where the kind carries templates, one
// with the campaign's fallback template. Then a second free-form message
// goes to the two the provider refused: it is never sent.
func TestWindowPolicyForEveryKind(t *testing.T) {
	t.Parallel()
	for _, wk := range windowKinds {
		for _, policy := range []providers.WindowPolicy{providers.WindowEnforce, providers.WindowProvider} {
			window, name := string(policy), string(policy)
			if policy == wk.def {
				window, name = "", name+"(default)" // the kind's default, from the config
			}
			t.Run(wk.kind+"/"+name, func(t *testing.T) {
				t.Parallel()
				testWindowPolicy(t, newWinEnv(t, wk.kind, window), policy, wk.refusal)
			})
		}
	}
}

func testWindowPolicy(t *testing.T, e *winEnv, policy providers.WindowPolicy, refusal string) {
	ctx := context.Background()
	enforce := policy == providers.WindowEnforce
	sc, ok := simulator.ScenarioFor(e.kind.Name)
	if !ok || sc.Window == 0 {
		t.Fatalf("the %s simulator has no window refusal", e.kind.Name)
	}
	refusals := func() int64 { return e.sim.Stats().ByCode[strconv.Itoa(sc.Window)] }

	never := e.text("w1", 1, false)
	providerSaw := e.text("w1", 2, false)
	bothSaw := e.text("w1", 3, false)
	wabulkSaw := e.text("w1", 4, false) // the provider refuses it
	e.sim.MarkInbound(providerSaw.To, time.Now().Add(-time.Hour))
	e.sim.MarkInbound(bothSaw.To, time.Now().Add(-time.Hour))
	must(t, e.st.SetLastInbound(ctx, winAccount, "", bothSaw.To, time.Now().Add(-time.Hour)))
	must(t, e.st.SetLastInbound(ctx, winAccount, "", wabulkSaw.To, time.Now().Add(-time.Hour)))
	ms := []*message.Message{never, providerSaw, bothSaw, wabulkSaw}
	var fallback *message.Message
	if !e.kind.TextOnly {
		fallback = e.text("w1", 5, true)
		ms = append(ms, fallback)
	}
	e.send(ms...)

	type outcome struct {
		Status   message.Status
		Code     string
		Fallback bool
	}
	took := func(m *message.Message) outcome {
		// Socnet's answer may already say sent: any status the provider
		// took counts as taken.
		r := e.get(m)
		st := r.Status
		if st.ProviderTook() {
			st = message.Accepted
		}
		return outcome{st, r.ErrorCode, r.Fallback}
	}
	closedHere := outcome{message.WindowClosed, "window", false}
	refused := outcome{message.WindowClosed, refusal, false}
	accepted := outcome{message.Accepted, "", false}
	want := map[string]outcome{
		"never wrote":         refused,
		"wrote, provider saw": accepted,
		"wrote, both saw":     accepted,
		"provider refuses":    refused,
	}
	// Under provider every free-form message is sent and two are refused;
	// under enforce only the two wabulk saw a window for, one refused.
	wantRequests, wantRefusals := int64(4), int64(2)
	if enforce {
		want["never wrote"], want["wrote, provider saw"] = closedHere, closedHere
		wantRequests, wantRefusals = 2, 1
	}
	got := map[string]outcome{"never wrote": took(never), "wrote, provider saw": took(providerSaw),
		"wrote, both saw": took(bothSaw), "provider refuses": took(wabulkSaw)}
	if fallback != nil {
		// The fallback template goes instead: at once under enforce, after
		// the provider refused the free-form text under provider.
		want["fallback"] = outcome{message.Accepted, "", true}
		got["fallback"] = took(fallback)
		if enforce {
			wantRequests++
		} else {
			wantRequests, wantRefusals = wantRequests+2, wantRefusals+1
		}
	}
	for name, w := range want {
		if g := got[name]; g != w {
			r := e.get(map[string]*message.Message{"never wrote": never, "wrote, provider saw": providerSaw,
				"wrote, both saw": bothSaw, "provider refuses": wabulkSaw, "fallback": fallback}[name])
			t.Errorf("%s: %+v (%s), want %+v", name, g, r.Error, w)
		}
	}
	stats := e.sim.Stats()
	if stats.Requests != wantRequests || refusals() != wantRefusals {
		t.Errorf("simulator saw %d requests, %d window refusals (%v); want %d and %d", stats.Requests, refusals(), stats.ByCode, wantRequests, wantRefusals)
	}

	// The provider refused these two for the window: wabulk recorded it
	// closed, so the next free-form message to them is not sent.
	again := []*message.Message{e.text("w2", 4, false)}
	if !enforce {
		again = append(again, e.text("w2", 1, false))
	}
	before := e.sim.Stats().Requests
	e.send(again...)
	for _, m := range again {
		if r := e.get(m); r.Status != message.WindowClosed || r.ErrorCode != "window" {
			t.Errorf("%s again: %s/%s %s; want window_closed without a request", m.To, r.Status, r.ErrorCode, r.Error)
		}
	}
	if n := e.sim.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests for free-form messages to contacts whose window the provider closed, want none", n)
	}

	// The contact writes (an inbound message wabulk receives): the window
	// reopens under either policy.
	must(t, e.st.SetLastInbound(ctx, winAccount, "", wabulkSaw.To, time.Now()))
	e.sim.MarkInbound(wabulkSaw.To, time.Now())
	reopened := e.text("w3", 4, false)
	e.send(reopened)
	if r := e.get(reopened); !r.Status.ProviderTook() {
		t.Errorf("after the contact wrote: %s/%s %s; want the provider to take it", r.Status, r.ErrorCode, r.Error)
	}
}

// Taqnyat's synchronous 131047 and Modica's invalid_attrib "more than 24
// hours" end window_closed with their code (not failed), and close the
// contact's window: the next free-form message to the contact is not
// sent, not even a request.
func TestProviderWindowRefusalClosesTheWindow(t *testing.T) {
	t.Parallel()
	for kind, code := range map[string]string{"taqnyat": "131047", "modica": "invalid_attrib"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newWinEnv(t, kind, "") // the kind's default: enforce
			first := e.text("r1", 1, false)
			// wabulk saw the contact write; the provider did not.
			must(t, e.st.SetLastInbound(ctx, winAccount, "", first.To, time.Now().Add(-time.Hour)))
			e.send(first)
			if r := e.get(first); r.Status != message.WindowClosed || r.ErrorCode != code {
				t.Errorf("refused: %s/%s %s; want window_closed/%s", r.Status, r.ErrorCode, r.Error, code)
			}
			if open, err := e.st.WindowOpen(ctx, winAccount, "", first.To, time.Now()); err != nil || open {
				t.Errorf("window open %v, %v after the provider's refusal; want closed", open, err)
			}
			next := e.text("r2", 1, false)
			e.send(next)
			if r := e.get(next); r.Status != message.WindowClosed || r.ErrorCode != "window" {
				t.Errorf("next free-form: %s/%s %s; want window_closed without a request", r.Status, r.ErrorCode, r.Error)
			}
			if n := e.sim.Stats().Requests; n != 1 {
				t.Errorf("the simulator saw %d requests, want 1: the refused one only", n)
			}
		})
	}
}
