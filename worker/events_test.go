package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// receipt is a status event for provider message id pmid.
func receipt(pmid string, s message.Status) providers.Event {
	return providers.Event{Kind: providers.EventStatus, ProviderMessageID: pmid, Status: s, ProviderStatus: string(s)}
}

// inbound is a message from contact to the business number to ("" when
// the provider does not say) at t.
func inbound(from, to string, t time.Time) providers.Event {
	return providers.Event{Kind: providers.EventInbound, InboundID: "in-" + from, From: from, To: to, Text: "hi", Time: t}
}

// batch is one callback's events, received now.
func batch(evs ...providers.Event) receipts.Batch {
	return receipts.Batch{Account: account, Received: time.Now().UTC(), Events: evs}
}

func eventsTask(t *testing.T, b receipts.Batch) *asynq.Task {
	t.Helper()
	task, err := receipts.NewTask(b)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func (e *env) eventsQueue() string { return receipts.Queue(e.r.Prefix) }

// events enqueues a batch as the webhook receiver does and returns its task id.
func (e *env) events(b receipts.Batch) string {
	e.t.Helper()
	info, err := e.client.Enqueue(eventsTask(e.t, b), asynq.Queue(e.eventsQueue()))
	if err != nil {
		e.t.Fatal(err)
	}
	return info.ID
}

// apply enqueues a batch and waits until the events queue is drained.
func (e *env) apply(evs ...providers.Event) {
	e.t.Helper()
	e.events(batch(evs...))
	e.drainEvents()
}

// drainEvents polls until no events task is waiting, running or due again.
func (e *env) drainEvents() {
	e.t.Helper()
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	sharedtest.WaitFor(e.t, func() *asynq.QueueInfo {
		q, err := insp.GetQueueInfo(e.eventsQueue())
		if err != nil {
			e.t.Fatal(err)
		}
		return q
	}, func(q *asynq.QueueInfo) bool { return q.Pending+q.Active+q.Scheduled+q.Retry == 0 }, waitTimeout, "events queue drained")
}

// pmid returns the provider message id the send recorded for m.
func (e *env) pmid(m *message.Message) string {
	e.t.Helper()
	r := e.record(m)
	if r.ProviderMessageID == "" {
		e.t.Fatalf("%s: %s without a provider message id", m.ID, r.Status)
	}
	return r.ProviderMessageID
}

// Receipts through a real asynq server, after real sends to the simulator:
// records only move forward whatever the order, duplicates change nothing,
// and the campaign's counters follow.
func TestReceiptsMoveRecordsForward(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{Seed: 1})
	inOrder, outOfOrder, oneCallback, dup, failed := e.msg("template", 1), e.msg("template", 2), e.msg("template", 3), e.msg("template", 4), e.msg("template", 5)
	e.enqueue(inOrder, outOfOrder, oneCallback, dup, failed)
	e.run(e.config(), nil)
	e.waitOutcomes(5)

	// Each round's tasks run concurrently; the rounds follow one another,
	// so one message sees its receipts in order and another out of order.
	fail := receipt(e.pmid(failed), message.Failed)
	fail.ErrorCode, fail.Error = "131026", "message undeliverable"
	dups := batch(receipt(e.pmid(dup), message.Delivered), receipt(e.pmid(dup), message.Delivered))
	rounds := [][]receipts.Batch{
		{
			batch(receipt(e.pmid(inOrder), message.Sent)),
			batch(receipt(e.pmid(outOfOrder), message.Read)),
			// One callback carrying several receipts, out of order.
			batch(receipt(e.pmid(oneCallback), message.Read), receipt(e.pmid(oneCallback), message.Sent), receipt(e.pmid(oneCallback), message.Delivered)),
			// The same callback three times, each with the receipt twice.
			dups, dups, dups,
			batch(fail),
		},
		{
			batch(receipt(e.pmid(inOrder), message.Delivered)),
			batch(receipt(e.pmid(outOfOrder), message.Sent)),
			batch(receipt(e.pmid(failed), message.Delivered)), // late, after the failure
		},
		{
			batch(receipt(e.pmid(inOrder), message.Read)),
			batch(receipt(e.pmid(outOfOrder), message.Delivered)),
		},
	}
	for _, round := range rounds {
		for _, b := range round {
			e.events(b)
		}
		e.drainEvents()
	}

	want := map[string]struct {
		Status message.Status
		Code   string
	}{
		inOrder.ID:     {message.Read, ""},
		outOfOrder.ID:  {message.Read, ""},
		oneCallback.ID: {message.Read, ""},
		dup.ID:         {message.Delivered, ""},
		failed.ID:      {message.Failed, "131026"},
	}
	got := map[string]struct {
		Status message.Status
		Code   string
	}{}
	for _, m := range []*message.Message{inOrder, outOfOrder, oneCallback, dup, failed} {
		r := e.record(m)
		got[m.ID] = struct {
			Status message.Status
			Code   string
		}{r.Status, r.ErrorCode}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if r := e.record(failed); r.Error != "message undeliverable" {
		t.Errorf("failed record's error = %q, want the provider's", r.Error)
	}
	counts, err := e.st.CampaignCounts(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Counts{message.Read: 3, message.Delivered: 1, message.Failed: 1}, counts); diff != "" {
		t.Errorf("campaign counts (-want +got):\n%s", diff)
	}
}

// A receipt that beats the send's own record write is held (deferred, not
// a failure) while the rest of its callback is applied, and applied once
// the record and its provider id are written.
func TestReceiptHeldUntilRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.EventHoldDelay = 50 * time.Millisecond
	cfg.EventHoldFor = time.Minute
	known := e.msg("template", 1)
	e.enqueue(known)
	e.run(cfg, nil)
	e.waitOutcomes(1)

	late := e.msg("template", 2)
	const latePMID = "late-provider-id"
	id := e.events(batch(receipt(latePMID, message.Delivered), receipt(e.pmid(known), message.Read)))

	// Held: the task waits to be tried again, with no attempt burnt, and the
	// receipt that could be applied was.
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	type held struct {
		task  *asynq.TaskInfo
		known message.Status
	}
	h := sharedtest.WaitFor(t, func() held {
		info, err := insp.GetTaskInfo(e.eventsQueue(), id)
		if err != nil {
			t.Fatal(err)
		}
		return held{info, e.record(known).Status}
	}, func(h held) bool { return h.task.State == asynq.TaskStateRetry && h.known == message.Read }, waitTimeout,
		"the task held and the known receipt applied")
	if h.task.Retried != 0 || !strings.Contains(h.task.LastErr, latePMID) {
		t.Errorf("held task: retried %d, last error %q; want 0 and the held id named", h.task.Retried, h.task.LastErr)
	}

	// The send's record write lands: created, claimed, accepted with the id.
	if _, err := e.st.Create(ctx, []store.NewRecord{{ID: late.ID, CampaignID: "c", Account: account, To: late.To}}); err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{ID: late.ID, CampaignID: "c", Account: account}
	if _, err := e.st.Transition(ctx, ref, message.Sending, store.Update{IncAttempts: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Transition(ctx, ref, message.Accepted, store.Update{ProviderMessageID: latePMID}); err != nil {
		t.Fatal(err)
	}
	e.drainEvents()
	if r := e.record(late); r.Status != message.Delivered {
		t.Errorf("late record %s, want delivered", r.Status)
	}
	counts, err := e.st.CampaignCounts(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Counts{message.Read: 1, message.Delivered: 1}, counts); diff != "" {
		t.Errorf("campaign counts (-want +got):\n%s", diff)
	}
}

// A receipt for a provider id that is never recorded is dropped after
// EventHoldFor with a warning naming it; the task is neither retried
// forever nor archived.
func TestUnknownReceiptDroppedAfterHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := e.config()
	cfg.Logger = zap.New(core)
	cfg.EventHoldDelay = 50 * time.Millisecond
	cfg.EventHoldFor = 300 * time.Millisecond
	e.run(cfg, nil)
	e.events(batch(receipt("never-recorded", message.Delivered)))
	e.drainEvents()

	dropped := logs.FilterMessageSnippet("dropping a receipt").FilterField(zap.String("provider_message_id", "never-recorded"))
	if dropped.Len() != 1 {
		t.Errorf("want one warning naming the dropped provider id, have %d of %d logged: %v", dropped.Len(), logs.Len(), logs.All())
	}
	q, err := asynq.NewInspectorFromRedisClient(e.r.Client).GetQueueInfo(e.eventsQueue())
	if err != nil {
		t.Fatal(err)
	}
	if q.Archived != 0 || q.Processed == 0 {
		t.Errorf("events queue %+v: want the task processed, none archived", q)
	}
}

// An events task whose payload cannot be used is archived with the
// reason at once.
func TestBadEventPayloadsAreArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	for _, p := range []string{
		"not json",
		`{"received":"2026-01-02T03:04:05Z","events":[]}`, // no account
		`{"account":"tj","events":[]}`,                    // no received time
		`{"account":"tj","received":"9999-01-02T03:04:05Z","events":[{"kind":"status","provider_message_id":"x","status":"delivered"}]}`, // far future
	} {
		if _, err := e.client.Enqueue(asynq.NewTask(receipts.TypeEvents, []byte(p)), asynq.Queue(e.eventsQueue())); err != nil {
			t.Fatal(err)
		}
	}
	e.run(e.config(), nil)
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	archived := sharedtest.WaitFor(t, func() []*asynq.TaskInfo { a, _ := insp.ListArchivedTasks(e.eventsQueue()); return a },
		func(a []*asynq.TaskInfo) bool { return len(a) == 4 }, waitTimeout, "4 archived tasks")
	for _, a := range archived {
		if !strings.Contains(a.LastErr, "bad events payload") || a.Retried != 0 {
			t.Errorf("archived task %s: last error %q, retried %d", a.ID, a.LastErr, a.Retried)
		}
	}
}

