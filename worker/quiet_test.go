package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// Quiet hours hold a message until the window ends at the recipient,
// whose local time comes from the number: deferred without an attempt,
// then sent; or expired when the TTL ends first.
func TestQuietHoursHoldUntilTheWindowEnds(t *testing.T) {
	t.Parallel()
	night := &message.QuietHours{Start: "21:00", End: "08:00"}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		to   string
		now  string        // the worker's clock
		wait time.Duration // 0: sent at once
	}{
		{"Tanzania, 22:30 in Dar es Salaam", "+255712345678", "2026-11-23T19:30:00Z", 9*time.Hour + 30*time.Minute},
		{"Tanzania, 09:00", "+255712345679", "2026-11-24T06:00:00Z", 0},
		{"Saudi Arabia, 02:00 in Riyadh", "+966501234567", "2026-11-23T23:00:00Z", 6 * time.Hour},
		// +1 907 is Alaska: Anchorage, and Adak an hour behind. At 17:30
		// UTC Anchorage is at 08:30 but Adak still at 07:30.
		{"Alaska, two zones", "+19075550123", "2026-11-23T17:30:00Z", 30 * time.Minute},
		{"Alaska, both awake", "+19075550124", "2026-11-23T19:30:00Z", 0},
		// +44: 20:30 UTC is 21:30 in London in summer (BST), 20:30 in winter.
		{"UK, summer evening", "+447911123456", "2026-07-01T20:30:00Z", 10*time.Hour + 30*time.Minute},
		{"UK, winter evening", "+447911123457", "2026-01-14T20:30:00Z", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, simulator.Config{})
			e.clock.Set(at(c.now))
			cfg := e.config()
			cfg.Now = e.clock.Now
			s := worker.NewSender(cfg, e.st, e.provs, nil)
			m := e.msg("template", 1)
			m.To, m.ID = c.to, message.CampaignMessageID("c", c.to)
			m.CreatedAt, m.ExpiresAt = e.clock.Now(), e.clock.Now().Add(24*time.Hour)
			m.QuietHours = night
			e.enqueueRecord(m)
			task, err := message.NewSendTask(m)
			if err != nil {
				t.Fatal(err)
			}
			err = s.ProcessTask(context.Background(), task)
			if c.wait == 0 {
				if err != nil || e.record(m).Status != message.Accepted {
					t.Fatalf("outside quiet hours: %v, record %+v", err, e.record(m))
				}
				return
			}
			if err == nil || worker.IsFailure(err) || worker.RetryDelay(0, err, task) != c.wait {
				t.Fatalf("inside quiet hours: err %v (failure %v), delay %v; want a deferral of %v",
					err, worker.IsFailure(err), worker.RetryDelay(0, err, task), c.wait)
			}
			if r := e.record(m); r.Status != message.Queued || r.Attempts != 0 || e.sim.Stats().Requests != 0 {
				t.Fatalf("held message: record %+v, provider requests %d; want queued, no attempt, nothing sent", r, e.sim.Stats().Requests)
			}
			// The deferral ends when the window does: then it goes.
			e.clock.Advance(c.wait)
			if err := s.ProcessTask(context.Background(), task); err != nil {
				t.Fatalf("at the end of the window: %v", err)
			}
			if r := e.record(m); r.Status != message.Accepted || r.Attempts != 1 || e.sim.Accepted(m.To) != 1 {
				t.Errorf("after the window: record %+v, accepted %d", r, e.sim.Accepted(m.To))
			}
		})
	}

	// The TTL ends before the window does: expired at once, never sent.
	t.Run("TTL first", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, simulator.Config{})
		e.clock.Set(at("2026-11-23T19:30:00Z")) // 22:30 in Dar es Salaam
		cfg := e.config()
		cfg.Now = e.clock.Now
		s := worker.NewSender(cfg, e.st, e.provs, nil)
		m := e.msg("template", 2)
		m.CreatedAt, m.ExpiresAt, m.QuietHours = e.clock.Now(), e.clock.Now().Add(2*time.Hour), night
		e.enqueueRecord(m)
		task, err := message.NewSendTask(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ProcessTask(context.Background(), task); err != nil {
			t.Fatal(err)
		}
		if r := e.record(m); r.Status != message.Expired || r.ErrorCode != "ttl" || e.sim.Stats().Requests != 0 {
			t.Errorf("record %+v, provider requests %d; want expired (ttl), nothing sent", r, e.sim.Stats().Requests)
		}
	})

	// Without quiet hours the night changes nothing.
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, simulator.Config{})
		e.clock.Set(at("2026-11-23T23:00:00Z"))
		cfg := e.config()
		cfg.Now = e.clock.Now
		s := worker.NewSender(cfg, e.st, e.provs, nil)
		m := e.msg("template", 3)
		m.CreatedAt, m.ExpiresAt = e.clock.Now(), e.clock.Now().Add(time.Hour)
		e.enqueueRecord(m)
		task, _ := message.NewSendTask(m)
		if err := s.ProcessTask(context.Background(), task); err != nil || e.record(m).Status != message.Accepted {
			t.Errorf("%v, record %+v", err, e.record(m))
		}
	})
}

// Through a real asynq server: a held message stays queued with its task
// deferred (retry state, no failure counted), and the campaign's other
// messages go.
func TestQuietHoursThroughTheServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, simulator.Config{})
	// 22:30 in Dar es Salaam, 13:30 in New York.
	e.clock.Set(time.Date(2026, 11, 23, 19, 30, 0, 0, time.UTC))
	quiet := e.msg("template", 4)
	quiet.QuietHours = &message.QuietHours{Start: "21:00", End: "08:00"}
	quiet.ExpiresAt = e.clock.Now().Add(24 * time.Hour)
	awake := e.msg("template", 5)
	awake.To, awake.ID = "+12125550100", message.CampaignMessageID("c", "+12125550100")
	awake.QuietHours = quiet.QuietHours
	e.enqueue(quiet, awake)
	cfg := e.config()
	cfg.Now = e.clock.Now
	e.run(cfg, nil)
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	var info *asynq.TaskInfo
	sharedtest.Eventually(t, func() bool {
		var err error
		info, err = insp.GetTaskInfo(message.QueueName(e.r.Prefix, message.LaneNormal), quiet.ID)
		return err == nil && info.State == asynq.TaskStateRetry && e.record(awake).Status == message.Accepted
	}, waitTimeout, "the awake recipient's message accepted and the quiet one's task deferred")
	if info.Retried != 0 {
		t.Errorf("a deferral counted as a retry: %+v", info)
	}
	if got := time.Until(info.NextProcessAt); got < 9*time.Hour || got > 10*time.Hour {
		t.Errorf("held task due in %v, want about 9h30m", got)
	}
	if r := e.record(quiet); r.Status != message.Queued || r.Attempts != 0 {
		t.Errorf("held record %+v", r)
	}
	if st := e.sim.Stats(); st.Requests != 1 {
		t.Errorf("provider saw %d requests, want 1 (the awake recipient's)", st.Requests)
	}
}

// enqueueRecord creates m's record only, for handing its task to a Sender
// directly.
func (e *env) enqueueRecord(m *message.Message) {
	e.t.Helper()
	if _, err := e.st.Create(context.Background(), []store.NewRecord{{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To}}); err != nil {
		e.t.Fatal(err)
	}
}
