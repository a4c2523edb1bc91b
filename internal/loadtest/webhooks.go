package loadtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/term"
	"github.com/wabulk/wabulk/receipts"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
)

// The webhook ingest goal the figures are read against (BENCHMARKS.md).
const (
	webhookGoalPerSec = 5000
	webhookGoalP99MS  = 10
)

// WebhookOptions configure the webhook ingest benchmark (loadtest webhooks).
type WebhookOptions struct {
	Kind, RedisURL string
	N, Concurrency int
	Bare, JSON     bool
	Timeout        time.Duration
}

// webhookReport is what loadtest webhooks prints, as a table or JSON.
type webhookReport struct {
	Provider    string `json:"provider"`
	Auth        string `json:"auth"`
	Redis       string `json:"redis"`
	Callbacks   int    `json:"callbacks"`
	Concurrency int    `json:"concurrency"`
	// WarmUp callbacks went to both receivers before the measured ones.
	WarmUp int `json:"warm_up"`

	Webhooks webhookPhase  `json:"webhooks"`
	Floor    webhookPhase  `json:"http_floor"`
	Bare     *webhookPhase `json:"bare_enqueue,omitempty"`
	// Ratio is webhooks/s over the floor's; P99OverFloorMS the p99
	// difference.
	Ratio          float64 `json:"ratio_throughput_to_floor"`
	P99OverFloorMS float64 `json:"p99_over_floor_ms"`

	// Durability: the events queue after the webhook run.
	EventsQueue  string `json:"events_queue"`
	EventsTasks  int64  `json:"events_tasks"`
	Acknowledged int64  `json:"acknowledged"`
	// Lost: answered 2xx, yet no events task carries the callback's
	// message id. Duplicates: more than one task carries it. Unanswered:
	// stored, but the answer was not a 2xx (the provider would retry).
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	Unanswered int64 `json:"stored_unacknowledged"`
}

