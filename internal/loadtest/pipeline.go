package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"

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
	cpuCost
	Bare       *bareReport    `json:"bare,omitempty"`
	Ratio      map[string]any `json:"ratio_pipeline_to_bare,omitempty"`
	Naive      *bareReport    `json:"naive,omitempty"`
	NaiveRatio map[string]any `json:"ratio_pipeline_to_naive,omitempty"`
	Adapter    *adapterReport `json:"adapter,omitempty"`
	CPUNote    string         `json:"cpu_note,omitempty"`
}

// bareReport is a baseline phase: bare asynq with a no-op handler, or the
// naive sender (an asynq handler that only calls the provider).
type bareReport struct {
	EnqueuePerSec   float64 `json:"enqueue_per_sec"`
	ProcessedPerSec float64 `json:"processed_per_sec"`
	cpuCost
}

// adapterReport is the adapter and the simulator alone: N sends from
// Concurrency goroutines, no asynq and no Redis. Its CPU is the share of
// every sending phase that the provider call itself costs.
type adapterReport struct {
	SentPerSec float64 `json:"sent_per_sec"`
	cpuCost
}

// cpuCost is what a phase cost per message, in microseconds of CPU: this
// process's (getrusage, user + system) and the Redis server's (INFO cpu;
// absent on miniredis, which runs in this process and is counted in
// cpu_us_per_msg).
type cpuCost struct {
	CPUPerMsgUS      float64 `json:"cpu_us_per_msg"`
	RedisCPUPerMsgUS float64 `json:"redis_cpu_us_per_msg,omitempty"`
	// RoundTripsPerMsg is the Redis round trips this process made (a
	// command or a pipeline each, asynq's included) over the phase /
	// messages: unlike CPU, the same on a busy machine as on a quiet one.
	RoundTripsPerMsg float64 `json:"redis_round_trips_per_msg"`
}

// cpuNote says in the report what cpu_us_per_msg holds.
const cpuNote = "cpu_us_per_msg: this process's user+sys CPU (getrusage RUSAGE_SELF) over the phase (enqueue and send) / messages; " +
	"the simulator runs in this process, so its CPU is in every sending phase alike (adapter: the adapter and simulator alone, no asynq, no Redis); " +
	"redis_cpu_us_per_msg: the Redis server's used_cpu_user+sys (INFO cpu) over the phase / messages, other clients of that server included"

// PipelineOptions configures the pipeline benchmark.
type PipelineOptions struct {
	Kind        string        // provider kind to simulate; default tujenge
	RedisURL    string        // a real Redis; "" for an embedded miniredis
	N           int           // recipients
	Concurrency int           // worker concurrency
	Latency     time.Duration // simulated provider latency
	Jitter      time.Duration // extra random latency, uniform in [0, Jitter)
	Faults      string        // provider fault ratios, e.g. 503=0.01,429=0.01
	Rate        float64       // the account's rate limit, messages/s; 0 none
	Bare        bool          // also run the same N through bare asynq
	Naive       bool          // also run the same N through a naive sender
	Timeout     time.Duration
}

