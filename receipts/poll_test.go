package receipts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

const dtKey = "dt7f3a9c2e8b1d4f6a0c5e7b9d2f4a6c8e" // the simulator's User Hash Key

// env is one Redis (real or miniredis) with a store and an asynq client,
// and a clock every part shares: store, poller and simulators.
type env struct {
	t      *testing.T
	r      *storetest.Redis
	st     *store.Store
	client *asynq.Client
	clock  *sharedtest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	r := storetest.New(t)
	c := sharedtest.NewClock(t0)
	return &env{t: t, r: r, st: store.New(r.Client, store.Config{Prefix: r.Prefix, Now: c.Now}),
		client: asynq.NewClientFromRedisClient(r.Client), clock: c}
}

// dt is a DecisionTelecom simulator on the env's clock, the real adapter
// pointed at it, and a count of the status requests it served.
type dt struct {
	sim    *simulator.Simulator
	client *decisiontelecom.Client
	base   string
	polls  atomic.Int64 // receive-whatsapp requests served
}

// statuses are the simulator's timeline for every message (sent,
// delivered, read, failed); delay is the mean time to each.
func (e *env) dt(delay time.Duration, statuses ...string) *dt {
	e.t.Helper()
	sim, err := simulator.New(simulator.Config{Kind: "decisiontelecom", APIKey: dtKey, Now: e.clock.Now,
		Statuses: statuses, ReceiptDelay: delay, Seed: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	d := &dt{sim: sim}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/receive-whatsapp") {
			d.polls.Add(1)
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	e.t.Cleanup(func() { srv.Close(); _ = sim.Close() })
	d.base = srv.URL + "/v1/api"
	d.client = dtClient(e.t, d.base, dtKey)
	return d
}

func dtClient(t *testing.T, base, key string) *decisiontelecom.Client {
	t.Helper()
	c, err := decisiontelecom.New(decisiontelecom.Config{BaseURL: base, APIKey: key, Source: "wabulk"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// send has the provider accept n messages and schedules their polls as
// the worker does (first due 10s later); it returns their provider ids.
func (e *env) send(account string, d *dt, n int) []string {
	e.t.Helper()
	var ids []string
	for i := range n {
		m := &message.Message{ID: fmt.Sprintf("%s-%d", account, i), Account: account, To: fmt.Sprintf("+3806312%05d", i),
			Content: message.Content{Template: &message.Template{Name: "promo", Language: "en"}}}
		r, err := d.client.Send(context.Background(), m)
		if err != nil {
			e.t.Fatal(err)
		}
		must(e.t, e.st.SchedulePoll(context.Background(), account, r.ProviderMessageID, e.clock.Now().Add(10*time.Second)))
		ids = append(ids, r.ProviderMessageID)
	}
	return ids
}

func (e *env) poller(cfg receipts.PollerConfig) *receipts.Poller {
	e.t.Helper()
	cfg.Prefix = e.r.Prefix
	cfg.Now = e.clock.Now
	p, err := receipts.NewPoller(e.st, e.client, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// pollDue runs one round at the current clock.
func pollDue(t *testing.T, p *receipts.Poller) int {
	t.Helper()
	n, err := p.PollDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// eventTasks returns the events tasks waiting in the events queue, in order.
func (e *env) eventTasks() []receipts.Batch {
	e.t.Helper()
	return queued(e.t, e.r)
}

func (e *env) pending(account string) int64 {
	e.t.Helper()
	n, err := e.st.PendingPolls(context.Background(), account)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// statusEvent is what a poll of id hands on.
func statusEvent(id string, s message.Status, word string) providers.Event {
	ev := providers.Event{Kind: providers.EventStatus, ProviderMessageID: id, Status: s, ProviderStatus: word}
	if s == message.Failed {
		ev.ErrorCode = word
	}
	return ev
}

// The whole path: the worker sends through DecisionTelecom and schedules
// the poll; the poller asks receive-whatsapp and enqueues the answer as an
// events task; the worker's event processor applies it to the record.
func TestPolledReceiptReachesTheRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	d := e.dt(time.Nanosecond) // sent, delivered, read: all but at once
	wcfg := worker.Config{Prefix: e.r.Prefix, Now: e.clock.Now}
	sender := worker.NewSender(wcfg, e.st, map[string]providers.Provider{"dt": d.client}, nil)
	m := &message.Message{ID: "c:+380631234567", CampaignID: "c", Account: "dt", To: "+380631234567",
		Content: message.Content{Template: &message.Template{Name: "promo", Language: "uk"}}}
	if _, err := e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: "c", Account: "dt", To: m.To}}); err != nil {
		t.Fatal(err)
	}
	task, err := message.NewSendTask(m)
	must(t, err)
	must(t, sender.ProcessTask(ctx, task))
	rec, err := e.st.Get(ctx, m.ID)
	must(t, err)
	if rec.Status != message.Accepted || rec.ProviderMessageID == "" || e.pending("dt") != 1 {
		t.Fatalf("after the send: %s %q, %d polls pending; want accepted, one poll", rec.Status, rec.ProviderMessageID, e.pending("dt"))
	}

	p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}})
	if n := pollDue(t, p); n != 0 || d.polls.Load() != 0 {
		t.Fatalf("before the first poll is due: claimed %d, %d polls", n, d.polls.Load())
	}
	e.clock.Advance(10 * time.Second) // worker.Config.PollFirstAfter's default
	if n := pollDue(t, p); n != 1 || d.polls.Load() != 1 {
		t.Fatalf("at the first due time: claimed %d, %d polls; want 1, 1", n, d.polls.Load())
	}
	batches := e.eventTasks()
	want := []receipts.Batch{{Account: "dt", Received: e.clock.Now(),
		Events: []providers.Event{statusEvent(rec.ProviderMessageID, message.Read, "seen")}}}
	if diff := cmp.Diff(want, batches); diff != "" {
		t.Fatalf("events tasks (-want +got):\n%s", diff)
	}
	if n := e.pending("dt"); n != 0 {
		t.Errorf("read is final: %d polls still pending", n)
	}

	task, err = receipts.NewTask(batches[0])
	must(t, err)
	must(t, worker.NewEvents(wcfg, e.st).ProcessTask(ctx, task))
	if rec, err := e.st.Get(ctx, m.ID); err != nil || rec.Status != message.Read {
		t.Errorf("after the events task: %v %v, want read", rec.Status, err)
	}
}

// Read and failed are final: those ids are not polled again. Sent and
// delivered are polled on, and a status handed on once is not handed on
// again.
func TestFinalStatusesStopPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sims := map[string]*dt{
		"dt-read":   e.dt(time.Nanosecond, "sent", "delivered", "read"),
		"dt-failed": e.dt(time.Nanosecond, "sent", "failed"),
		"dt-sent":   e.dt(time.Nanosecond, "sent"),
	}
	accounts := map[string]providers.StatusPoller{}
	ids := map[string]string{}
	for name, d := range sims {
		accounts[name] = d.client
		ids[name] = e.send(name, d, 1)[0]
	}
	p := e.poller(receipts.PollerConfig{Accounts: accounts})
	e.clock.Advance(10 * time.Second)
	if n := pollDue(t, p); n != 3 {
		t.Fatalf("claimed %d, want one per account", n)
	}
	got := map[string][]providers.Event{}
	for _, b := range e.eventTasks() {
		got[b.Account] = append(got[b.Account], b.Events...)
	}
	want := map[string][]providers.Event{
		"dt-read":   {statusEvent(ids["dt-read"], message.Read, "seen")},
		"dt-failed": {statusEvent(ids["dt-failed"], message.Failed, "failed")},
		"dt-sent":   {statusEvent(ids["dt-sent"], message.Sent, "sent")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("handed on (-want +got):\n%s", diff)
	}
	// A day of ticks: only the message still at "sent" is polled, and it
	// says nothing new.
	for range 24 * 60 {
		e.clock.Advance(time.Minute)
		pollDue(t, p)
	}
	if r, f := sims["dt-read"].polls.Load(), sims["dt-failed"].polls.Load(); r != 1 || f != 1 {
		t.Errorf("polls after read: %d, after failed: %d; want 1 each", r, f)
	}
	if n := sims["dt-sent"].polls.Load(); n < 10 {
		t.Errorf("a message at sent was polled %d times in a day, want it polled on", n)
	}
	if n := len(e.eventTasks()); n != 3 {
		t.Errorf("%d events tasks, want the 3 of the first round (a repeated status is not handed on)", n)
	}
	if e.pending("dt-read")+e.pending("dt-failed") != 0 {
		t.Error("final ids still scheduled")
	}
}

// The rate holds for the account across pods: with a fixed clock, a round
// polls a second's worth, and another pod's round at the same instant
// polls nothing.
func TestPollRateIsBoundedAcrossPods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Hour) // messages stay pending: every poll answers accepted
	e.send("dt", d, 30)
	cfg := receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}, Rate: 4, Batch: 50}
	pods := []*receipts.Poller{e.poller(cfg), e.poller(cfg)}
	e.clock.Advance(10 * time.Second)

	served := func() int64 { return d.polls.Swap(0) }
	rounds := func() int {
		var wg sync.WaitGroup
		var n atomic.Int64
		for _, p := range pods {
			wg.Go(func() {
				c, err := p.PollDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				n.Add(int64(c))
			})
		}
		wg.Wait()
		return int(n.Load())
	}
	if n := pollDue(t, pods[0]); n != 4 || served() != 4 {
		t.Fatalf("first round: claimed %d, want a second's worth (4), all polled", n)
	}
	if n := pollDue(t, pods[1]); n != 0 || served() != 0 {
		t.Errorf("another pod at the same instant: claimed %d", n)
	}
	if n := rounds(); n != 0 || served() != 0 {
		t.Errorf("both pods at the same instant: claimed %d", n)
	}
	for i := range 5 {
		e.clock.Advance(time.Second)
		if n := rounds(); n != 4 || served() != 4 {
			t.Errorf("second %d, both pods: claimed %d, want 4 between them", i+1, n)
		}
		if n := rounds(); n != 0 || served() != 0 {
			t.Errorf("second %d, again: claimed %d, want 0", i+1, n)
		}
	}
	if n := len(e.eventTasks()); n != 0 {
		t.Errorf("%d events tasks; a pending (accepted) message hands nothing on", n)
	}
}

