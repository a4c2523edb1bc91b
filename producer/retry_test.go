package producer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// sendEnv is a harness with a real worker sending through the Tujenge
// adapter to the simulator.
type sendEnv struct {
	*harness
	sim  *simulator.Simulator
	base string
}

func newSendEnv(t *testing.T) *sendEnv {
	t.Helper()
	h := newHarness(t)
	// The records' clock is the real one: the worker judges TTLs by it.
	h.St = store.New(h.R.Client, store.Config{Prefix: h.R.Prefix})
	sim, err := simulator.New(simulator.Config{Seed: 1, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return &sendEnv{harness: h, sim: sim, base: base}
}

// run starts a worker with MaxAttempts attempts per message.
func (e *sendEnv) run(t *testing.T, cfg worker.Config) {
	t.Helper()
	tj, err := tujenge.New(tujenge.Config{BaseURL: e.base, APIKey: "k", HTTP: providers.HTTPConfig{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Prefix = e.R.Prefix
	cfg.Concurrency = 10
	cfg.DelayedTaskCheckInterval = 50 * time.Millisecond
	cfg.RetryBase, cfg.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	cfg.ShutdownTimeout = 5 * time.Second
	srv := worker.NewServer(e.R.Client, cfg, worker.NewSender(cfg, e.St, map[string]providers.Provider{"tj": tj}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); <-done }) })
}

// waitCounts polls until pred holds for campaign id's counts.
func (e *sendEnv) waitCounts(t *testing.T, id string, pred func(store.Counts) bool) store.Counts {
	t.Helper()
	return sharedtest.WaitFor(t, func() store.Counts {
		c, err := e.St.CampaignCounts(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, pred, 30*time.Second, "counts of campaign %s", id)
}

func drained(c store.Counts) bool { return c.Total() > 0 && c[message.Queued]+c[message.Sending] == 0 }

func csvOf(rows map[string]string) string {
	var b strings.Builder
	b.WriteString("phone,name\n")
	for to, name := range rows {
		fmt.Fprintf(&b, "%s,%s\n", to, name)
	}
	return b.String()
}

// retry-failed requeues exactly the messages that failed after transient
// errors only and those that expired; the worker then sends each of them
// once, rendered from the row's values; nothing the provider took, nothing
// refused for good and nothing ambiguous moves; a second run requeues
// nothing; a cancelled campaign is refused.
func TestRetryFailedResendsOnlyRetryableFailuresAndExpired(t *testing.T) {
	t.Parallel()
	e := newSendEnv(t)
	spec := &producer.Spec{ID: "rf", Account: "tj", TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"{{name}}"}}}}
	num := func(i int) string { return fmt.Sprintf("+2557123%05d", i) }
	var (
		accepted  = []string{num(1), num(2), num(3)}
		permanent = []string{num(11), num(12)}
		transient = []string{num(21), num(22), num(23)}
		expired   = []string{num(31), num(32)}
		ambiguous = num(41)
		names     = map[string]string{}
	)
	for i := range 50 {
		names[num(i)] = fmt.Sprintf("Name%d", i)
	}
	rows := func(tos ...string) string {
		m := map[string]string{}
		for _, to := range tos {
			m[to] = names[to]
		}
		return csvOf(m)
	}
	// Two days ago: these rows were already past their TTL at import (their
	// records were created then; a compact task's TTL counts from it).
	twoDaysAgo := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	old := producer.New(store.New(e.R.Client, store.Config{Prefix: e.R.Prefix, Now: twoDaysAgo}), e.Client,
		producer.Config{Prefix: e.R.Prefix, Now: twoDaysAgo})
	if _, err := old.Import(bg, spec, strings.NewReader(rows(expired...)), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	p := e.Producer(producer.Config{Now: time.Now})
	all := append(append(append([]string{}, accepted...), permanent...), transient...)
	if _, err := p.Import(bg, spec, strings.NewReader(rows(append(all, ambiguous)...)), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	// A worker killed mid-request left this one ambiguous.
	amb := store.Ref{ID: message.CampaignMessageID("rf", ambiguous), CampaignID: "rf", Account: "tj"}
	for _, s := range []struct {
		to message.Status
		u  store.Update
	}{{message.Sending, store.Update{IncAttempts: true}}, {message.Failed, store.Update{ErrorCode: store.AmbiguousCode}}} {
		if _, err := e.St.Transition(bg, amb, s.to, s.u); err != nil {
			t.Fatal(err)
		}
	}
	// A record from before records kept their values, expired.
	legacy := store.Ref{ID: message.CampaignMessageID("rf", num(49)), CampaignID: "rf", Account: "tj"}
	if _, err := e.St.Create(bg, []store.NewRecord{{ID: legacy.ID, CampaignID: "rf", Account: "tj", To: num(49)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.Transition(bg, legacy, message.Expired, store.Update{ErrorCode: "ttl"}); err != nil {
		t.Fatal(err)
	}
	for _, to := range permanent {
		e.sim.Script(to, 400)
	}
	for _, to := range transient {
		e.sim.Script(to, 503, 503, 503)
	}
	e.run(t, worker.Config{MaxAttempts: 3})
	e.waitCounts(t, "rf", drained)

	for _, to := range transient {
		r, err := e.St.Get(bg, message.CampaignMessageID("rf", to))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != message.Failed || !r.Retryable || r.Attempts != 3 || r.ErrorCode != "503" {
			t.Fatalf("%s after 3 transient failures: %+v", to, r)
		}
	}
	for _, to := range permanent {
		if r, _ := e.St.Get(bg, message.CampaignMessageID("rf", to)); r.Status != message.Failed || r.Retryable {
			t.Fatalf("%s after a 400: %+v", to, r)
		}
	}

	res, err := p.RetryFailed(bg, "rf")
	if err != nil {
		t.Fatal(err)
	}
	want := producer.RetryResult{State: store.CampaignActive, Requeued: 5, Skipped: map[producer.SkipReason]int64{
		producer.SkipProviderTook: 3, producer.SkipPermanent: 2, producer.SkipAmbiguous: 1, producer.SkipNoValues: 1}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("retry-failed (-want +got):\n%s", diff)
	}
	c := e.waitCounts(t, "rf", drained)
	if diff := cmp.Diff(store.Counts{message.Accepted: 8, message.Failed: 3, message.Expired: 1}, c); diff != "" {
		t.Errorf("counts after the retry (-want +got):\n%s", diff)
	}
	for _, to := range append(append([]string{}, accepted...), append(transient, expired...)...) {
		if n := e.sim.Accepted(to); n != 1 {
			t.Errorf("%s reached the provider %d times, want once", to, n)
		}
	}
	for _, to := range append(permanent, ambiguous) {
		if n := e.sim.Accepted(to); n != 0 {
			t.Errorf("%s reached the provider %d times, want never", to, n)
		}
	}
	for _, to := range append(transient, expired...) {
		r, _ := e.St.Get(bg, message.CampaignMessageID("rf", to))
		if r.Status != message.Accepted || r.Retries != 1 || r.ErrorCode != "" {
			t.Errorf("%s after the retry: %+v", to, r)
		}
	}

	res, err = p.RetryFailed(bg, "rf")
	if err != nil {
		t.Fatal(err)
	}
	want = producer.RetryResult{State: store.CampaignActive, Skipped: map[producer.SkipReason]int64{
		producer.SkipProviderTook: 8, producer.SkipPermanent: 2, producer.SkipAmbiguous: 1, producer.SkipNoValues: 1}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("second retry-failed (-want +got):\n%s", diff)
	}

	if _, err := p.CancelCampaign(bg, "rf", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RetryFailed(bg, "rf"); !errors.Is(err, store.ErrCampaignCancelled) {
		t.Errorf("retry-failed of a cancelled campaign: %v, want ErrCampaignCancelled", err)
	}
	if _, err := p.RetryFailed(bg, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retry-failed of an unknown campaign: %v, want ErrNotFound", err)
	}
}

// A retry that stopped between requeueing a record and enqueueing its
// task is finished by the next run; the records stay queued in between.
func TestRetryFailedFinishesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	spec := textSpec("ir")
	if _, err := p.Import(bg, spec, strings.NewReader("phone,name,code\n+255712000001,Amina,A1\n+255712000002,Baraka,B2\n"), producer.Options{}); err != nil {
		t.Fatal(err)
	}
	// No worker: settle both as a worker would, and delete their tasks.
	for _, to := range []string{"+255712000001", "+255712000002"} {
		ref := store.Ref{ID: message.CampaignMessageID("ir", to), CampaignID: "ir", Account: spec.Account}
		if _, err := h.St.Transition(bg, ref, message.Expired, store.Update{ErrorCode: "ttl"}); err != nil {
			t.Fatal(err)
		}
		if err := h.Insp.DeleteTask(h.Queue(message.LaneNormal), ref.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The interrupted run: one record requeued, its task never enqueued.
	lost := store.Ref{ID: message.CampaignMessageID("ir", "+255712000001"), CampaignID: "ir"}
	if n, err := h.St.Requeue(bg, lost, message.Expired); err != nil || n != 1 {
		t.Fatalf("requeue: %d, %v", n, err)
	}
	// An hour later.
	p = h.Producer(producer.Config{Now: at(t0.Add(time.Hour))})
	res, err := p.RetryFailed(bg, "ir")
	if err != nil {
		t.Fatal(err)
	}
	if res.Requeued != 1 || res.Reenqueued != 1 || len(res.Skipped) != 0 {
		t.Errorf("retry after an interrupted one: %+v, want 1 requeued and 1 re-enqueued", res)
	}
	tasks, err := h.Insp.ListPendingTasks(h.Queue(message.LaneNormal))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ti := range tasks {
		m, err := message.DecodeSendTask(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !m.ExpiresAt.Equal(t0.Add(25 * time.Hour)) {
			t.Errorf("retried message %s expires at %v, want 24h from the retry", m.ID, m.ExpiresAt)
		}
		got[ti.ID] = m.Content.Text.Body
	}
	want := map[string]string{
		"ir:+255712000001#retry1": "Hi Amina, your code is A1",
		"ir:+255712000002#retry1": "Hi Baraka, your code is B2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("retry tasks, by id (-want +got):\n%s", diff)
	}
	// And once more: everything is queued with its task.
	if res, err := p.RetryFailed(bg, "ir"); err != nil || res.Requeued != 0 || res.Reenqueued != 0 || res.Skipped[producer.SkipPending] != 2 {
		t.Errorf("third run: %+v, %v", res, err)
	}
}
