package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/ratelimit"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

const account = "tj"

// env is a real pipeline: Redis (real or miniredis), the Tujenge client
// and the simulator on loopback.
type env struct {
	t      *testing.T
	r      *storetest.Redis
	st     *store.Store
	sim    *simulator.Simulator
	provs  map[string]providers.Provider
	client *asynq.Client
	clock  *sharedtest.Clock
}

// waitTimeout guards every wait for the worker against a hang; it is not a
// timing assertion.
const waitTimeout = 30 * time.Second

func newEnv(t *testing.T, simCfg simulator.Config) *env {
	t.Helper()
	r := storetest.New(t)
	simCfg.APIKey = "secret-key-123"
	sim, err := simulator.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	tj, err := tujenge.New(tujenge.Config{BaseURL: base, APIKey: "secret-key-123", HTTP: providers.HTTPConfig{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(r.Client)
	return &env{t: t, r: r, st: store.New(r.Client, store.Config{Prefix: r.Prefix}), sim: sim,
		provs: map[string]providers.Provider{account: tj}, client: client, clock: sharedtest.NewClock(time.Now())}
}

func (e *env) config() worker.Config {
	return worker.Config{Prefix: e.r.Prefix, Concurrency: 10, DelayedTaskCheckInterval: 100 * time.Millisecond,
		RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second}
}

// msg makes a message; kind "template" or "text".
func (e *env) msg(kind string, n int) *message.Message {
	to := fmt.Sprintf("+2557120%05d", n)
	m := &message.Message{ID: message.CampaignMessageID("c", to), CampaignID: "c", Account: account, To: to,
		CreatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour)}
	if kind == "text" {
		m.Content.Text = &message.Text{Body: "hello"}
	} else {
		m.Content.Template = &message.Template{Name: "promo", Language: "en", Body: []string{"Amina"}}
	}
	return m
}

// enqueue creates the record and the task, as the producer does.
func (e *env) enqueue(ms ...*message.Message) {
	e.t.Helper()
	for _, m := range ms {
		if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
			e.t.Fatal(err)
		}
		task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(message.QueueName(e.r.Prefix, message.LaneNormal)), asynq.MaxRetry(message.TaskMaxRetry))
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.client.Enqueue(task); err != nil {
			e.t.Fatal(err)
		}
	}
}

