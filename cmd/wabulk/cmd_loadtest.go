package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// loadReport is the one JSON object loadtest prints.
type loadReport struct {
	Provider       string           `json:"provider"`
	Redis          string           `json:"redis"`
	Recipients     int              `json:"recipients"`
	Concurrency    int              `json:"concurrency"`
	ProviderMS     float64          `json:"provider_latency_ms"`
	Faults         string           `json:"faults,omitempty"`
	RateLimit      float64          `json:"rate_limit,omitempty"`
	EnqueuePerSec  float64          `json:"enqueue_per_sec"`
	SentPerSec     float64          `json:"sent_per_sec"`
	LatencyP50MS   float64          `json:"latency_p50_ms"`
	LatencyP99MS   float64          `json:"latency_p99_ms"`
	Outcomes       map[string]int64 `json:"outcomes"`
	Lost           int64            `json:"lost"`
	Duplicates     int64            `json:"duplicates"`
	ProviderAnswer map[string]int64 `json:"provider_answers"`
	ElapsedSec     float64          `json:"elapsed_sec"`
	Bare           *bareReport      `json:"bare,omitempty"`
	Ratio          map[string]any   `json:"ratio_pipeline_to_bare,omitempty"`
}

type bareReport struct {
	EnqueuePerSec   float64 `json:"enqueue_per_sec"`
	ProcessedPerSec float64 `json:"processed_per_sec"`
}

