package worker_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/receipts"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

// These tests POST the WhatsApp webhook bodies of receipts/testdata/whatsapp
// (Meta's webhook reference: Cloud API and on-premises shapes) through the
// real receiver to the real worker, as the tests of callbacks_e2e_test.go
// do, and read what they changed in the store: group messages, edits,
// voice notes, marketing stops and account notices.

// cbFixture is the fixture name from contact to (E.164) at time at, with
// the business number of cbMetaEnvelope.
func cbFixture(t *testing.T, name, to string, at time.Time) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "receipts", "testdata", "whatsapp", name+".json"))
	cbMust(t, err)
	return cbFill(string(b), "from", cbDigits(to), "ts", cbUnix(at), "business", cbBusiness)
}

// shape is the fixture family a kind's webhook carries for messages: the
// Cloud API's envelope (meta) or the on-premises body (tujenge). Both read
// the Cloud API's other fields.
func shape(k *cbKind) string {
	if k.name == "meta" {
		return "cloud_"
	}
	return "onprem_"
}

func cbWhatsAppKinds() []*cbKind {
	return cbKindsWith(func(k *cbKind) bool { return k.name == "meta" || k.name == "tujenge" })
}

// template is a template message of campaign c to the n-th contact, of
// category (none when "").
func (e *cbEnv) template(c string, n int, category string) *message.Message {
	m := e.msg(c, n, false)
	m.Content.Template.Category = category
	return m
}

// A group chat's message opens no window and is no keyword, even "STOP";
// an edited message is the contact writing, and its new text is a
// keyword; a voice note keeps its media and opens the window.
func TestCallbacksE2EGroupEditAndVoiceMessages(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbWhatsAppKinds(), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		e.run()
		group, edit, voice := e.msg("c", 1, true), e.msg("c", 2, true), e.msg("c", 3, true)
		at := e.clock.Now().Add(-time.Minute)
		e.deliver(cbFixture(t, shape(e.k)+"group_text", group.To, at), cbFixture(t, shape(e.k)+"edit_text", edit.To, at),
			cbFixture(t, shape(e.k)+"voice", voice.To, at))
		for _, c := range []struct {
			m               *message.Message
			wantOut, wantIn bool
		}{{group, false, false}, {edit, true, true}, {voice, false, true}} {
			out, err := e.st.OptedOut(ctx, e.k.name, c.m.To)
			cbMust(t, err)
			open, err := e.st.WindowOpen(ctx, e.k.name, "", c.m.To, e.clock.Now())
			cbMust(t, err)
			if out != c.wantOut || open != c.wantIn {
				t.Errorf("%s: opted out %v, window open %v; want %v, %v", c.m.To, out, open, c.wantOut, c.wantIn)
			}
		}
		e.send(group, voice)
		if r := e.get(group); r.Status != message.WindowClosed || e.sim.Accepted(group.To) != 0 {
			t.Errorf("text after a group message only: %s/%s; want window_closed, no request", r.Status, r.ErrorCode)
		}
		if r := e.get(voice); r.Status != message.Accepted {
			t.Errorf("text after a voice note: %s/%s %s; want accepted", r.Status, r.ErrorCode, r.Error)
		}
	})
}