// run starts a worker; the returned func stops it gracefully.
func (e *env) run(cfg worker.Config, lim worker.Limiter) func() {
	e.t.Helper()
	sender := worker.NewSender(cfg, e.st, e.provs, lim)
	srv := worker.NewServer(e.r.Client, cfg, sender)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			sharedtest.WaitOrTimeout(e.t, done, waitTimeout, "the worker to shut down")
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// waitOutcomes waits until want messages of campaign c have an outcome.
func (e *env) waitOutcomes(want int64) store.Counts {
	e.t.Helper()
	return e.waitCounts("c", func(c store.Counts) bool { return c.Outcomes() >= want })
}

// counts returns campaign id's counts.
func (e *env) counts(id string) store.Counts {
	e.t.Helper()
	c, err := e.st.CampaignCounts(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// waitCounts waits until cond holds for campaign id's counts.
func (e *env) waitCounts(id string, cond func(store.Counts) bool) store.Counts {
	e.t.Helper()
	return sharedtest.WaitFor(e.t, func() store.Counts { return e.counts(id) }, cond, waitTimeout, "counts of campaign %s", id)
}

func (e *env) record(m *message.Message) *store.Record {
	e.t.Helper()
	r, err := e.st.Get(context.Background(), m.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// waitOutcome waits until m's record is neither queued nor sending, and
// returns it.
func (e *env) waitOutcome(m *message.Message) *store.Record {
	e.t.Helper()
	return sharedtest.WaitFor(e.t, func() *store.Record { return e.record(m) }, func(r *store.Record) bool {
		return r.Status != message.Queued && r.Status != message.Sending
	}, waitTimeout, "an outcome for %s", m.To)
}

// Every path of the send pipeline through a real asynq server.
func TestPipelineOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Seed: 1})
	ctx := context.Background()
	type want struct {
		status   message.Status
		code     string
		attempts int
		reached  int // how many times the provider accepted it
	}
	cases := map[*message.Message]want{}
	add := func(m *message.Message, w want, script ...int) {
		if len(script) > 0 {
			e.sim.Script(m.To, script...)
		}
		cases[m] = w
	}
	add(e.msg("template", 1), want{message.Accepted, "", 1, 1})
	add(e.msg("template", 2), want{message.Accepted, "", 2, 1}, 408, 200)
	add(e.msg("template", 3), want{message.Accepted, "", 2, 1}, 429, 200)
	add(e.msg("template", 4), want{message.Accepted, "", 3, 1}, 503, 503, 200)
	add(e.msg("template", 5), want{message.Failed, "400", 1, 0}, 400)
	add(e.msg("template", 6), want{message.Failed, "2001", 1, 0}, 2001)
	add(e.msg("template", 11), want{message.Failed, "503", 4, 0}, 503, 503, 503, 503, 503, 503) // MaxAttempts 4
	inWindow := e.msg("text", 7)
	must(t, e.st.SetLastInbound(ctx, account, "", inWindow.To, e.clock.Now().Add(-time.Hour)))
	add(inWindow, want{message.Accepted, "", 1, 1})
	closedByProvider := e.msg("text", 8)
	must(t, e.st.SetLastInbound(ctx, account, "", closedByProvider.To, e.clock.Now().Add(-time.Hour)))
	add(closedByProvider, want{message.WindowClosed, "470", 1, 0}, 470)
	add(e.msg("text", 9), want{message.WindowClosed, "window", 0, 0}) // never wrote to us
	expired := e.msg("template", 10)
	expired.ExpiresAt = e.clock.Now().Add(-time.Minute)
	add(expired, want{message.Expired, "ttl", 0, 0})
	for m := range cases {
		e.enqueue(m)
	}
	cfg := e.config()
	cfg.MaxAttempts = 4
	e.run(cfg, nil)
	e.waitOutcomes(int64(len(cases)))
	for m, w := range cases {
		r := e.record(m)
		if r.Status != w.status || r.ErrorCode != w.code || r.Attempts != w.attempts || e.sim.Accepted(m.To) != w.reached {
			t.Errorf("%s: got status=%s code=%q attempts=%d reached=%d; want %+v (error: %s)",
				m.To, r.Status, r.ErrorCode, r.Attempts, e.sim.Accepted(m.To), w, r.Error)
		}
		if w.status == message.Accepted && r.ProviderMessageID == "" {
			t.Errorf("%s: accepted without a provider message id", m.To)
		}
	}
	// A provider's 470 closes the window for the next free-form message.
	if open, _ := e.st.WindowOpen(ctx, account, "", closedByProvider.To, e.clock.Now()); open {
		t.Error("window still open after the provider answered 470")
	}
	if d := e.sim.Stats().Duplicates; d != 0 {
		t.Errorf("provider saw %d duplicates", d)
	}
}

// A task whose payload is garbage is archived with the reason; one that
// names a record marks it invalid. Neither is retried.
func TestBadPayloadsAreArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	queue := message.QueueName(e.r.Prefix, message.LaneNormal)
	bad := e.msg("template", 20)
	if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: bad.ID, CampaignID: "c", Account: account, To: bad.To}}); err != nil {
		t.Fatal(err)
	}
	payloads := [][]byte{
		[]byte("not json"),
		[]byte(fmt.Sprintf(`{"v":1,"id":%q,"campaign_id":"c","account":"tj","to":%q,"content":{}}`, bad.ID, bad.To)),
	}
	for _, p := range payloads {
		if _, err := e.client.Enqueue(asynq.NewTask(message.TypeSend, p), asynq.Queue(queue), asynq.MaxRetry(message.TaskMaxRetry)); err != nil {
			t.Fatal(err)
		}
	}
	e.run(e.config(), nil)
	e.waitOutcomes(1)
	if r := e.record(bad); r.Status != message.Invalid || r.ErrorCode != "payload" {
		t.Errorf("record = %s/%s, want invalid/payload", r.Status, r.ErrorCode)
	}
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	archived := sharedtest.WaitFor(t, func() []*asynq.TaskInfo { a, _ := insp.ListArchivedTasks(queue); return a },
		func(a []*asynq.TaskInfo) bool { return len(a) == 2 }, waitTimeout, "2 archived tasks")
	for _, a := range archived {
		if a.LastErr == "" || a.Retried != 0 {
			t.Errorf("archived task %s: last error %q, retried %d", a.ID, a.LastErr, a.Retried)
		}
	}
}

