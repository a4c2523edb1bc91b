package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/worker"
)

// ScheduledOptions configures the lateness benchmark.
type ScheduledOptions struct {
	RedisURL     string
	N, Rounds    int
	At, Spread   time.Duration
	DelayedCheck time.Duration // 0: worker.Config's default
	Concurrency  int
	Timeout      time.Duration
	JSON         bool
}

// scheduledReport is what the lateness benchmark prints.
type scheduledReport struct {
	Redis           string           `json:"redis"`
	Messages        int              `json:"messages"`
	Rounds          int              `json:"rounds"`
	SendTimes       int              `json:"send_times_per_round"`
	Concurrency     int              `json:"concurrency"`
	DelayedCheckMS  float64          `json:"delayed_task_check_interval_ms"`
	TaskCheckMS     float64          `json:"task_check_interval_ms"`
	Bare            latenessStat     `json:"bare_asynq"`
	Pipeline        latenessStat     `json:"pipeline"`
	Lost            int64            `json:"lost"`
	Duplicates      int64            `json:"duplicates"`
	EarlySends      int              `json:"early_sends"`
	OutcomesByState map[string]int64 `json:"outcomes"`
	ElapsedSec      float64          `json:"elapsed_sec"`
}

// latenessStat summarises how late things ran, in milliseconds.
type latenessStat struct {
	N     int     `json:"n"`
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
	MinMS float64 `json:"min_ms"`
}

func newLatenessStat(ms []float64) latenessStat {
	if len(ms) == 0 {
		return latenessStat{}
	}
	s := latenessStat{N: len(ms), P50MS: percentile(ms, 0.5), P99MS: percentile(ms, 0.99)} // sorts ms
	s.MinMS, s.MaxMS = round(ms[0]), round(ms[len(ms)-1])
	return s
}

// sendGroup is one send_at time and how many recipients it has.
type sendGroup struct {
	at    time.Time
	n     int
	first int // index of its first recipient
}

// sendPlan splits n recipients, numbered from first, over whole-second
// send_at times from at, one per second of spread (at least one).
func sendPlan(at time.Time, first, n int, spread time.Duration) []sendGroup {
	times := min(max(1, int(spread/time.Second)), n)
	out := make([]sendGroup, times)
	next := first
	for i := range out {
		size := n / times
		if i < n%times {
			size++
		}
		out[i] = sendGroup{at: at.Add(time.Duration(i) * time.Second), n: size, first: next}
		next += size
	}
	return out
}