// A contact that stops marketing messages (user_preferences) gets no
// marketing template, nor one without a category: they end opted_out with
// code marketing_stopped and no request. A utility or authentication
// template still goes, and the contact is not on the suppression list. A
// resume lifts the stop.
func TestCallbacksE2EMarketingStop(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbWhatsAppKinds(), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		e.run()
		to := e.msg("c", 1, false).To
		e.deliver(cbFixture(t, "cloud_user_preferences_stop", to, e.clock.Now().Add(-time.Minute)))
		if list, err := e.st.MarketingStops(ctx, e.k.name); err != nil || len(list) != 1 || list[0] != to {
			t.Fatalf("MarketingStops = %v, %v; want [%s]", list, err, to)
		}
		if out, err := e.st.OptedOut(ctx, e.k.name, to); err != nil || out {
			t.Errorf("OptedOut after a marketing stop = %v, %v; want false", out, err)
		}
		marketing, unnamed := e.template("mkt", 1, message.CategoryMarketing), e.template("unnamed", 1, "")
		utility, auth := e.template("util", 1, message.CategoryUtility), e.template("otp", 1, "AUTHENTICATION")
		e.send(marketing, unnamed, utility, auth)
		for m, want := range map[*message.Message]cbOutcome{
			marketing: {message.OptedOut, "marketing_stopped"}, unnamed: {message.OptedOut, "marketing_stopped"},
			utility: {message.Accepted, ""}, auth: {message.Accepted, ""},
		} {
			if r := e.get(m); (cbOutcome{r.Status, r.ErrorCode}) != want {
				t.Errorf("%s template: %s/%s, want %v", m.CampaignID, r.Status, r.ErrorCode, want)
			}
		}
		if n := e.sim.Accepted(to); n != 2 {
			t.Errorf("provider accepted %d messages to the contact, want 2 (utility and authentication)", n)
		}

		e.deliver(cbFixture(t, "cloud_user_preferences_resume", to, e.clock.Now()))
		again := e.template("mkt-2", 1, "")
		e.send(again)
		if r := e.get(again); r.Status != message.Accepted {
			t.Errorf("marketing template after resume: %s/%s, want accepted", r.Status, r.ErrorCode)
		}
		if list, err := e.st.MarketingStops(ctx, e.k.name); err != nil || len(list) != 0 {
			t.Errorf("MarketingStops after resume = %v, %v; want none", list, err)
		}
	})
}

// An account_update disabling the account pauses it with the notice as the
// reason: its messages wait (deferred, no request). The reinstatement
// resumes it and they go. A reinstatement never lifts an operator's pause;
// a messaging restriction pauses; system-level errors are logged.
func TestCallbacksE2EAccountUpdates(t *testing.T) {
	t.Parallel()
	cbForEachKind(t, cbWhatsAppKinds(), func(t *testing.T, e *cbEnv) {
		ctx := context.Background()
		core, logs := observer.New(zapcore.WarnLevel)
		e.cfg.Logger = zap.New(core)
		e.cfg.AccountRetryDelay = 20 * time.Millisecond
		e.run()
		paused := func() store.AccountState {
			t.Helper()
			s, err := e.st.Account(ctx, e.k.name)
			cbMust(t, err)
			return s
		}

		e.deliver(cbFixture(t, "cloud_account_disabled", "+15550000000", e.clock.Now()))
		if s := paused(); !s.Paused || !strings.HasPrefix(s.PauseReason, "blocked (provider notice DISABLED_UPDATE: WhatsApp disabled") {
			t.Fatalf("after DISABLED_UPDATE: %+v; want paused with the notice as the reason", s)
		}
		m := e.template("c", 1, message.CategoryUtility)
		task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(message.QueueName(e.r.Prefix, message.LaneNormal)), asynq.MaxRetry(message.TaskMaxRetry))
		cbMust(t, err)
		_, err = e.st.Create(ctx, []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}})
		cbMust(t, err)
		info, err := e.client.Enqueue(task)
		cbMust(t, err)
		sharedtest.Eventually(t, func() bool {
			ti, err := e.insp.GetTaskInfo(info.Queue, info.ID)
			return err == nil && strings.Contains(ti.LastErr, "account paused: blocked (provider notice DISABLED_UPDATE")
		}, 20*time.Second, "the message deferred on the paused account")
		if r := e.get(m); r.Status != message.Queued || e.sim.Stats().Requests != 0 {
			t.Fatalf("message on the paused account: %s, %d requests; want queued and none", r.Status, e.sim.Stats().Requests)
		}

		e.deliver(cbFixture(t, "cloud_account_reinstated", "+15550000000", e.clock.Now()))
		if s := paused(); s.Paused {
			t.Fatalf("after the reinstatement: %+v; want resumed", s)
		}
		// The workers' copy of the account's state expires by their clock.
		e.clock.Advance(time.Second)
		sharedtest.Eventually(t, func() bool { return e.get(m).Status == message.Accepted }, 20*time.Second, "the deferred message sent after the reinstatement")

		cbMust(t, e.st.PauseAccount(ctx, e.k.name, "operator: invoice dispute"))
		e.deliver(cbFixture(t, "cloud_account_reinstated", "+15550000000", e.clock.Now()))
		if s := paused(); !s.Paused || s.PauseReason != "operator: invoice dispute" {
			t.Errorf("a reinstatement on an operator's pause: %+v; want the operator's pause kept", s)
		}
		cbMust(t, e.st.ResumeAccount(ctx, e.k.name))

		e.deliver(cbFixture(t, "cloud_account_restriction", "+15550000000", e.clock.Now()),
			cbFixture(t, "cloud_system_errors", "+15550000000", e.clock.Now()))
		if s := paused(); !s.Paused || !strings.Contains(s.PauseReason, "RESTRICTED_BIZ_INITIATED_MESSAGING") {
			t.Errorf("after ACCOUNT_RESTRICTION: %+v; want paused naming the restriction", s)
		}
		if n := logs.FilterMessage("provider notice about the account").FilterField(zap.String("code", "131000")).Len(); n != 1 {
			t.Errorf("%d warnings for the system-level error 131000, want 1", n)
		}
	})
}