// Polls go by age (Intervals), the last at MaxAge; a message first
// scheduled longer ago than MaxAge is dropped unpolled, with a debug line.
func TestPollScheduleAndMaxAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Nanosecond, "sent") // never final
	e.send("dt", d, 1)
	core, logs := observer.New(zapcore.DebugLevel)
	p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client},
		Intervals: []time.Duration{10 * time.Second, 30 * time.Second}, MaxAge: 2 * time.Minute, Logger: zap.New(core)})
	var at []time.Duration
	for s := range 300 {
		e.clock.Set(t0.Add(time.Duration(s) * time.Second))
		before := d.polls.Load()
		pollDue(t, p)
		if d.polls.Load() != before {
			at = append(at, time.Duration(s)*time.Second)
		}
	}
	want := []time.Duration{10 * time.Second, 40 * time.Second, 70 * time.Second, 100 * time.Second, 120 * time.Second}
	if diff := cmp.Diff(want, at); diff != "" {
		t.Errorf("polled at (-want +got):\n%s", diff)
	}
	if n := e.pending("dt"); n != 0 {
		t.Errorf("%d polls pending after MaxAge", n)
	}
	if n := logs.FilterMessageSnippet("maximum age").Len(); n != 1 {
		t.Errorf("%d debug lines about the maximum age, want 1", n)
	}

	// Claimed only after MaxAge (the pollers were down): dropped unpolled.
	old := e.send("dt", d, 1)[0]
	e.clock.Advance(3 * time.Minute)
	before := d.polls.Load()
	if n := pollDue(t, p); n != 1 || d.polls.Load() != before || e.pending("dt") != 0 {
		t.Errorf("past MaxAge: claimed %d, polled %d, %d pending; want claimed, not polled, done",
			n, d.polls.Load()-before, e.pending("dt"))
	}
	if n := logs.FilterMessageSnippet("maximum age").FilterField(zap.String("provider_message_id", old)).Len(); n != 1 {
		t.Errorf("%d debug lines about the maximum age for %s, want 1", n, old)
	}
}