// Scheduled measures the lateness of scheduled sends through the
// pipeline, and of bare asynq ProcessAt tasks at the same times.
//
// asynq keeps scheduled tasks in whole seconds and each server moves the
// due ones every DelayedTaskCheckInterval, counted from its start: how
// late a task runs depends mostly on where that tick falls within the
// second, which stays put for minutes. So N is split into rounds, and each
// round starts a new bare server and a new worker at a random moment: the
// rounds sample what workers started at any time see.
func Scheduled(ctx context.Context, o ScheduledOptions, out, prog io.Writer) error {
	if o.N <= 0 || o.Rounds <= 0 || o.At < 0 || o.Spread < 0 {
		return errors.New("scheduled mode needs N > 0, rounds > 0, and at, spread not negative")
	}
	o.Rounds = min(o.Rounds, o.N)
	rdb, label, closeRedis, err := loadRedis(ctx, o.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := "wabulk-lt-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	wc := worker.Config{DelayedTaskCheckInterval: o.DelayedCheck, Concurrency: o.Concurrency}.WithDefaults()
	cfg := &config.Config{
		Redis: config.RedisConfig{URL: "embedded", Prefix: prefix}, DefaultRegion: "TZ", Log: config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{{Name: "lt", Kind: "tujenge", Rate: -1, PairEvery: config.Off, Timeout: config.Duration(10 * time.Second), MaxConns: wc.Concurrency * 2}},
		Worker:    config.WorkerConfig{Concurrency: wc.Concurrency, DelayedTaskCheckInterval: config.Duration(wc.DelayedTaskCheckInterval)},
	}
	p, closeAll, err := StartInProcess(rdb, simulator.Config{}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	rep := &scheduledReport{Redis: label, Messages: o.N, Rounds: o.Rounds, Concurrency: wc.Concurrency,
		DelayedCheckMS: float64(wc.DelayedTaskCheckInterval.Milliseconds()), TaskCheckMS: float64(wc.TaskCheckInterval.Milliseconds()),
		OutcomesByState: map[string]int64{}}
	bare := &bareScheduled{queue: prefix + "bare", wc: wc, client: p.Client}
	var late []float64
	var outcomes int64
	start := time.Now()
	for round := range o.Rounds {
		first := round * o.N / o.Rounds
		n := (round+1)*o.N/o.Rounds - first
		r, err := scheduledRound(ctx, p, rdb, cfg, bare, o, round, first, n)
		if err != nil {
			return err
		}
		rep.SendTimes = r.sendTimes
		late = append(late, r.late...)
		outcomes += r.outcomes
		rep.EarlySends += r.early
		for k, v := range r.byState {
			rep.OutcomesByState[k] += v
		}
		fmt.Fprintf(prog, "round %d/%d: %d messages, pipeline max %.0f ms, bare max %.0f ms\n", round+1, o.Rounds, n, maxOf(r.late), maxOf(r.bare))
	}
	rep.ElapsedSec = round(time.Since(start).Seconds())
	rep.Bare = newLatenessStat(bare.all())
	rep.Pipeline = newLatenessStat(late)
	rep.Lost = int64(o.N) - outcomes
	rep.Duplicates = p.Sim.Stats().Duplicates

	if o.JSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		when := "all at one send_at"
		if rep.SendTimes > 1 {
			when = fmt.Sprintf("over %d send_at times a second apart", rep.SendTimes)
		}
		fmt.Fprintf(out, "scheduled sends: %s; %d messages in %d rounds, each %s; concurrency %d, delayed_task_check_interval %v, task_check_interval %v\n",
			label, o.N, o.Rounds, when, rep.Concurrency, wc.DelayedTaskCheckInterval, wc.TaskCheckInterval)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "lateness\tn\tp50 ms\tp99 ms\tmax ms\tmin ms\t")
		for _, r := range []struct {
			name string
			s    latenessStat
		}{{"bare asynq ProcessAt (ran − process_at)", rep.Bare}, {"pipeline (accepted − send_at)", rep.Pipeline}} {
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t\n", r.name, r.s.N, r.s.P50MS, r.s.P99MS, r.s.MaxMS, r.s.MinMS)
		}
		_ = tw.Flush()
		fmt.Fprintf(out, "pipeline p99 %.0f ms (goal ≤ 1500 ms), floor p99 %.0f ms; sent before send_at %d, lost %d, duplicates %d\n",
			rep.Pipeline.P99MS, rep.Bare.P99MS, rep.EarlySends, rep.Lost, rep.Duplicates)
	}
	if rep.Lost != 0 || rep.Duplicates != 0 || rep.EarlySends != 0 {
		return fmt.Errorf("lost %d, duplicates %d, sent before send_at %d", rep.Lost, rep.Duplicates, rep.EarlySends)
	}
	return nil
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// roundResult is what one round measured.
type roundResult struct {
	late, bare []float64
	outcomes   int64
	early      int
	sendTimes  int
	byState    map[string]int64
}

// scheduledRound starts a bare asynq server and a worker, each at a random
// moment, schedules n recipients (numbered from first) through both at
// the same whole-second times, waits for all of them and stops both.
func scheduledRound(ctx context.Context, p *InProcess, rdb redis.UniversalClient, cfg *config.Config, bare *bareScheduled,
	o ScheduledOptions, round, first, n int) (roundResult, error) {
	res := roundResult{byState: map[string]int64{}}
	phase := func() { time.Sleep(rand.N(bare.wc.DelayedTaskCheckInterval)) }
	phase()
	stopBare, err := bare.start(rdb)
	if err != nil {
		return res, err
	}
	defer stopBare()
	phase()
	log, err := app.NewLogger(cfg.Log)
	if err != nil {
		return res, err
	}
	provs, err := app.BuildProviders(cfg)
	if err != nil {
		return res, err
	}
	wc := app.WorkerConfig(cfg, log)
	srv := worker.NewServer(rdb, wc, worker.NewSender(wc, p.Store, provs, app.Limiter(cfg, &app.Conn{RDB: rdb})))
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { _ = srv.Run(wctx); close(done) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	plan := sendPlan(ceilSecond(start.Add(o.At)), first, n, o.Spread)
	res.sendTimes = len(plan)
	before := bare.count()
	if err := bare.enqueue(ctx, plan); err != nil {
		return res, err
	}
	ids := make([]string, len(plan))
	for i, g := range plan {
		ids[i] = fmt.Sprintf("scheduled-%d-%d", round, i)
		spec := &producer.Spec{ID: ids[i], Account: "lt", TTL: producer.Duration(time.Hour), SendAt: g.at,
			Message: message.Content{Template: &message.Template{Name: "reminder", Language: "en", Body: []string{"{{name}}"}}}}
		if _, err := p.Producer.Import(ctx, spec, recipientsCSV(g.n, func(i int) string { return tzMobile(g.first + i) }), producer.Options{}); err != nil {
			return res, err
		}
	}
	if now := time.Now(); now.After(plan[0].at) {
		return res, fmt.Errorf("round %d: scheduling took %v and ended after the first send_at: raise --at so that lateness is measured, not the import",
			round, now.Sub(start).Round(time.Millisecond))
	}
	deadline := plan[len(plan)-1].at.Add(o.Timeout)
	for {
		var got int64
		for _, id := range ids {
			c, err := p.Store.CampaignCounts(ctx, id)
			if err != nil {
				return res, err
			}
			got += c.Outcomes()
		}
		if got >= int64(n) && bare.count() >= before+n {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("round %d: %d of %d messages and %d of %d bare tasks done in time", round, got, n, bare.count()-before, n)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.bare = bare.since(before)
	for i, id := range ids {
		sendAt := plan[i].at
		if err := p.Store.EachMember(ctx, id, 2000, func(recs []*store.Record) error {
			for _, r := range recs {
				if r.Status.Outcome() {
					res.outcomes++
				}
				res.byState[string(r.Status)]++
				if r.Status.ProviderTook() {
					d := float64(r.UpdatedAt.Sub(sendAt).Microseconds()) / 1000
					if d < 0 {
						res.early++
					}
					res.late = append(res.late, d)
				}
			}
			return nil
		}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// bareScheduled is the floor: tasks scheduled with asynq.ProcessAt on a
// bare asynq server (the worker's intervals and concurrency) whose handler
// only records how late each ran.
type bareScheduled struct {
	queue  string
	wc     worker.Config
	client *asynq.Client

	mu   sync.Mutex
	late []float64 // ms
}

const bareScheduledType = "bare:scheduled"

// start runs a new bare server until stop.
func (b *bareScheduled) start(rdb redis.UniversalClient) (stop func(), err error) {
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: b.wc.Concurrency, Queues: map[string]int{b.queue: 1},
		LogLevel: asynq.ErrorLevel, DelayedTaskCheckInterval: b.wc.DelayedTaskCheckInterval, TaskCheckInterval: b.wc.TaskCheckInterval})
	mux := asynq.NewServeMux()
	mux.HandleFunc(bareScheduledType, func(_ context.Context, t *asynq.Task) error {
		ran := time.Now()
		at, err := strconv.ParseInt(string(t.Payload()), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		b.mu.Lock()
		b.late = append(b.late, float64(ran.Sub(time.UnixMilli(at)).Microseconds())/1000)
		b.mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	return srv.Shutdown, nil
}

// enqueue schedules the plan's tasks, the payload saying when each is due.
func (b *bareScheduled) enqueue(ctx context.Context, plan []sendGroup) error {
	for _, g := range plan {
		payload := []byte(strconv.FormatInt(g.at.UnixMilli(), 10))
		for range g.n {
			if _, err := b.client.EnqueueContext(ctx, asynq.NewTask(bareScheduledType, payload), asynq.Queue(b.queue), asynq.ProcessAt(g.at)); err != nil {
				return fmt.Errorf("bare enqueue: %w", err)
			}
		}
	}
	return nil
}

func (b *bareScheduled) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.late)
}

func (b *bareScheduled) since(i int) []float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]float64(nil), b.late[i:]...)
}

func (b *bareScheduled) all() []float64 { return b.since(0) }

// ceilSecond rounds t up to a whole second: asynq schedules in whole
// seconds, and people write send_at in them.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); r.Before(t) {
		return r.Add(time.Second)
	}
	return t
}