// An inbound message opens the 24-hour window for the account's default
// sender and for the business number it was written to, so a free-form
// send afterwards goes out; an older inbound does not move it back.
func TestInboundOpensTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	e.run(e.config(), nil)
	const business, otherNumber = "+255700000099", "+255700000098"
	toDefault := e.msg("text", 1)
	toNumber := e.msg("text", 2)
	toNumber.From = business
	fromOther := e.msg("text", 3)
	fromOther.From = otherNumber // the contact wrote to business, not to this number
	noTime := e.msg("text", 4)
	never := e.msg("text", 5)
	ahead := e.msg("text", 6) // the provider's clock runs ahead

	wrote := time.Now().Add(-time.Hour).UTC()
	b := batch(inbound(toDefault.To, "", wrote), inbound(toNumber.To, business, wrote),
		inbound(fromOther.To, business, wrote), inbound(noTime.To, "", time.Time{}),
		inbound(ahead.To, "", time.Now().Add(time.Hour)))
	e.events(b)
	e.drainEvents()
	e.apply(inbound(toDefault.To, "", wrote.Add(-5*time.Hour))) // redelivered, older

	for _, c := range []struct {
		sender, contact string
		want            time.Time
	}{
		{"", toDefault.To, wrote},
		{business, toNumber.To, wrote},
		{"", toNumber.To, wrote},
		{"", noTime.To, b.Received},
		{"", ahead.To, b.Received},
	} {
		got, ok, err := e.st.LastInbound(ctx, account, c.sender, c.contact)
		if err != nil || !ok || got.UnixMilli() != c.want.UnixMilli() {
			t.Errorf("last inbound of %s to %q = %v, %v, %v; want %v", c.contact, c.sender, got, ok, err, c.want)
		}
	}

	e.enqueue(toDefault, toNumber, fromOther, noTime, never)
	e.waitOutcomes(5)
	for m, want := range map[*message.Message]message.Status{
		toDefault: message.Accepted, toNumber: message.Accepted, noTime: message.Accepted,
		fromOther: message.WindowClosed, never: message.WindowClosed,
	} {
		if r := e.record(m); r.Status != want {
			t.Errorf("free-form to %s from %q: %s, want %s", m.To, m.From, r.Status, want)
		}
	}
}