// An id DecisionTelecom does not know is a permanent failure: polled once,
// then dropped with a warning.
func TestUnknownIDIsDroppedWithAWarning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Hour)
	must(t, e.st.SchedulePoll(context.Background(), "dt", "42", t0))
	core, logs := observer.New(zapcore.WarnLevel)
	p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}, Logger: zap.New(core)})
	if n := pollDue(t, p); n != 1 || d.polls.Load() != 1 || e.pending("dt") != 0 {
		t.Errorf("claimed %d, polled %d, %d pending; want 1, 1, 0", n, d.polls.Load(), e.pending("dt"))
	}
	if n := logs.FilterMessageSnippet("refuses").Len(); n != 1 {
		t.Errorf("%d warnings, want 1: %v", n, logs.All())
	}
}

// A refused credential is the account's problem, not the messages': one
// warning, the round's other ids are not asked, and everything is polled
// again after the longest interval. The key never reaches the log.
func TestAccountFailureBacksOffAndWarnsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Hour)
	e.send("dt", d, 3)
	core, logs := observer.New(zapcore.InfoLevel)
	bad := dtClient(t, d.base, "not-the-key-0123456789")
	p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": bad}, Parallel: 1,
		Intervals: []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}, Logger: zap.New(core)})
	e.clock.Advance(10 * time.Second)
	if n := pollDue(t, p); n != 3 || d.polls.Load() != 1 {
		t.Fatalf("claimed %d, polled %d; want 3 claimed, 1 polled", n, d.polls.Load())
	}
	e.clock.Advance(5*time.Minute - time.Second)
	if n := pollDue(t, p); n != 0 {
		t.Errorf("before the longest interval: claimed %d", n)
	}
	e.clock.Advance(time.Second)
	if n := pollDue(t, p); n != 3 || d.polls.Load() != 2 {
		t.Errorf("after the longest interval: claimed %d, polled %d in all; want 3, 2", n, d.polls.Load())
	}
	if n := logs.FilterMessageSnippet("whole account").Len(); n != 1 {
		t.Errorf("%d account warnings, want 1", n)
	}
	for _, l := range logs.All() {
		if b, _ := json.Marshal(l.ContextMap()); strings.Contains(l.Message+string(b), "not-the-key") {
			t.Errorf("a log line carries the key: %s %s", l.Message, b)
		}
	}

	// The right key again: polled as usual.
	good := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}})
	e.clock.Advance(5 * time.Minute)
	if n := pollDue(t, good); n != 3 {
		t.Errorf("with the right key: claimed %d, want 3", n)
	}
}