// webhookPhase is one side of the comparison: N requests (or enqueues)
// from the same pool of concurrent clients.
type webhookPhase struct {
	PerSec     float64 `json:"per_sec"`
	P50MS      float64 `json:"p50_ms"`
	P95MS      float64 `json:"p95_ms"`
	P99MS      float64 `json:"p99_ms"`
	MaxMS      float64 `json:"max_ms"`
	OK         int64   `json:"ok"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	ElapsedSec float64 `json:"elapsed_sec"`
}

// hookLoad is one run's callbacks, pre-rendered so that rendering and
// signing them is not measured.
type hookLoad struct {
	calls    []simulator.Callback
	payloads [][]byte // the events task payload each would make, for --bare
}

func Webhooks(ctx context.Context, opt WebhookOptions, out, prog io.Writer) error {
	k, err := providers.LookupKind(opt.Kind)
	if err != nil {
		return err
	}
	if len(k.Webhook) == 0 {
		return fmt.Errorf("kind %s sends no callbacks, so serve has no endpoint for it; pick another kind", opt.Kind)
	}
	if opt.N <= 0 || opt.Concurrency <= 0 {
		return errors.New("the number of callbacks and the concurrency must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	rdb, label, closeRedis, err := loadRedis(ctx, opt.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	prefix := "wabulk-lt-" + randHex(4) + ":"
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	// The account as a config file would have it; serve's own functions
	// turn it into the receiver and its HTTP server.
	cfg, secret, basic := webhookLoadConfig(k, prefix)
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	accounts, _, err := app.WebhookAccounts(cfg)
	if err != nil {
		return err
	}
	log, err := app.NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	hooks, err := app.NewWebhooks(cfg, accounts, client, log)
	if err != nil {
		return err
	}
	hookURL, stopHooks, err := serveLoopback(app.HTTPServer(hooks, log))
	if err != nil {
		return err
	}
	defer stopHooks()
	floorURL, stopFloor, err := serveLoopback(app.HTTPServer(http.HandlerFunc(httpFloor), log))
	if err != nil {
		return err
	}
	defer stopFloor()

	// Warm-up callbacks (other message ids) go to both receivers first,
	// unmeasured: connections dialled, asynq's script loaded, the runtime
	// settled. Their tasks are checked like the others.
	warm := min(1000, max(1, opt.N/20))
	load, err := renderWebhookLoad(opt.Kind, opt.N+warm, secret, basic, accounts["lt"].Parser, opt.Bare)
	if err != nil {
		return err
	}
	rep := &webhookReport{Provider: opt.Kind, Auth: app.AuthOf(accounts["lt"]), Redis: label, Callbacks: opt.N,
		Concurrency: opt.Concurrency, EventsQueue: receipts.Queue(prefix), WarmUp: warm}

	acked := make([]bool, len(load.calls))
	path := receipts.WebhookPath("lt", accounts["lt"].PathToken)
	floor, closeFloor := httpPhase("http floor", floorURL+path, load.calls, opt.Concurrency, nil)
	defer closeFloor()
	ours, closeOurs := httpPhase("webhooks", hookURL+path, load.calls, opt.Concurrency, acked)
	defer closeOurs()
	phases := []*phase{floor, ours}
	if opt.Bare {
		queue := prefix + "bare-events"
		phases = append(phases, &phase{name: "bare enqueue", do: func(ctx context.Context, i int) error {
			_, err := client.EnqueueContext(ctx, asynq.NewTask(receipts.TypeEvents, load.payloads[i]), asynq.Queue(queue))
			return err
		}})
	}
	for _, p := range []*phase{floor, ours} {
		var discard atomic.Int64
		if _, failed, first := fire(ctx, opt.N, opt.N+warm, opt.Concurrency, make([]float64, opt.N+warm), &discard, p.do); failed != 0 {
			return fmt.Errorf("warm-up of %s: %d of %d not answered 2xx (first: %s)", p.name, failed, warm, first)
		}
	}
	if err := measure(ctx, phases, opt.N, opt.Concurrency, prog); err != nil {
		return err
	}
	rep.Floor, rep.Webhooks = floor.result(opt.N), ours.result(opt.N)
	if opt.Bare {
		b := phases[2].result(opt.N)
		rep.Bare = &b
	}
	if rep.Floor.PerSec > 0 {
		rep.Ratio = round(rep.Webhooks.PerSec / rep.Floor.PerSec)
	}
	rep.P99OverFloorMS = round(rep.Webhooks.P99MS - rep.Floor.P99MS)

	if err := checkStored(ctx, rdb, rep, load.calls, acked, prog); err != nil {
		return err
	}
	if opt.JSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printWebhookReport(out, rep)
	}
	switch {
	case rep.Lost != 0 || rep.Duplicates != 0:
		return fmt.Errorf("%d callbacks answered 2xx have no events task, %d have more than one", rep.Lost, rep.Duplicates)
	case rep.Webhooks.Errors != 0 || rep.Floor.Errors != 0:
		return fmt.Errorf("%d webhook and %d floor requests were not answered 2xx (first: %s)",
			rep.Webhooks.Errors, rep.Floor.Errors, firstNonEmpty(rep.Webhooks.FirstError, rep.Floor.FirstError))
	}
	return nil
}

// webhookLoadConfig is a config with one account "lt" of kind k,
// authenticated the way the kind recommends (its first Webhook way): a
// signature (Meta's app_secret), a secret header (Tujenge's webhook config
// carries one), a path token (DecisionTelecom's callback_url travels with
// every message), or HTTP Basic credentials in the callback URL. It
// returns the signing secret and the headers the other ways send.
func webhookLoadConfig(k *providers.Kind, prefix string) (cfg *config.Config, signWith string, auth http.Header) {
	secret := "lt-" + randHex(16)
	p := config.ProviderConfig{Name: "lt", Kind: k.Name}
	// The kind's non-secret required fields (a source, a user name, a
	// phone number id), as the simulator's account has them.
	sim, _ := k.Simulated("")
	for _, f := range k.Fields {
		if !f.Secret && f.Required {
			p.Set(f.Name, sim.Get(f.Name))
		}
	}
	auth = http.Header{}
	switch k.Webhook[0] {
	case providers.WebhookSigned:
		p.Set(k.SigningSecret, secret)
		if k.HandshakeToken != "" {
			p.Set(k.HandshakeToken, "lt-"+randHex(8))
		}
		signWith = secret
	case providers.WebhookSecretHeader:
		p.WebhookSecretHeader, p.WebhookSecret = "X-Webhook-Secret", config.Secret(secret)
		auth.Set(p.WebhookSecretHeader, secret)
	case providers.WebhookPathToken:
		p.WebhookPathToken = config.Secret("lt-" + randHex(24))
	default:
		p.WebhookUser, p.WebhookPassword = "wabulk-hooks", config.Secret(secret)
		auth.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.WebhookUser+":"+secret)))
	}
	return &config.Config{Redis: config.RedisConfig{URL: "embedded", Prefix: prefix}, Log: config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{p}}, signWith, auth
}

// renderWebhookLoad renders n status receipts (sent, delivered, read in
// turn; delivered where the provider has no such receipt), each about
// another message, with the authentication headers added. With payloads,
// it also parses each one as the receiver does and keeps the events task
// payload it would store.
func renderWebhookLoad(kind string, n int, secret string, auth http.Header, parser providers.CallbackParser, payloads bool) (*hookLoad, error) {
	nonce := strings.ToUpper(randHex(4))
	statuses := []string{"sent", "delivered", "read"}
	now := time.Now()
	l := &hookLoad{calls: make([]simulator.Callback, n)}
	if payloads {
		l.payloads = make([][]byte, n)
	}
	for i := range n {
		r := simulator.Receipt{Nonce: nonce, Seq: uint64(i + 1), Recipient: tzMobile(i), Status: statuses[i%len(statuses)], Time: now}
		cb, ok, err := simulator.RenderReceipt(kind, r, secret)
		if err == nil && !ok {
			r.Status = "delivered"
			cb, ok, err = simulator.RenderReceipt(kind, r, secret)
		}
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("the %s simulator renders no status receipt", kind)
		}
		for k, v := range auth {
			cb.Header[k] = v
		}
		l.calls[i] = cb
		if payloads {
			evs, err := parser.ParseCallback(cb.Header, cb.Body)
			if err != nil {
				return nil, fmt.Errorf("parse the rendered %s receipt: %w", kind, err)
			}
			l.payloads[i], err = json.Marshal(receipts.Batch{Account: "lt", Received: now.UTC(), Events: evs})
			if err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

// httpFloor is the baseline receiver: it reads the body and answers 200,
// without authenticating, parsing or storing anything.
func httpFloor(rw http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, 1<<20)); err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

// serveLoopback runs srv on a free loopback port until stop.
func serveLoopback(srv *http.Server) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// phase is one side of the comparison: do(i) handles callback i, and the
// figures add up over the rounds it ran.
type phase struct {
	name     string
	do       func(ctx context.Context, i int) error
	lat      []float64 // ms, by callback index
	elapsed  time.Duration
	failed   int64
	firstErr string
}

func (p *phase) result(n int) webhookPhase {
	var worst float64
	for _, v := range p.lat[:n] {
		worst = max(worst, v)
	}
	return webhookPhase{
		PerSec:     round(float64(n) / p.elapsed.Seconds()),
		P50MS:      percentile(p.lat[:n], 0.50),
		P95MS:      percentile(p.lat[:n], 0.95),
		P99MS:      percentile(p.lat[:n], 0.99),
		MaxMS:      round(worst),
		OK:         int64(n) - p.failed,
		Errors:     p.failed,
		FirstError: p.firstErr,
		ElapsedSec: round(p.elapsed.Seconds()),
	}
}

// httpPhase POSTs callbacks to url over conc keep-alive connections of
// its own; a 2xx answer to callback i sets acked[i] (when acked is not
// nil). close drops the connections.
func httpPhase(name, url string, calls []simulator.Callback, conc int, acked []bool) (p *phase, close func()) {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		MaxConnsPerHost:     conc,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	do := func(ctx context.Context, i int) error {
		cb := calls[i]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(cb.Body))
		if err != nil {
			return err
		}
		req.Header = cb.Header // read only: the transport does not write it
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("answered %s", resp.Status)
		}
		if acked != nil {
			acked[i] = true
		}
		return nil
	}
	return &phase{name: name, do: do}, tr.CloseIdleConnections
}

// measure runs callbacks 0..n-1 through every phase, interleaved: in each
// of a few rounds every phase takes the same slice of the callbacks in
// turn, so that whatever else the machine does lands on all of them alike.
func measure(ctx context.Context, phases []*phase, n, conc int, prog io.Writer) error {
	rounds := max(1, min(5, n/2000))
	var done atomic.Int64
	var current atomic.Value
	current.Store(phases[0].name)
	total := int64(n * len(phases))
	bar := term.NewProgress(prog)
	stop, stopped := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				bar.Update("measuring", done.Load(), total, current.Load().(string), false)
			}
		}
	}()
	defer func() {
		close(stop)
		<-stopped
		bar.Update("measuring", done.Load(), total, fmt.Sprintf("%.0fs", time.Since(start).Seconds()), true)
		bar.Done()
	}()
	for _, p := range phases {
		p.lat = make([]float64, n)
	}
	for r := range rounds {
		lo, hi := r*n/rounds, (r+1)*n/rounds
		for _, p := range phases {
			current.Store(fmt.Sprintf("round %d/%d: %s", r+1, rounds, p.name))
			runtime.GC() // each phase starts from a clean heap
			el, failed, first := fire(ctx, lo, hi, conc, p.lat, &done, p.do)
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			p.elapsed += el
			p.failed += failed
			if p.firstErr == "" {
				p.firstErr = first
			}
		}
	}
	return nil
}

// fire runs do(i) for every i in [lo, hi) from conc goroutines and puts
// each call's time, from its start to its return, in lat[i] (ms). It
// returns the span of the whole and the calls that failed.
func fire(ctx context.Context, lo, hi, conc int, lat []float64, done *atomic.Int64, do func(ctx context.Context, i int) error) (elapsed time.Duration, failed int64, firstErr string) {
	var next, nfailed atomic.Int64
	var first atomic.Value
	next.Store(int64(lo))
	start := time.Now()
	var wg sync.WaitGroup
	for range min(conc, hi-lo) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				t := time.Now()
				err := do(ctx, i)
				lat[i] = float64(time.Since(t).Nanoseconds()) / 1e6
				if err != nil {
					nfailed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed = time.Since(start)
	firstErr, _ = first.Load().(string)
	return elapsed, nfailed.Load(), firstErr
}

// checkStored reads every task of the events queue back and matches the
// message ids its events carry against the callbacks answered 2xx.
func checkStored(ctx context.Context, rdb redis.UniversalClient, rep *webhookReport, calls []simulator.Callback, acked []bool, prog io.Writer) error {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for _, a := range acked {
		if a {
			rep.Acknowledged++
		}
	}
	info, err := insp.GetQueueInfo(rep.EventsQueue)
	switch {
	case errors.Is(err, asynq.ErrQueueNotFound):
		rep.Lost = rep.Acknowledged
		return nil
	case err != nil:
		return fmt.Errorf("inspect %s: %w", rep.EventsQueue, err)
	}
	rep.EventsTasks = int64(info.Size)
	seen := make(map[string]int, len(calls))
	const page = 5000
	bar := term.NewProgress(prog)
	defer bar.Done()
	for p := 1; ; p++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		tasks, err := insp.ListPendingTasks(rep.EventsQueue, asynq.PageSize(page), asynq.Page(p))
		if err != nil {
			return fmt.Errorf("read %s back: %w", rep.EventsQueue, err)
		}
		for _, t := range tasks {
			var b receipts.Batch
			if t.Type != receipts.TypeEvents {
				return fmt.Errorf("%s holds a task of type %q", rep.EventsQueue, t.Type)
			}
			if err := json.Unmarshal(t.Payload, &b); err != nil {
				return fmt.Errorf("events task %s: %w", t.ID, err)
			}
			for _, e := range b.Events {
				seen[e.ProviderMessageID]++
			}
		}
		bar.Update("verify", int64((p-1)*page+len(tasks)), rep.EventsTasks, "", len(tasks) < page)
		if len(tasks) < page {
			break
		}
	}
	for i, cb := range calls {
		switch c := seen[cb.MessageID]; {
		case acked[i] && c == 0:
			rep.Lost++
		case c > 1:
			rep.Duplicates++
		case !acked[i] && c == 1:
			rep.Unanswered++
		}
	}
	return nil
}

func printWebhookReport(out io.Writer, rep *webhookReport) {
	fmt.Fprintf(out, "webhook ingest: %s, auth %s, %d callbacks, concurrency %d, %s\n\n",
		rep.Provider, rep.Auth, rep.Callbacks, rep.Concurrency, rep.Redis)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tper s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t2xx\terrors\t")
	row := func(name string, p webhookPhase) {
		fmt.Fprintf(tw, "%-26s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t\n", name, thousands(p.PerSec), p.P50MS, p.P95MS, p.P99MS, p.MaxMS, p.OK, p.Errors)
	}
	row("webhooks (serve's handler)", rep.Webhooks)
	row("HTTP floor (read, 200)", rep.Floor)
	if rep.Bare != nil {
		row("bare asynq enqueue", *rep.Bare)
	}
	fmt.Fprintf(tw, "%-26s\t", "webhooks / floor")
	fmt.Fprintf(tw, "%.2f\t\t\t%+.2f\t\t\t\t\n", rep.Ratio, rep.P99OverFloorMS)
	_ = tw.Flush()
	fmt.Fprintf(out, "\ndurability: %d answered 2xx (%d of them warm-up), %d events tasks in %s: %d lost, %d duplicates, %d stored but not answered 2xx\n",
		rep.Acknowledged, rep.WarmUp, rep.EventsTasks, rep.EventsQueue, rep.Lost, rep.Duplicates, rep.Unanswered)
	verdict := "met"
	if rep.Webhooks.PerSec < webhookGoalPerSec || rep.Webhooks.P99MS > webhookGoalP99MS {
		verdict = "NOT met"
	}
	fmt.Fprintf(out, "goal ≥ %s callbacks/s with p99 ≤ %d ms: %s (%s/s, p99 %.2f ms)\n",
		thousands(webhookGoalPerSec), webhookGoalP99MS, verdict, thousands(rep.Webhooks.PerSec), rep.Webhooks.P99MS)
	for _, e := range []struct{ what, err string }{{"webhooks", rep.Webhooks.FirstError}, {"floor", rep.Floor.FirstError}} {
		if e.err != "" {
			fmt.Fprintf(out, "first %s error: %s\n", e.what, e.err)
		}
	}
}

// thousands formats a rate as a whole number with thousands separators.
func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