// Two accounts of one provider kind whose callbacks all reach the first
// account's endpoint: the second account's receipts, POSTed there, move
// its records forward.
func TestCallbacksE2ESecondAccountReceiptsOnOneEndpoint(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	clock := sharedtest.NewClock(time.Now().UTC().Truncate(time.Second))
	sim, err := simulator.New(simulator.Config{Kind: "tujenge", APIKey: cbSimKey, Seed: 1})
	cbMust(t, err)
	base, err := sim.Start("127.0.0.1:0")
	cbMust(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	provs := map[string]providers.Provider{}
	for _, name := range []string{"tj-a", "tj-b"} {
		c, err := tujenge.New(tujenge.Config{BaseURL: base, APIKey: cbSimKey})
		cbMust(t, err)
		provs[name] = c
	}
	st := store.New(r.Client, store.Config{Prefix: r.Prefix, Now: clock.Now})
	client := asynq.NewClientFromRedisClient(r.Client)
	k := cbKindsWith(func(k *cbKind) bool { return k.name == "tujenge" })[0]
	acct := receipts.Account{Parser: provs["tj-a"].(providers.CallbackParser)}
	k.hook(&acct)
	w, err := receipts.NewReceiver(client, receipts.ReceiverConfig{Prefix: r.Prefix, Now: clock.Now,
		Accounts: map[string]receipts.Account{"tj-a": acct}})
	cbMust(t, err)
	e := &cbEnv{t: t, k: &cbKind{name: "tj-a", authorize: k.authorize, status: k.status, templates: true}, r: r, st: st, sim: sim,
		client: client, clock: clock, insp: asynq.NewInspectorFromRedisClient(r.Client),
		cfg: worker.Config{Prefix: r.Prefix, Concurrency: 4, Now: clock.Now,
			EventHoldDelay: 5 * time.Millisecond, EventHoldFor: time.Minute, DelayedTaskCheckInterval: 20 * time.Millisecond,
			AccountKinds: map[string]string{"tj-a": "tujenge", "tj-b": "tujenge"}},
	}
	e.hooks = httptest.NewServer(w)
	t.Cleanup(e.hooks.Close)
	srv := asynq.NewServerFromRedisClient(r.Client, asynq.Config{
		Concurrency: 4,
		Queues: map[string]int{receipts.Queue(r.Prefix): 5,
			message.QueueName(r.Prefix, message.LaneNormal): 3},
		RetryDelayFunc: worker.RetryDelay, IsFailure: worker.IsFailure,
		TaskCheckInterval: 5 * time.Millisecond, DelayedTaskCheckInterval: 20 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second, LogLevel: asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(message.TypeSend, worker.NewSender(e.cfg, st, provs, nil))
	mux.Handle(receipts.TypeEvents, worker.NewEvents(e.cfg, st))
	cbMust(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)

	mA, mB := e.msg("c-a", 1, false), e.msg("c-b", 2, false)
	mB.Account = "tj-b"
	e.send(mA, mB)
	now := clock.Now()
	e.deliver(k.status(e.pmid(mA), mA.To, "delivered", now), k.status(e.pmid(mB), mB.To, "read", now))
	for m, want := range map[*message.Message]message.Status{mA: message.Delivered, mB: message.Read} {
		if rec := e.get(m); rec.Status != want {
			t.Errorf("%s's message after its receipt reached tj-a's endpoint: %s, want %s", m.Account, rec.Status, want)
		}
	}
}
