package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// Pause defers a campaign's messages without sending or burning attempts;
// resume sends them all, once; cancel ends the rest cancelled and nothing
// reaches the provider after it returns.
func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{})
	p := producer.New(e.st, e.client, producer.Config{Prefix: e.r.Prefix})
	if _, _, err := e.st.SaveCampaign(ctx, store.Campaign{ID: "c", Account: account, Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PauseCampaign(ctx, "c", "checking the copy"); err != nil {
		t.Fatal(err)
	}
	var ms []*message.Message
	for i := range 20 {
		ms = append(ms, e.msg("template", i))
	}
	e.enqueue(ms...)
	cfg := e.config()
	cfg.CampaignPausedRecheck = 50 * time.Millisecond
	cfg.AccountStateTTL = time.Millisecond
	e.run(cfg, nil)

	// Wait until the worker has taken every task, found the campaign
	// paused and deferred it, and then, after the recheck, taken and
	// deferred each once more: asynq records each deferral on the task.
	queue := message.QueueName(e.r.Prefix, message.LaneNormal)
	first := e.deferrals(queue, ms, "campaign paused", nil)
	e.deferrals(queue, ms, "campaign paused", first)
	if n := e.sim.Stats().Requests; n != 0 {
		t.Fatalf("provider saw %d requests while the campaign was paused", n)
	}
	for _, m := range ms {
		if r := e.record(m); r.Status != message.Queued || r.Attempts != 0 {
			t.Fatalf("%s while paused: %s, %d attempts", m.To, r.Status, r.Attempts)
		}
	}

	if _, err := p.ResumeCampaign(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	counts := e.waitOutcomes(20)
	if counts[message.Accepted] != 20 || e.sim.Stats().Duplicates != 0 {
		t.Fatalf("after resume: %v, %d duplicates", counts, e.sim.Stats().Duplicates)
	}
	for _, m := range ms {
		if r := e.record(m); r.Attempts != 1 {
			t.Errorf("%s: %d attempts, want 1 (the pause burned none)", m.To, r.Attempts)
		}
	}

	// A second campaign, slowed by the provider, cancelled mid-way.
	if _, _, err := e.st.SaveCampaign(ctx, store.Campaign{ID: "slow", Account: account, Spec: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	var slow []*message.Message
	for i := range 200 {
		m := e.msg("template", 100+i)
		m.ID, m.CampaignID = message.CampaignMessageID("slow", m.To), "slow"
		slow = append(slow, m)
	}
	e.sim.Reset()
	e.enqueue(slow...)
	sharedtest.Eventually(t, func() bool { return e.sim.Stats().Requests >= 5 }, waitTimeout, "five requests of the slow campaign")
	res, err := p.CancelCampaign(ctx, "slow", 10*time.Second)
	if err != nil || res.InFlight != 0 {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	after := e.sim.Stats().Requests
	c, err := e.st.CampaignCounts(ctx, "slow")
	if err != nil {
		t.Fatal(err)
	}
	// The sweep cancels what is queued; workers holding a task at that
	// moment settle theirs cancelled at the claim.
	if res.Cancelled == 0 || c[message.Cancelled] < res.Cancelled || c[message.Queued]+c[message.Sending] != 0 ||
		c[message.Cancelled]+c[message.Accepted] != 200 {
		t.Errorf("after cancel: counts %v, result %+v", c, res)
	}
	if c[message.Accepted] != after {
		t.Errorf("%d accepted but the provider saw %d requests", c[message.Accepted], after)
	}
	// Wait until every task of the queue has run to its end (the remaining
	// ones settle as no-ops), then check none of them reached the provider.
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	sharedtest.WaitFor(t, func() *asynq.QueueInfo { q, _ := insp.GetQueueInfo(queue); return q }, func(q *asynq.QueueInfo) bool {
		return q != nil && q.Pending+q.Active+q.Scheduled+q.Retry == 0
	}, waitTimeout, "every task of the slow campaign to end")
	if n := e.sim.Stats().Requests; n != after {
		t.Errorf("the provider saw %d requests after the cancel returned", n-after)
	}
	if _, err := p.ResumeCampaign(ctx, "slow"); err == nil {
		t.Error("resumed a cancelled campaign")
	}
}

// deferrals waits until every task of ms on queue was last deferred with
// an error containing why, after since's time for it when since is given,
// and returns when each was last deferred. asynq stamps a task with the
// time of its last failure or deferral, in whole seconds: a stamp after
// since's proves the task was taken and deferred again.
func (e *env) deferrals(queue string, ms []*message.Message, why string, since map[string]time.Time) map[string]time.Time {
	e.t.Helper()
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	return sharedtest.WaitFor(e.t, func() map[string]time.Time {
		at := map[string]time.Time{}
		for _, m := range ms {
			info, err := insp.GetTaskInfo(queue, m.ID)
			if err != nil || !strings.Contains(info.LastErr, why) || !info.LastFailedAt.After(since[m.ID]) {
				continue
			}
			at[m.ID] = info.LastFailedAt
		}
		return at
	}, func(at map[string]time.Time) bool { return len(at) == len(ms) }, waitTimeout, "%d tasks deferred (%s)", len(ms), why)
}
