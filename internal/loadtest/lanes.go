package loadtest

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// LanesOptions configures the priority-lanes benchmark.
type LanesOptions struct {
	RedisURL    string
	N           int     // campaign recipients
	Rate        float64 // the account's (and provider's) limit, messages/s
	Reminders   float64 // reminders injected per second
	Concurrency int
	Timeout     time.Duration
	JSON        bool
	FloorFor    time.Duration // how long reminders go alone; default 10s
}

// lanesReport is what the priority-lanes benchmark prints.
type lanesReport struct {
	Redis       string       `json:"redis"`
	Campaign    int          `json:"campaign_recipients"`
	Rate        float64      `json:"rate_limit"`
	Concurrency int          `json:"concurrency"`
	Floor       reminderStat `json:"reminders_alone"`
	During      reminderStat `json:"reminders_during_campaign"`
	CampaignPS  float64      `json:"campaign_sent_per_sec"`
	Lost        int64        `json:"lost"`
	Duplicates  int64        `json:"duplicates"`
}

type reminderStat struct {
	Injected int     `json:"injected"` // reminders enqueued in the phase
	Sent     int     `json:"sent"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// Lanes measures how long reminders (lane high) take to reach the
// provider while a campaign (lane normal) drains at the account's limit,
// side by side with the same reminders and no campaign.
func Lanes(ctx context.Context, o LanesOptions, out, prog io.Writer) error {
	rdb, label, closeRedis, err := loadRedis(ctx, o.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := "wabulk-lt-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	cfg := &config.Config{
		Redis: config.RedisConfig{URL: "embedded", Prefix: prefix}, DefaultRegion: "TZ", Log: config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{{Name: "lt", Kind: "tujenge", Rate: o.Rate, PairEvery: config.Off, Timeout: config.Duration(10 * time.Second), MaxConns: o.Concurrency * 2}},
		Worker: config.WorkerConfig{Concurrency: o.Concurrency, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			RetryBase: config.Duration(200 * time.Millisecond), RetryMax: config.Duration(2 * time.Second)},
	}
	// The provider answers in 20 ms ± 10 ms, and would refuse anything
	// beyond the limit (plus the burst wabulk may use).
	p, closeAll, err := StartInProcess(rdb, simulator.Config{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	stopWorker := p.StartWorker(ctx)
	defer stopWorker()
	rep := &lanesReport{Redis: label, Campaign: o.N, Rate: o.Rate, Concurrency: o.Concurrency}

	injectFor := func(d time.Duration, first int) (int, error) {
		tick := time.NewTicker(time.Duration(float64(time.Second) / o.Reminders))
		defer tick.Stop()
		end := time.Now().Add(d)
		i := first
		for time.Now().Before(end) {
			select {
			case <-ctx.Done():
				return i - first, ctx.Err()
			case <-tick.C:
			}
			if err := enqueueReminder(ctx, p.Pipeline, &cfg.Redis, i); err != nil {
				return i - first, err
			}
			i++
		}
		return i - first, nil
	}
	// 1. The floor: reminders alone.
	if o.FloorFor <= 0 {
		o.FloorFor = 10 * time.Second
	}
	fmt.Fprintf(prog, "reminders alone: %.0f/s for %v\n", o.Reminders, o.FloorFor)
	floorN, err := injectFor(o.FloorFor, 0)
	if err != nil {
		return err
	}
	if rep.Floor, err = reminderLatency(ctx, p.Store, 0, floorN, o.Timeout); err != nil {
		return err
	}

	// 2. The campaign at the limit, reminders injected while it drains.
	spec := &producer.Spec{ID: "lanes", Account: "lt", TTL: producer.Duration(24 * time.Hour),
		Message: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"{{name}}"}}}}
	start := time.Now()
	imported := make(chan error, 1)
	var res producer.Result
	go func() {
		var err error
		res, err = p.Producer.Import(ctx, spec, recipientsCSV(o.N, tzMobile), producer.Options{})
		imported <- err
	}()
	// Wait until the campaign's tasks fill the queue ahead of the reminders.
	for {
		c, err := p.Store.CampaignCounts(ctx, spec.ID)
		if err != nil {
			return err
		}
		if c[message.Queued] >= int64(min(o.N/2, int(o.Rate)*20)) || c.Total() >= int64(o.N) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	left := time.Duration(float64(o.N)/o.Rate*float64(time.Second)) - time.Since(start)
	during := min(max(left*6/10, o.FloorFor), 5*time.Minute)
	fmt.Fprintf(prog, "campaign of %d draining at %.0f/s; reminders %.0f/s for %v meanwhile\n", o.N, o.Rate, o.Reminders, during.Round(time.Second))
	duringN, err := injectFor(during, floorN)
	if err != nil {
		return err
	}
	if rep.During, err = reminderLatency(ctx, p.Store, floorN, duringN, o.Timeout); err != nil {
		return err
	}
	if err := <-imported; err != nil {
		return err
	}
	drainErr := watch(ctx, p.Store, []string{spec.ID}, res.Accepted, o.Timeout, prog)
	rep.CampaignPS = round(float64(res.Accepted) / time.Since(start).Seconds())
	c, err := p.Store.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep.Lost = int64(o.N) - c.Outcomes()
	rep.Duplicates = p.Sim.Stats().Duplicates

	if o.JSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(out, "priority lanes: %s, rate limit %.0f/s, concurrency %d, campaign of %d at %.0f sent/s\n", label, o.Rate, o.Concurrency, o.N, rep.CampaignPS)
		fmt.Fprintln(tw, "reminders (lane high)\tsent\tp50 ms\tp99 ms\tmax ms\t")
		for _, r := range []struct {
			name string
			s    reminderStat
		}{{"alone", rep.Floor}, {"during the campaign", rep.During}} {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t\n", r.name, r.s.Sent, r.s.P50MS, r.s.P99MS, r.s.MaxMS)
		}
		_ = tw.Flush()
		fmt.Fprintf(out, "p99 during/alone: %.2f (goal: p99 during ≤ 2000 ms); lost %d, duplicates %d\n",
			rep.During.P99MS/max(rep.Floor.P99MS, 1), rep.Lost, rep.Duplicates)
	}
	if rep.Lost != 0 || rep.Duplicates != 0 {
		return fmt.Errorf("lost %d, duplicates %d", rep.Lost, rep.Duplicates)
	}
	return drainErr
}

// reminderID is the message id of reminder i.
func reminderID(i int) string { return fmt.Sprintf("reminder-%d", i) }

// enqueueReminder creates reminder i's record and task on lane high (the
// shard of its ID), as the producer does for transactional messages.
func enqueueReminder(ctx context.Context, p *app.Pipeline, rc *config.RedisConfig, i int) error {
	to := fmt.Sprintf("+2557550%05d", i)
	m := &message.Message{ID: reminderID(i), Account: "lt", To: to, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour),
		Content: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "en", Body: []string{"9:00"}}}}
	if _, err := p.Store.Create(ctx, []store.NewRecord{{ID: m.ID, Account: m.Account, To: m.To}}); err != nil {
		return err
	}
	task, err := message.NewSendTask(m, asynq.TaskID(m.ID), asynq.Queue(message.SendQueue(rc.Prefix, message.LaneHigh, m.ID, rc.QueueShards)), asynq.MaxRetry(message.TaskMaxRetry))
	if err != nil {
		return err
	}
	_, err = p.Client.EnqueueContext(ctx, task)
	return err
}

// reminderLatency waits for reminders first..first+n to be accepted and
// returns created → accepted latencies.
func reminderLatency(ctx context.Context, st *store.Store, first, n int, timeout time.Duration) (reminderStat, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = reminderID(first + i)
	}
	deadline := time.Now().Add(timeout)
	for {
		recs, err := st.GetMany(ctx, ids)
		if err != nil {
			return reminderStat{}, err
		}
		var lat []float64
		done := true
		for _, r := range recs {
			if r == nil || !r.Status.Outcome() {
				done = false
				break
			}
			if r.Status.ProviderTook() {
				lat = append(lat, float64(r.UpdatedAt.Sub(r.CreatedAt).Microseconds())/1000)
			}
		}
		if done {
			mx := 0.0
			for _, v := range lat {
				mx = max(mx, v)
			}
			return reminderStat{Injected: n, Sent: len(lat), P50MS: round(percentile(lat, 0.5)), P99MS: round(percentile(lat, 0.99)), MaxMS: round(mx)}, nil
		}
		if time.Now().After(deadline) {
			return reminderStat{}, fmt.Errorf("reminders did not all get an outcome within %v", timeout)
		}
		select {
		case <-ctx.Done():
			return reminderStat{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