// fake answers every poll with err (and counts them).
type fake struct {
	err   error
	polls atomic.Int64
}

func (f *fake) PollStatus(_ context.Context, id string) (providers.Event, error) {
	f.polls.Add(1)
	return providers.Event{}, f.err
}

// A transient failure is polled again on the schedule, or after
// Retry-After when that is longer; a throttle stops the round.
func TestTransientFailuresAreRetriedLater(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     *providers.SendError
		polled  int64
		againIn time.Duration
	}{
		{"outage", &providers.SendError{Class: providers.Transient, HTTPStatus: 503}, 3, 30 * time.Second},
		{"retry-after", &providers.SendError{Class: providers.Transient, HTTPStatus: 503, RetryAfter: 2 * time.Minute}, 3, 2 * time.Minute},
		{"throttled", &providers.SendError{Class: providers.Transient, Reason: providers.ReasonThrottled, HTTPStatus: 429}, 1, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for i := range 3 {
				must(t, e.st.SchedulePoll(context.Background(), "dt", fmt.Sprint(554+i), t0.Add(10*time.Second)))
			}
			f := &fake{err: tc.err}
			p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": f}, Parallel: 1,
				Intervals: []time.Duration{10 * time.Second, 30 * time.Second}})
			e.clock.Advance(10 * time.Second)
			if n := pollDue(t, p); n != 3 || f.polls.Load() != tc.polled {
				t.Fatalf("claimed %d, polled %d; want 3, %d", n, f.polls.Load(), tc.polled)
			}
			e.clock.Advance(tc.againIn - time.Second)
			if n := pollDue(t, p); n != 0 {
				t.Errorf("before %v: claimed %d", tc.againIn, n)
			}
			e.clock.Advance(time.Second)
			if n := pollDue(t, p); n != 3 {
				t.Errorf("after %v: claimed %d, want 3", tc.againIn, n)
			}
			if n := e.pending("dt"); n != 3 {
				t.Errorf("%d pending, want all 3 (a transient failure ends nothing)", n)
			}
		})
	}
}