// Pipeline measures the whole pipeline in one process: it imports o.N
// generated recipients while a worker sends them to the simulator, and
// prints one JSON summary (enqueue/s, sent/s, latency, outcomes, lost,
// duplicates, CPU per message), with bare asynq's figures and the ratios
// when o.Bare, and the naive sender's (and the adapter's alone) when
// o.Naive. It fails when a recipient was lost or sent twice.
func Pipeline(ctx context.Context, o PipelineOptions, out, prog io.Writer) error {
	kind, faults, n, conc, latency, jitter, rateLimit, bare, timeout, redisURL := &o.Kind, &o.Faults, &o.N, &o.Concurrency, &o.Latency, &o.Jitter, &o.Rate, &o.Bare, &o.Timeout, &o.RedisURL
	k, err := providers.LookupKind(o.Kind)
	if err != nil {
		return err
	}
	f, err := simulator.ParseFaultsFor(*kind, *faults)
	if err != nil {
		return fmt.Errorf("faults: %w", err)
	}

	rdb, label, closeRedis, err := loadRedis(ctx, *redisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	trips := &roundTrips{}
	rdb.AddHook(trips)
	prefix := "wabulk-lt-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	cfg := &config.Config{
		Redis: config.RedisConfig{URL: "embedded", Prefix: prefix}, DefaultRegion: region(k), Log: config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{{Name: "lt", Kind: *kind, Rate: unlimitedIfZero(*rateLimit), PairEvery: config.Off, Timeout: config.Duration(10 * time.Second), MaxConns: *conc * 2}},
		Worker: config.WorkerConfig{Concurrency: *conc, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			RetryBase: config.Duration(200 * time.Millisecond), RetryMax: config.Duration(2 * time.Second)},
	}
	p, closeAll, err := StartInProcess(rdb, simulator.Config{Latency: *latency, Jitter: *jitter, Faults: f, RetryAfter: time.Second}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	sim := p.Sim

	rep := &loadReport{Provider: *kind, Redis: label, Recipients: *n, Concurrency: *conc, ProviderMS: float64(*latency) / 1e6, Faults: *faults, RateLimit: *rateLimit}
	spec := &producer.Spec{ID: "loadtest", Account: "lt", TTL: producer.Duration(time.Hour),
		Message: message.Content{Template: &message.Template{Name: "load", Language: "en", Body: []string{"{{name}}"}}}}
	number := mobile(region(k))
	if k.TextOnly {
		// A text-only provider: a free-form message to contacts who wrote in.
		spec.Message = message.Content{Text: &message.Text{Body: "Hello {{name}}"}}
		for i := 0; i < *n; i++ {
			if err := p.Store.SetLastInbound(ctx, "lt", "", number(i), time.Now()); err != nil {
				return err
			}
		}
	}

	cpu0 := readCPU(ctx, rdb, label, trips)
	start := time.Now()
	stopWorker := p.StartWorker(ctx)
	res, err := p.Producer.Import(ctx, spec, recipientsCSV(*n, number), producer.Options{ExpectedRows: int64(*n)})
	importDur := time.Since(start)
	if err != nil {
		stopWorker()
		return err
	}
	rep.EnqueuePerSec = round(float64(res.Accepted) / importDur.Seconds())
	fmt.Fprintf(prog, "imported %d in %.2fs (%.0f/s)\n", res.Accepted, importDur.Seconds(), rep.EnqueuePerSec)
	drainErr := watch(ctx, p.Store, []string{spec.ID}, res.Accepted, *timeout, prog)
	drained := time.Since(start)
	stopWorker()
	rep.cpuCost = readCPU(ctx, rdb, label, trips).since(cpu0, res.Accepted)
	rep.ElapsedSec = round(drained.Seconds())
	rep.SentPerSec = round(float64(res.Accepted) / drained.Seconds())

	counts, err := p.Store.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep.Outcomes = outcomeMap(counts)
	// Lost: recipients that never became a record, plus records without
	// an outcome — counted from the records themselves, not the counters.
	var withOutcome int64
	var lat []float64
	if err := p.Store.EachMember(ctx, spec.ID, 2000, func(recs []*store.Record) error {
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
		cpu0 := readCPU(ctx, rdb, label, trips)
		b, err := runBare(ctx, rdb, prefix+"bare", *n, *conc, *timeout, nil)
		if err != nil {
			return err
		}
		b.cpuCost = readCPU(ctx, rdb, label, trips).since(cpu0, int64(*n))
		rep.Bare = b
		rep.Ratio = map[string]any{
			"enqueue":    round(rep.EnqueuePerSec / b.EnqueuePerSec),
			"throughput": round(rep.SentPerSec / b.ProcessedPerSec),
		}
	}
	if o.Naive {
		// The naive sender and the adapter alone take recipients of their
		// own (after the pipeline's), so the simulator's duplicate count
		// stays a count of messages sent twice.
		// Their messages are what the pipeline renders from the spec.
		naiveMsg := func(i int) *message.Message {
			to, name := number(*n+i), fmt.Sprintf("Customer %d", i)
			c := message.Content{Template: &message.Template{Name: "load", Language: "en", Body: []string{name}}}
			if k.TextOnly {
				c = message.Content{Text: &message.Text{Body: "Hello " + name}}
			}
			return &message.Message{ID: "naive:" + to, CampaignID: "naive", Account: "lt", To: to, CreatedAt: time.Now(), Content: c}
		}
		cpu0 := readCPU(ctx, rdb, label, trips)
		nv, err := runBare(ctx, rdb, prefix+"naive", *n, *conc, *timeout, &naiveSender{prov: p.Providers["lt"], msg: naiveMsg})
		if err != nil {
			return err
		}
		nv.cpuCost = readCPU(ctx, rdb, label, trips).since(cpu0, int64(*n))
		rep.Naive = nv
		rep.NaiveRatio = map[string]any{
			"throughput": round(rep.SentPerSec / nv.ProcessedPerSec),
			"cpu":        round(rep.CPUPerMsgUS / nv.CPUPerMsgUS),
		}
		adapterMsg := func(i int) *message.Message { return naiveMsg(*n + i) }
		a, err := runAdapter(ctx, p.Providers["lt"], adapterMsg, *n, *conc)
		if err != nil {
			return err
		}
		rep.Adapter = a
		st := sim.Stats()
		rep.Duplicates, rep.ProviderAnswer = st.Duplicates, st.ByCode
	}
	if rep.Bare != nil || rep.Naive != nil {
		rep.CPUNote = cpuNote
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
// no-op handler: the ceiling the pipeline is measured against. With naive
// set, the tasks carry naive's messages and the handler sends each
// (naiveSender): the sender a user would write instead of wabulk.
func runBare(ctx context.Context, rdb redis.UniversalClient, queue string, n, conc int, timeout time.Duration, naive *naiveSender) (*bareReport, error) {
	var processed atomic.Int64
	all := make(chan struct{})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: conc, Queues: map[string]int{queue: 1},
		LogLevel: asynq.ErrorLevel, DelayedTaskCheckInterval: 200 * time.Millisecond})
	mux := asynq.NewServeMux()
	mux.HandleFunc(message.TypeSend, func(ctx context.Context, t *asynq.Task) error {
		if naive != nil {
			if err := naive.ProcessTask(ctx, t); err != nil {
				return err
			}
		}
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
				var m *message.Message
				if naive != nil {
					m = naive.msg(int(i))
				} else {
					to := tzMobile(int(i))
					m = &message.Message{ID: "bare:" + to, CampaignID: "bare", Account: "lt", To: to, CreatedAt: time.Now(),
						Content: message.Content{Template: &message.Template{Name: "load", Language: "en", Body: []string{fmt.Sprintf("Customer %d", i)}}}}
				}
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

// naiveSender is the handler a user would write instead of wabulk: decode
// the task, call the provider, let asynq retry any error. No record, no
// guards, no limits.
type naiveSender struct {
	prov providers.Provider
	msg  func(i int) *message.Message // the i-th task's message
}

func (s *naiveSender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	m, err := message.DecodeSendTask(t.Payload())
	if err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	_, err = s.prov.Send(ctx, m)
	return err
}

// runAdapter sends n messages from conc goroutines straight through the
// adapter to the simulator: no asynq, no Redis. Its CPU is what the
// provider call costs this process (adapter and simulator).
func runAdapter(ctx context.Context, prov providers.Provider, msg func(int) *message.Message, n, conc int) (*adapterReport, error) {
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	next := atomic.Int64{}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if _, err := prov.Send(ctx, msg(int(i))); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return nil, fmt.Errorf("adapter run: %v", e)
	}
	el, cpu := time.Since(start), processCPU()-cpu0
	return &adapterReport{SentPerSec: round(float64(n) / el.Seconds()), cpuCost: cpuCost{CPUPerMsgUS: round(float64(cpu.Microseconds()) / float64(n))}}, nil
}

// cpuReading is the CPU used so far by this process and, on a real Redis,
// by the Redis servers (every master's INFO cpu), and the round trips
// made so far on the run's client (roundTrips).
type cpuReading struct {
	self, redis time.Duration
	redisOK     bool
	trips       int64
}

// roundTrips counts the Redis round trips made through a client: one per
// command, one per pipeline.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

func readCPU(ctx context.Context, rdb redis.UniversalClient, label string, trips *roundTrips) cpuReading {
	r := cpuReading{self: processCPU(), trips: trips.n.Load()}
	if strings.HasPrefix(label, "miniredis") {
		return r
	}
	r.redisOK = eachMaster(ctx, rdb, func(ctx context.Context, _ string, node redis.Cmdable) error {
		s, err := node.Info(ctx, "cpu").Result()
		if err != nil {
			return err
		}
		for _, f := range []string{"used_cpu_user", "used_cpu_sys"} {
			v, ok := infoField(s, f)
			if !ok {
				return fmt.Errorf("info cpu: no %s", f)
			}
			sec, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("info cpu: %s: %w", f, err)
			}
			r.redis += time.Duration(sec * float64(time.Second))
		}
		return nil
	}) == nil
	return r
}

// since is the CPU per message from r0 to r for n messages.
func (r cpuReading) since(r0 cpuReading, n int64) cpuCost {
	if n <= 0 {
		return cpuCost{}
	}
	c := cpuCost{CPUPerMsgUS: round(float64((r.self - r0.self).Microseconds()) / float64(n)),
		RoundTripsPerMsg: round(float64(r.trips-r0.trips) / float64(n))}
	if r.redisOK && r0.redisOK {
		c.RedisCPUPerMsgUS = round(float64((r.redis - r0.redis).Microseconds()) / float64(n))
	}
	return c
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
	cn, err := app.OpenRedis(ctx, config.RedisConfig{URL: url}, false)
	if err != nil {
		return nil, "", nil, err
	}
	return cn.RDB, "redis " + config.RedactURL(url), cn.Close, nil
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

// writeJSON writes v to out as indented JSON: every report's --json form.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// outcomeMap is a campaign's counts by state name, as reports show them.
func outcomeMap(counts store.Counts) map[string]int64 {
	out := make(map[string]int64, len(counts))
	for s, v := range counts {
		out[string(s)] = v
	}
	return out
}

// report prints a load test's JSON summary, and fails the command when the
// campaign did not drain or a recipient was lost or sent twice.
func report(out io.Writer, rep any, lost, duplicates int64, drainErr error) error {
	if err := writeJSON(out, rep); err != nil {
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