// The hold decisions, driven directly with an injected clock.
func TestEventHoldDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	cfg := e.config()
	cfg.Now = e.clock.Now
	cfg.EventHoldDelay = 2 * time.Second
	cfg.EventHoldFor = 2 * time.Minute
	h := worker.NewEvents(cfg, e.st)

	b := batch(receipt("not-yet", message.Delivered))
	b.Received = e.clock.Now()
	task := eventsTask(t, b)
	for _, c := range []struct {
		advance time.Duration
		delay   time.Duration // 0: dropped
	}{
		{0, 2 * time.Second},
		{2*time.Minute - 500*time.Millisecond, 500 * time.Millisecond}, // never held past EventHoldFor
		{time.Second, 0},
	} {
		e.clock.Advance(c.advance)
		err := h.ProcessTask(ctx, task)
		if c.delay == 0 {
			if err != nil {
				t.Errorf("after the hold: err = %v, want the receipt dropped", err)
			}
			continue
		}
		if err == nil || worker.IsFailure(err) || worker.RetryDelay(0, err, task) != c.delay {
			t.Errorf("+%v: err = %v (failure %v, delay %v); want a deferral by %v",
				c.advance, err, worker.IsFailure(err), worker.RetryDelay(0, err, task), c.delay)
		}
	}

	// Nothing to hold for: receipts no record can take are ignored.
	for _, ev := range []providers.Event{receipt("", message.Read), receipt("x", message.Queued), {Kind: "typing"}} {
		b := batch(ev)
		b.Received = e.clock.Now()
		if err := h.ProcessTask(ctx, eventsTask(t, b)); err != nil {
			t.Errorf("event %+v: err = %v, want it ignored", ev, err)
		}
	}
	if err := h.ProcessTask(ctx, asynq.NewTask(receipts.TypeEvents, []byte("{"))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("garbage: err = %v, want SkipRetry", err)
	}
}