// When the events cannot be handed on (Redis refuses the write), nothing
// is settled as final: the ids are polled again after the first interval.
func TestUnhandedStatusesArePolledAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Nanosecond) // read at once
	e.send("dt", d, 2)
	broken := redis.NewClient(e.r.Opt)
	must(t, broken.Close())
	p, err := receipts.NewPoller(e.st, asynq.NewClientFromRedisClient(broken), receipts.PollerConfig{
		Accounts: map[string]providers.StatusPoller{"dt": d.client}, Prefix: e.r.Prefix, Now: e.clock.Now})
	must(t, err)
	e.clock.Advance(10 * time.Second)
	if n, err := p.PollDue(context.Background()); n != 2 || err == nil {
		t.Fatalf("PollDue = %d, %v; want 2 claimed and the enqueue's error", n, err)
	}
	if n := e.pending("dt"); n != 2 {
		t.Fatalf("%d pending, want both still scheduled", n)
	}
	good := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}})
	e.clock.Advance(9 * time.Second)
	if n := pollDue(t, good); n != 0 {
		t.Errorf("before the first interval: claimed %d", n)
	}
	e.clock.Advance(time.Second)
	if n := pollDue(t, good); n != 2 || e.pending("dt") != 0 || len(e.eventTasks()) != 1 {
		t.Errorf("after the first interval: claimed %d, %d pending, %d events tasks; want 2, 0, 1", n, e.pending("dt"), len(e.eventTasks()))
	}
}

// Run polls on its ticks until its context ends.
func TestRunPollsUntilCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := e.dt(time.Nanosecond)
	e.send("dt", d, 3)
	e.clock.Advance(10 * time.Second)
	p := e.poller(receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": d.client}, Tick: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	sharedtest.WaitFor(t, func() int64 { return e.pending("dt") }, func(n int64) bool { return n == 0 }, 30*time.Second,
		"Run to poll all 3 (the value is how many still wait)")
	cancel()
	if err := sharedtest.WaitOrTimeout(t, done, 30*time.Second, "Run to return after cancel"); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if n := len(e.eventTasks()); n < 1 {
		t.Error("nothing handed on")
	}
}

func TestNewPollerRefusesUnusableConfigs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := &fake{}
	for _, tc := range []struct {
		name string
		cfg  receipts.PollerConfig
		want string
	}{
		{"no accounts", receipts.PollerConfig{}, "no accounts"},
		{"nil poller", receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": nil}}, `account "dt"`},
		{"bad interval", receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": f},
			Intervals: []time.Duration{time.Second, 0}}, "must be positive"},
	} {
		if _, err := receipts.NewPoller(e.st, e.client, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
	if _, err := receipts.NewPoller(nil, e.client, receipts.PollerConfig{Accounts: map[string]providers.StatusPoller{"dt": f}}); err == nil {
		t.Error("no store: no error")
	}
}

func TestPollerConfigDefaults(t *testing.T) {
	t.Parallel()
	c := receipts.PollerConfig{}.WithDefaults()
	if c.Rate != 10 || c.Batch != 50 || c.Lease != time.Minute || c.MaxAge != 24*time.Hour || c.Tick != time.Second ||
		c.Prefix != "wabulk:" || c.Parallel != 8 || c.PollTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	if diff := cmp.Diff(receipts.DefaultIntervals, c.Intervals); diff != "" {
		t.Errorf("intervals (-want +got):\n%s", diff)
	}
}