// A worker stopped mid-campaign and a new one started: every message ends
// accepted exactly once.
func TestRestartMidCampaignSendsNothingTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Latency: 5 * time.Millisecond})
	const n = 300
	for i := range n {
		e.enqueue(e.msg("template", 100+i))
	}
	cfg := e.config()
	stop := e.run(cfg, nil)
	e.waitCounts("c", func(c store.Counts) bool { return c[message.Accepted] > n/4 })
	stop()
	mid, _ := e.st.CampaignCounts(context.Background(), "c")
	if mid.Outcomes() == n {
		t.Fatalf("the first worker finished everything (%v); the test needs it stopped mid-way", mid)
	}
	e.run(cfg, nil)
	c := e.waitOutcomes(n)
	if c[message.Accepted] != n {
		t.Errorf("counts = %v, want %d accepted", c, n)
	}
	if s := e.sim.Stats(); s.Duplicates != 0 || s.Accepted != n {
		t.Errorf("provider stats = %+v, want %d accepted, 0 duplicates", s, n)
	}
}

// Two runs of one task at once (asynq re-runs a task whose lease it thinks
// lost while the first run is alive): exactly one sends.
func TestConcurrentRunsOfOneTaskSendOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Latency: 300 * time.Millisecond})
	lim := ratelimit.NewLocal(map[string]ratelimit.Limits{account: {Rate: 10, Burst: 1, PairEvery: -1}}, nil)
	sender := worker.NewSender(e.config(), e.st, e.provs, lim)
	m := e.msg("template", 40)
	if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: m.ID, CampaignID: "c", Account: account, To: m.To}}); err != nil {
		t.Fatal(err)
	}
	task, _ := message.NewSendTask(m)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = sender.ProcessTask(context.Background(), task) }()
	}
	wg.Wait()
	if n := e.sim.Accepted(m.To); n != 1 {
		t.Fatalf("provider accepted the message %d times, want 1", n)
	}
	if r := e.record(m); r.Status != message.Accepted || r.Attempts != 1 {
		t.Errorf("record %s with %d attempts, want accepted after 1", r.Status, r.Attempts)
	}
}

// A shutdown that gives up on in-flight sends (ShutdownTimeout below the
// provider's latency): asynq re-queues those tasks, a second worker takes
// over, and still every message ends with one outcome and none is sent twice.
func TestShutdownAbortMidRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Latency: 700 * time.Millisecond})
	const n = 20
	for i := range n {
		e.enqueue(e.msg("template", 200+i))
	}
	cfg := e.config()
	cfg.ShutdownTimeout = 100 * time.Millisecond
	stop := e.run(cfg, nil)
	e.waitCounts("c", func(c store.Counts) bool { return c[message.Sending] > 0 })
	stop()
	e.run(e.config(), nil)
	c := e.waitOutcomes(n)
	if s := e.sim.Stats(); s.Duplicates != 0 {
		t.Fatalf("provider saw %d duplicates", s.Duplicates)
	}
	// Whatever the provider accepted is recorded as accepted (an ambiguous
	// verdict yields to the late answer); the rest ended with an outcome too.
	var took int64
	for s, v := range c {
		if s.ProviderTook() {
			took += v
		}
	}
	if s := e.sim.Stats(); took != s.Accepted {
		t.Errorf("records show %d taken by the provider, provider accepted %d (counts %v)", took, s.Accepted, c)
	}
}