func runLoadtest(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("loadtest", "[flags]", `
Measures the whole pipeline in one process: generates N recipients, imports
them (records + asynq tasks) while a worker sends them to the simulator, and
prints one JSON summary: enqueue/s, sent/s, p50/p99 end-to-end latency
(record created → provider accepted), outcomes by state, lost (recipients
without an outcome) and duplicates (sent more than once, as the simulator
counted them).

--bare then pushes the same N tasks through bare asynq (same enqueuers, same
concurrency, a no-op handler) in the same run and reports pipeline/bare.
Runs on an embedded miniredis unless --redis names a real one (its keys go
under a fresh prefix and are removed afterwards). --provider picks the wire
format (tujenge by default).

Fleet mode (--workers N --redis URL --rate L): starts N real "wabulk worker"
processes sharing that Redis and a simulated provider that enforces L itself
(answering its rate-limit error beyond it), imports N recipients, and prints
how exactly the fleet held the limit: achieved rate / L, the busiest
one-second window (goal ≤ L + burst), the provider's 429s (goal 0), lost and
duplicates. --outage 30s makes the provider fail every send for that long
(--outage-after into the run): no message may end failed.

Webhook mode (--webhooks): starts serve's webhook receiver (the same handler
and HTTP server) on loopback and POSTs N status receipts to it, each about
another message, in --provider's wire format and authentication (meta:
signed with X-Hub-Signature-256; tujenge: a secret header; the others: HTTP
Basic), from --concurrency keep-alive connections. In the same run the same
clients POST them to an HTTP floor (reads the body, answers 200: no
authentication, parsing or Redis), and --bare enqueues the same events
payloads through bare asynq without HTTP. After an unmeasured warm-up, these
take turns on the same slices of the callbacks (up to 5 rounds), so that
other load on the machine falls on all of them alike. It prints callbacks/s
and p50, p95, p99 and max acknowledgement latency (request sent to 2xx
received) for each, webhooks/floor, and durability: every message id
answered 2xx must be in exactly one task of the events queue, read back.
--json prints one JSON object instead of the table. socnet sends no
callbacks.

Lanes mode (--reminders R --rate L): reminders (lane high, as transactional
messages and scheduled reminders go) are injected at R/s for 10 s alone, then
while an -n campaign (lane normal) drains at L; it prints the reminders'
send latency (record created → provider accepted) p50/p99/max in both
phases side by side. The goal is p99 ≤ 2 s during the campaign.

Scheduled mode (--scheduled N): how late scheduled sends go out. N recipients
are imported as campaigns with send_at --at after the start (all at once), or
one campaign per second over --spread; the worker sends them to the
simulator; it prints p50/p99/max lateness (provider accepted − send_at) side
by side with the same N bare asynq ProcessAt tasks at the same times on a
handler that only records when it ran (the floor). --delayed-check sets
delayed_task_check_interval for both. The goal is p99 ≤ 1.5 s.

Exits non-zero when a recipient was lost or sent twice; with --webhooks,
when a callback was not answered 2xx, or was answered 2xx without exactly
one events task.`, errOut)
	n := fs.Int("n", 20000, "recipients (--webhooks: callbacks)")
	redisURL := fs.String("redis", "", "Redis URL (default: embedded miniredis)")
	conc := fs.Int("concurrency", 50, "worker concurrency (--webhooks: concurrent HTTP connections)")
	latency := fs.Duration("latency", 0, "simulated provider latency")
	jitter := fs.Duration("jitter", 0, "extra random provider latency, uniform in [0, jitter)")
	faults := fs.String("faults", "", "provider fault ratios, e.g. 503=0.01,429=0.01")
	rateLimit := fs.Float64("rate", 0, "provider account rate limit in messages/s (0: none)")
	bare := fs.Bool("bare", false, "also run the same N through bare asynq and print the ratio (--webhooks: bare enqueue of the same events payloads)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	kind := fs.String("provider", "tujenge", "provider kind to simulate: "+strings.Join(publicKinds(), ", "))
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	workers := fs.Int("workers", 0, "fleet mode: run this many `wabulk worker` processes on --redis against a simulator that enforces --rate like the provider, and report how exactly the fleet held it")
	burst := fs.Int("burst", 0, "fleet mode: the account's (and the provider's) burst (default rate/20)")
	outage := fs.Duration("outage", 0, "fleet mode: the provider fails every send for this long (e.g. 30s)")
	outageAfter := fs.Duration("outage-after", 5*time.Second, "fleet mode: when the outage starts, after the import")
	webhooks := fs.Bool("webhooks", false, "webhook mode: measure serve's webhook ingest (callbacks/s, acknowledgement latency) against an HTTP floor")
	asJSON := fs.Bool("json", false, "webhook, scheduled and lanes modes: print one JSON object instead of the table")
	sched := addScheduledFlags(fs)
	reminders := fs.Float64("reminders", 0, "lanes mode: inject this many reminders/s on lane high, alone and then while an -n campaign drains at --rate; report their send latency")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := webhookFlagsApply(fs, *webhooks); err != nil {
		return err
	}
	if *workers > 0 {
		if *rateLimit <= 0 {
			return usagef("--workers needs --rate: the provider limit the fleet must hold")
		}
		prog := errOut
		if *quiet {
			prog = io.Discard
		}
		return runFleet(ctx, fleetOptions{kind: *kind, redisURL: *redisURL, workers: *workers, n: *n, conc: *conc,
			rate: *rateLimit, burst: *burst, outage: *outage, outageAfter: *outageAfter, timeout: *timeout, quiet: *quiet}, out, prog)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if _, ok := providerKinds[*kind]; !ok {
		return usagef("--provider %q: want one of %s", *kind, strings.Join(publicKinds(), ", "))
	}
	if *sched.n > 0 {
		return runScheduledLoad(ctx, sched.options(*redisURL, *conc, *timeout, *asJSON), out, progressTo(errOut, *quiet))
	}
	if *reminders > 0 {
		if *rateLimit <= 0 {
			return usagef("--reminders needs --rate: the limit the campaign drains at")
		}
		prog := errOut
		if *quiet {
			prog = io.Discard
		}
		return runLanesLoad(ctx, lanesOptions{redisURL: *redisURL, n: *n, rate: *rateLimit, reminders: *reminders, conc: *conc,
			timeout: *timeout, asJSON: *asJSON}, out, prog)
	}
	if *webhooks {
		prog := errOut
		if *quiet {
			prog = io.Discard
		}
		return runWebhookLoad(ctx, webhookLoadOptions{kind: *kind, redisURL: *redisURL, n: *n, conc: *conc, bare: *bare,
			asJSON: *asJSON, timeout: *timeout}, out, prog)
	}
	f, err := simulator.ParseFaultsFor(*kind, *faults)
	if err != nil {
		return usagef("--faults: %v", err)
	}
	prog := errOut
	if *quiet {
		prog = io.Discard
	}

	rdb, label, closeRedis, err := loadRedis(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := "wabulk-lt-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	cfg := &Config{
		Redis: RedisConfig{URL: "embedded", Prefix: prefix}, DefaultRegion: demoRegion(*kind), Log: LogConfig{Level: "error", Format: "console"},
		Providers: []ProviderConfig{{Name: "lt", Kind: *kind, Rate: unlimitedIfZero(*rateLimit), PairEvery: Off, Timeout: Duration(10 * time.Second), MaxConns: *conc * 2}},
		Worker: WorkerConfig{Concurrency: *conc, DelayedTaskCheckInterval: Duration(200 * time.Millisecond),
			RetryBase: Duration(200 * time.Millisecond), RetryMax: Duration(2 * time.Second)},
	}
	p, closeAll, err := startInProcess(rdb, simulator.Config{Latency: *latency, Jitter: *jitter, Faults: f, RetryAfter: time.Second}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	sim := p.sim

	rep := &loadReport{Provider: *kind, Redis: label, Recipients: *n, Concurrency: *conc, ProviderMS: float64(*latency) / 1e6, Faults: *faults, RateLimit: *rateLimit}
	spec := &producer.Spec{ID: "loadtest", Account: "lt", TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "load", Language: "en", Body: []string{"{{name}}"}}}}
	number := tzMobile
	if *kind == "socnet" {
		number = ugMobile
	}
	if textOnly(*kind) {
		// A text-only provider: a free-form message to contacts who wrote in.
		spec.Message = message.Content{Text: &message.Text{Body: "Hello {{name}}"}}
		for i := 0; i < *n; i++ {
			if err := p.store.SetLastInbound(ctx, "lt", "", number(i), time.Now()); err != nil {
				return err
			}
		}
	}

	start := time.Now()
	stopWorker := p.startWorker(ctx)
	res, err := p.producer.Import(ctx, spec, recipientsCSV(*n, number), producer.Options{})
	importDur := time.Since(start)
	if err != nil {
		stopWorker()
		return err
	}
	rep.EnqueuePerSec = round(float64(res.Accepted) / importDur.Seconds())
	fmt.Fprintf(prog, "imported %d in %.2fs (%.0f/s)\n", res.Accepted, importDur.Seconds(), rep.EnqueuePerSec)
	drainErr := watch(ctx, p.store, []string{spec.ID}, res.Accepted, *timeout, prog)
	drained := time.Since(start)
	stopWorker()
	rep.ElapsedSec = round(drained.Seconds())
	rep.SentPerSec = round(float64(res.Accepted) / drained.Seconds())

	counts, err := p.store.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep.Outcomes = map[string]int64{}
	for s, v := range counts {
		rep.Outcomes[string(s)] = v
	}
	// Lost: recipients that never became a record, plus records without
	// an outcome — counted from the records themselves, not the counters.
	var withOutcome int64
	var lat []float64
	if err := p.store.EachMember(ctx, spec.ID, 2000, func(recs []*store.Record) error {
		for _, r := range recs {
			if r.Status.Outcome() {
				withOutcome++
			}
			if r.Status.ProviderTook() {
				lat = append(lat, float64(r.UpdatedAt.Sub(r.CreatedAt).Microseconds())/1000)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	rep.Lost = int64(*n) - withOutcome
	rep.LatencyP50MS, rep.LatencyP99MS = percentile(lat, 0.50), percentile(lat, 0.99)
	st := sim.Stats()
	rep.Duplicates, rep.ProviderAnswer = st.Duplicates, st.ByCode

	if *bare {
		b, err := runBare(ctx, rdb, prefix+"bare", *n, *conc, *timeout)
		if err != nil {
			return err
		}
		rep.Bare = b
		rep.Ratio = map[string]any{
			"enqueue":    round(rep.EnqueuePerSec / b.EnqueuePerSec),
			"throughput": round(rep.SentPerSec / b.ProcessedPerSec),
		}
	}
	return report(out, rep, rep.Lost, rep.Duplicates, drainErr)
}

// unlimitedIfZero maps a flag's 0 ("no limit") to the config's -1.
func unlimitedIfZero(r float64) float64 {
	if r <= 0 {
		return -1
	}
	return r
}

// recipientsCSV streams n generated recipients without holding them.
func recipientsCSV(n int, number func(int) string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := &errWriter{w: pw}
		fmt.Fprintln(w, "phone,name")
		for i := 0; i < n && w.err == nil; i++ {
			fmt.Fprintf(w, "%s,Customer %d\n", number(i), i)
		}
		pw.CloseWithError(w.err)
	}()
	return pr
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// runBare pushes n tasks of the same payload size through asynq with a
// no-op handler: the ceiling the pipeline is measured against.
func runBare(ctx context.Context, rdb redis.UniversalClient, queue string, n, conc int, timeout time.Duration) (*bareReport, error) {
	var processed atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: conc, Queues: map[string]int{queue: 1},
		LogLevel: asynq.ErrorLevel, DelayedTaskCheckInterval: 200 * time.Millisecond})
	mux := asynq.NewServeMux()
	mux.HandleFunc(message.TypeSend, func(context.Context, *asynq.Task) error {
		if processed.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	next := atomic.Int64{}
	for range 8 { // the producer's default enqueuers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				to := tzMobile(int(i))
				m := &message.Message{ID: "bare:" + to, CampaignID: "bare", Account: "lt", To: to, CreatedAt: time.Now(),
					Content: message.Content{Template: &message.Template{Name: "load", Language: "en", Body: []string{fmt.Sprintf("Customer %d", i)}}}}
				t, err := message.NewSendTask(m, asynq.Queue(queue), asynq.TaskID(m.ID))
				if err == nil {
					_, err = client.EnqueueContext(ctx, t)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	enq := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return nil, fmt.Errorf("bare enqueue: %v", e)
	}
	select {
	case <-all:
	case <-time.After(timeout):
		return nil, fmt.Errorf("bare run: %d of %d processed after %v", processed.Load(), n, timeout)
	}
	total := time.Since(start)
	return &bareReport{EnqueuePerSec: round(float64(n) / enq.Seconds()), ProcessedPerSec: round(float64(n) / total.Seconds())}, nil
}

func loadRedis(ctx context.Context, url string) (redis.UniversalClient, string, func(), error) {
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, "", nil, err
		}
		c := redis.NewClient(&redis.Options{Addr: m.Addr(), PoolSize: 64})
		return c, "miniredis (embedded)", func() { _ = c.Close(); m.Close() }, nil
	}
	cn, err := openRedis(ctx, RedisConfig{URL: url}, false)
	if err != nil {
		return nil, "", nil, err
	}
	return cn.rdb, "redis " + redactURL(url), cn.Close, nil
}

// cleanup removes a loadtest's keys and queues from a shared Redis.
func cleanup(ctx context.Context, rdb redis.UniversalClient, prefix string) {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	queues, _ := insp.Queues()
	for _, q := range queues {
		if len(q) >= len(prefix) && q[:len(prefix)] == prefix {
			_ = insp.DeleteQueue(q, true)
		}
	}
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			rdb.Del(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Del(ctx, batch...)
	}
}

func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return round(v[max(0, min(i, len(v)-1))])
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// report prints a load test's JSON summary, and fails the command when the
// campaign did not drain or a recipient was lost or sent twice.
func report(out io.Writer, rep any, lost, duplicates int64, drainErr error) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	switch {
	case drainErr != nil:
		return drainErr
	case lost != 0 || duplicates != 0:
		return fmt.Errorf("%d recipients lost, %d sent twice", lost, duplicates)
	}
	return nil
}