// The guards, driven directly with an injected clock: no asynq server.
func TestGuardsAndRetryDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{RetryAfter: 7 * time.Second})
	cfg := e.config()
	cfg.Now = e.clock.Now
	cfg.MaxAttempts = 3
	cfg.RetryBase = time.Second
	sender := worker.NewSender(cfg, e.st, e.provs, nil)
	process := func(m *message.Message) error {
		t.Helper()
		task, err := message.NewSendTask(m)
		if err != nil {
			t.Fatal(err)
		}
		return sender.ProcessTask(ctx, task)
	}
	create := func(m *message.Message) {
		if _, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("retry-after is honoured; a 503 counts as an attempt, the provider's 429 does not", func(t *testing.T) {
		for i, c := range []struct {
			code    int
			failure bool
		}{{503, true}, {429, false}} {
			m := e.msg("template", 30+i*100)
			create(m)
			e.sim.Script(m.To, c.code)
			err := process(m)
			if err == nil || worker.IsFailure(err) != c.failure {
				t.Fatalf("%d: err = %v, want a retry with IsFailure=%v", c.code, err, c.failure)
			}
			if d := worker.RetryDelay(1, err, nil); d < 7*time.Second {
				t.Errorf("%d: retry delay %v, want at least the 7s Retry-After", c.code, d)
			}
			if r := e.record(m); r.Status != message.Queued || r.ErrorCode != fmt.Sprint(c.code) {
				t.Errorf("%d: record %s/%s, want queued with the last error", c.code, r.Status, r.ErrorCode)
			}
		}
	})
	t.Run("a retry past the TTL expires instead", func(t *testing.T) {
		m := e.msg("template", 31)
		m.ExpiresAt = e.clock.Now().Add(3 * time.Second)
		create(m)
		e.sim.Script(m.To, 503)
		e.sim.Script(m.To, 429) // Retry-After 7s > TTL
		if err := process(m); err != nil {
			// first answer 503: backoff ≤ 1s, inside the TTL
			if !worker.IsFailure(err) {
				t.Fatalf("503: %v", err)
			}
		}
		if err := process(m); err != nil {
			t.Fatalf("429 past the TTL: err = %v, want the outcome recorded", err)
		}
		if r := e.record(m); r.Status != message.Expired {
			t.Errorf("status %s, want expired", r.Status)
		}
	})
	t.Run("an accepted message is never sent again", func(t *testing.T) {
		m := e.msg("template", 32)
		create(m)
		must(t, process(m))
		must(t, process(m)) // asynq re-runs it (e.g. after a crash before the ack)
		if n := e.sim.Accepted(m.To); n != 1 {
			t.Errorf("provider accepted it %d times", n)
		}
	})
	t.Run("an interrupted attempt is not resent", func(t *testing.T) {
		m := e.msg("template", 33)
		create(m)
		// The worker that began this attempt was killed mid-request.
		if _, err := e.st.Transition(ctx, store.Ref{ID: m.ID, CampaignID: "c"}, message.Sending, store.Update{IncAttempts: true}); err != nil {
			t.Fatal(err)
		}
		must(t, process(m))
		r := e.record(m)
		if r.Status != message.Failed || r.ErrorCode != "ambiguous" || e.sim.Accepted(m.To) != 0 {
			t.Errorf("record %s/%s, reached %d; want failed/ambiguous and no request", r.Status, r.ErrorCode, e.sim.Accepted(m.To))
		}
	})
	t.Run("rate limit beyond the bound defers without burning an attempt", func(t *testing.T) {
		lim := ratelimit.NewLocal(map[string]ratelimit.Limits{account: {Rate: 0.1, Burst: 1, PairEvery: -1}}, e.clock.Now)
		s := worker.NewSender(cfg, e.st, e.provs, lim)
		a, b := e.msg("template", 34), e.msg("template", 35)
		create(a)
		create(b)
		for _, m := range []*message.Message{a, b} {
			task, _ := message.NewSendTask(m)
			err := s.ProcessTask(ctx, task)
			if m == a {
				must(t, err)
				continue
			}
			if err == nil || worker.IsFailure(err) {
				t.Fatalf("second send: err = %v, want a deferral", err)
			}
			if d := worker.RetryDelay(0, err, nil); d < 9*time.Second || d > 10*time.Second {
				t.Errorf("deferral %v, want the ~10s until the next slot", d)
			}
			if r := e.record(m); r.Status != message.Queued || r.Attempts != 0 {
				t.Errorf("deferred record %s with %d attempts, want queued with 0", r.Status, r.Attempts)
			}
		}
	})
	t.Run("account-level failures defer, they do not fail the message", func(t *testing.T) {
		m := e.msg("template", 36)
		create(m)
		e.sim.Script(m.To, 401)
		err := process(m)
		if err == nil || worker.IsFailure(err) {
			t.Fatalf("err = %v, want a deferral", err)
		}
		if r := e.record(m); r.Status != message.Queued {
			t.Errorf("status %s, want queued", r.Status)
		}
		var se *providers.SendError
		if !errors.As(err, &se) || se.Class != providers.Account {
			t.Errorf("err = %v, want it to wrap the account-level SendError", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
