package loadtest

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/internal/term"
	"github.com/wabulk/wabulk/providers"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

// DemoOptions configures the demo. Zero fields take the defaults the
// demo command shows.
type DemoOptions struct {
	Kind       string        // provider kind to simulate; default tujenge
	Recipients int           // recipients in demo-promo; default 3000, at least 100
	Rate       float64       // the provider account's rate limit (messages/s); default 400
	Timeout    time.Duration // give up if the campaigns have not drained by then; default 90s
	OutDir     string        // generated CSVs, rejects and reports; default demo-out
	LogLevel   string        // worker log level; default error
	Seed       uint64        // seed for the generated data and the simulator's faults; default 7
	// UI keeps the web console and the HTTP API up on UIListen (default
	// DefaultUIListen, a free port when taken) once the campaigns drained,
	// until ctx ends.
	UI       bool
	UIListen string
}

// Demo runs the whole pipeline in one process on an embedded Redis and a
// simulated provider of o.Kind: three campaigns that take every path a
// real one does, a re-import that must send nothing, the outcome tables,
// and a check that every recipient has exactly one outcome and nothing was
// sent twice (an error otherwise). Progress goes to errOut.
func Demo(ctx context.Context, o DemoOptions, out, errOut io.Writer) error {
	o = o.withDefaults()
	k, err := providers.LookupKind(o.Kind)
	if err != nil {
		return err
	}
	sc, ok := simulator.ScenarioFor(o.Kind)
	if !ok {
		return fmt.Errorf("the simulator does not speak kind %s", o.Kind)
	}
	if o.Recipients < 100 {
		return errors.New("the demo needs at least 100 recipients")
	}
	n, rateLimit, timeout, outDir, logLevel, seed, kind := &o.Recipients, &o.Rate, &o.Timeout, &o.OutDir, &o.LogLevel, &o.Seed, &o.Kind
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	start := time.Now()

	mini := miniredis.NewMiniRedis()
	if err := mini.Start(); err != nil {
		return fmt.Errorf("start embedded Redis: %w", err)
	}
	defer mini.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	defer rdb.Close()
	cfg := &config.Config{
		Redis:         config.RedisConfig{URL: "embedded", Prefix: "wabulk:"},
		DefaultRegion: region(k),
		Log:           config.LogConfig{Level: *logLevel, Format: "console"},
		Providers: []config.ProviderConfig{{Name: demoAccount, Kind: *kind,
			Rate: *rateLimit, Burst: max(1, int(*rateLimit/10)), PairEvery: config.Duration(time.Second), BackoffRecovery: config.Duration(3 * time.Second),
			Timeout: config.Duration(5 * time.Second)}},
		Worker: config.WorkerConfig{Concurrency: 40, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			RetryBase: config.Duration(300 * time.Millisecond), RetryMax: config.Duration(3 * time.Second), MaxAttempts: 8},
	}
	if k.Receipts == providers.ReceiptsPoll { // receipts are polled: as fast as the account sends, soon after
		cfg.Providers[0].PollRate = *rateLimit
		cfg.Worker.PollFirstAfter = config.Duration(time.Second)
	}
	// The provider keeps the 24-hour window too: an account whose kind
	// delivers no inbound messages (window: provider) sends the follow-up
	// to everyone, and the provider refuses those who never wrote.
	p, closeAll, err := StartInProcess(rdb, simulator.Config{Window: true, Latency: 5 * time.Millisecond, Jitter: 10 * time.Millisecond,
		Faults: map[int]float64{sc.Transient[len(sc.Transient)-1]: 0.01, sc.Throttle: 0.005}, RetryAfter: time.Second, Seed: int64(*seed)}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	sim, simURL := p.Sim, p.SimURL

	fmt.Fprintf(out, "wabulk demo: embedded Redis %s, simulated %s provider %s (%.0f msg/s)\n\n", mini.Addr(), *kind, simURL, *rateLimit)
	d := newDemoData(*seed, *n, k, sc)
	files, err := d.write(*outDir)
	if err != nil {
		return err
	}
	d.program(ctx, sim, p.Store)

	// The worker runs while the campaigns are imported, as in production.
	defer p.StartWorker(ctx)()

	var total int64
	for _, cp := range d.campaigns(time.Now()) {
		res, err := importFile(ctx, p.Producer, cp.spec, files[cp.spec.ID], filepath.Join(*outDir, cp.spec.ID+".rejects.csv"), errOut)
		if err != nil {
			return err
		}
		total += res.Accepted
		fmt.Fprintf(out, "imported %-14s %s\n", cp.spec.ID, cp.about)
		fmt.Fprintf(out, "  %d rows: %d accepted, %d duplicate, %d rejected, %d already present\n", res.Lines, res.Accepted, res.Duplicate, res.Rejected, res.AlreadyPresent)
	}
	fmt.Fprintln(out)

	ids := []string{"demo-promo", "demo-followup", "demo-flash"}
	if err := watch(ctx, p.Store, ids, total, *timeout, errOut); err != nil {
		return err
	}
	if len(p.Pollers) > 0 {
		// First polled PollFirstAfter after acceptance: wait that and a little.
		bound := app.WorkerConfig(cfg, nil).WithDefaults().PollFirstAfter + 5*time.Second
		if err := waitPolled(ctx, p.Store, ids, bound, out, errOut); err != nil {
			return err
		}
	}

	// Re-import: nothing new, nothing sent twice.
	before := sim.Stats()
	res, err := importFile(ctx, p.Producer, d.campaigns(time.Now())[0].spec, files["demo-promo"], filepath.Join(*outDir, "demo-promo.rejects.csv"), io.Discard)
	if err != nil {
		return err
	}
	// A task the re-import queued by mistake would be sent by the running
	// worker: wait until the queues hold nothing, then count.
	if err := waitIdle(ctx, rdb, cfg.Redis.Prefix, cfg.Redis.QueueShards, 30*time.Second); err != nil {
		return err
	}
	after := sim.Stats()
	fmt.Fprintf(out, "\nre-imported demo-promo: %d accepted, %d already present; the provider received %d new messages\n",
		res.Accepted, res.AlreadyPresent, after.Accepted-before.Accepted)

	var problems []string
	if res.Accepted != 0 || after.Accepted != before.Accepted {
		problems = append(problems, "re-import sent something again")
	}
	fmt.Fprintln(out)
	for _, id := range ids {
		counts, err := p.Store.CampaignCounts(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "── %s ──\n", id)
		term.PrintCounts(out, counts)
		fmt.Fprintln(out)
		f, err := os.Create(filepath.Join(*outDir, "report-"+id+".csv"))
		if err != nil {
			return err
		}
		err = producer.WriteReport(ctx, p.Store, id, producer.FormatCSV, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	problems = append(problems, d.verify(ctx, p.Store, sim, ids)...)
	st := sim.Stats()
	fmt.Fprintf(out, "provider (simulator): %d requests, %d accepted, %d distinct recipients, %d duplicates\n  answers by code: %s\n",
		st.Requests, st.Accepted, st.Recipients, st.Duplicates, formatCodes(st.ByCode))
	fmt.Fprintf(out, "reports: %s/report-*.csv   rejects: %s/*.rejects.csv\n", *outDir, *outDir)
	var found error
	if len(problems) > 0 {
		found = fmt.Errorf("demo found problems:\n  %s", strings.Join(problems, "\n  "))
	} else {
		fmt.Fprintf(out, "\nOK: every recipient has exactly one outcome, nothing was sent twice (%.1fs)\n", time.Since(start).Seconds())
	}
	if o.UI {
		if err := serveUI(ctx, o, cfg, rdb, p, out); err != nil {
			return errors.Join(found, err)
		}
	}
	return found
}

// formatCodes prints answer counts as "200: 3085, 408: 19, ...".
func formatCodes(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) < len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func importFile(ctx context.Context, pr *producer.Producer, spec *producer.Spec, path, rejects string, errOut io.Writer) (producer.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return producer.Result{}, err
	}
	defer f.Close()
	rej := &term.LazyFile{Path: rejects}
	defer rej.Close()
	return pr.Import(ctx, spec, f, producer.Options{Format: "csv", Rejects: rej})
}

// watch shows the campaigns draining until every message has an outcome.
// Reads that fail (a Redis failover) are retried for watchReadGrace.
func watch(ctx context.Context, st *store.Store, ids []string, total int64, timeout time.Duration, errOut io.Writer) error {
	bar := term.NewProgress(errOut)
	defer bar.Done()
	deadline := time.Now().Add(timeout)
	t0 := time.Now()
	base := int64(-1) // accepted before watching began
	var failingSince time.Time
	var done int64 // the last outcomes read
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		d, taken, err := progressOf(ctx, st, ids)
		switch {
		case err != nil && failingSince.IsZero():
			failingSince = time.Now()
		case err == nil:
			failingSince = time.Time{}
		}
		if err != nil && time.Since(failingSince) > watchReadGrace {
			bar.Done()
			return fmt.Errorf("campaign counts unreadable for %v: %w", watchReadGrace, err)
		}
		if err == nil {
			done = d
			if base < 0 {
				base = taken
			}
			finished := done >= total
			extra := ""
			if el := time.Since(t0); el > time.Second {
				extra = fmt.Sprintf("%.0f msg/s accepted", float64(taken-base)/el.Seconds())
			}
			bar.Update("sending", done, total, extra, finished)
			if finished {
				return nil
			}
		}
		if time.Now().After(deadline) {
			bar.Done()
			return fmt.Errorf("campaigns not drained after %v: %d of %d have an outcome", timeout, done, total)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// watchReadGrace is how long watch keeps polling through failing reads: a
// Redis failover (Sentinel or Cluster) fails them for a few seconds.
const watchReadGrace = 30 * time.Second

// progressOf sums the campaigns' outcomes (done) and the messages a
// provider took (taken).
func progressOf(ctx context.Context, st *store.Store, ids []string) (done, taken int64, err error) {
	for _, id := range ids {
		c, err := st.CampaignCounts(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		done += c.Outcomes()
		for s, n := range c {
			if s.ProviderTook() {
				taken += n
			}
		}
	}
	return done, taken, nil
}

// tzMobilePrefixes are Tanzanian mobile ranges phonenumbers accepts.
var tzMobilePrefixes = []string{"71", "74", "75", "76", "77", "78", "65", "68", "69"}

// tzMobile is the i-th of ten million distinct, valid Tanzanian mobile
// numbers per prefix, in E.164.
func tzMobile(i int) string {
	return fmt.Sprintf("+255%s%07d", tzMobilePrefixes[i%len(tzMobilePrefixes)], (i/len(tzMobilePrefixes))%10_000_000)
}

// ugMobile is the i-th of many distinct, valid Ugandan mobile numbers
// (Socnet reaches Ugandan numbers only).
func ugMobile(i int) string {
	prefixes := []string{"70", "71", "74", "75", "76", "77", "78"}
	return fmt.Sprintf("+256%s%07d", prefixes[i%len(prefixes)], (i/len(prefixes))%10_000_000)
}

// demoAccount is the demo's provider account name.
const demoAccount = "demo"

// region is where the generated recipients live: the provider's reach,
// Tanzania for providers that reach any number.
func region(k *providers.Kind) string { return cmp.Or(k.Reach, "TZ") }

// mobile is the i-th generated mobile number of region, in E.164.
func mobile(region string) func(int) string {
	if region == "UG" {
		return ugMobile
	}
	return tzMobile
}

// demoData generates the demo's recipients and knows what should happen
// to each.
type demoData struct {
	kind      *providers.Kind
	sc        simulator.Scenario
	rnd       *rand.Rand
	n         int
	promo     [][]string // rows of demo-promo (phone, name, code)
	followup  [][]string
	flash     [][]string
	inWindow  []string // E.164 contacts that wrote recently
	outWindow []string // E.164 contacts that never wrote
	scripted  map[string][]int
	neverSent []string // must never reach the provider
}

var demoNames = []string{"Amina", "Baraka", "Chiku", "Daudi", "Eshe", "Faraji", "Gift", "Halima", "Imani", "Juma", "Khadija", "Lulu", "Mosi", "Neema", "Omari", "Pendo", "Rehema", "Salim", "Tumaini", "Zawadi"}

func newDemoData(seed uint64, n int, kind *providers.Kind, sc simulator.Scenario) *demoData {
	return &demoData{kind: kind, sc: sc, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: n, scripted: map[string][]int{}}
}

// number i as E.164 and as a person might have typed it.
func (d *demoData) number(i int) (e164, typed string) {
	e164 = mobile(region(d.kind))(i)
	cc := e164[1:4]
	national := e164[4:]
	switch i % 4 {
	case 0:
		typed = e164
	case 1:
		typed = "0" + national[:3] + " " + national[3:6] + " " + national[6:]
	case 2:
		typed = "00" + cc + national
	default:
		typed = "+" + cc + " " + national[:3] + "-" + national[3:]
	}
	return e164, typed
}

func (d *demoData) write(dir string) (map[string]string, error) {
	name := func(i int) string { return demoNames[i%len(demoNames)] }
	for i := 0; i < d.n; i++ {
		_, typed := d.number(i)
		row := []string{typed, name(i), fmt.Sprintf("SPRING%03d", i%1000)}
		switch {
		case i%97 == 13:
			row[0] = []string{"12345", "not-a-number", "", "+999 123"}[i%4]
		case i%89 == 7:
			row[1] = "" // a missing template parameter
		}
		d.promo = append(d.promo, row)
		if i%101 == 50 && i > 0 { // the same person again, typed differently
			_, again := d.number(i - 1)
			d.promo = append(d.promo, []string{again, name(i - 1), "SPRING999"})
		}
	}
	// Follow-up: 300 customers who chatted with support; two thirds wrote
	// in the last 24 hours.
	for i := 0; i < 300; i++ {
		e, typed := d.number(d.n + 5000 + i)
		d.followup = append(d.followup, []string{typed, name(i), ""})
		if i%3 == 2 {
			d.outWindow = append(d.outWindow, e)
		} else {
			d.inWindow = append(d.inWindow, e)
		}
	}
	for i := 0; i < 50; i++ {
		_, typed := d.number(d.n + 1000 + i)
		d.flash = append(d.flash, []string{typed, name(i), "FLASH"})
	}
	files := map[string]string{}
	for id, rows := range map[string][][]string{"demo-promo": d.promo, "demo-followup": d.followup, "demo-flash": d.flash} {
		path := filepath.Join(dir, id+".csv")
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		w := csv.NewWriter(f)
		_ = w.Write([]string{"phone", "name", "code"})
		_ = w.WriteAll(rows)
		if err := f.Close(); err != nil {
			return nil, err
		}
		files[id] = path
	}
	return files, nil
}

// program scripts the simulator's answers and the contacts' last inbound
// messages, which both wabulk (for accounts that enforce the window) and
// the provider saw.
func (d *demoData) program(ctx context.Context, sim *simulator.Simulator, st *store.Store) {
	sc := d.sc
	template := sc.Template
	if template == 0 {
		template = sc.Permanent
	}
	last := sc.Transient[len(sc.Transient)-1]
	scripts := [][]int{{sc.Transient[0], 200}, {sc.Throttle, 200}, {last, last, 200}, {sc.Permanent}, {template}}
	for i := 0; i < 100; i++ {
		e, _ := d.number(10 + i*7)
		s := scripts[i%len(scripts)]
		sim.Script(e, s...)
		d.scripted[e] = s
	}
	now := time.Now()
	if d.kind.TextOnly {
		// The promo is a free-form message: to contacts who wrote in.
		for i := 0; i < d.n; i++ {
			e, _ := d.number(i)
			wrote := now.Add(-time.Duration(1+i%20) * time.Hour)
			_ = st.SetLastInbound(ctx, demoAccount, "", e, wrote)
			sim.MarkInbound(e, wrote)
		}
	}
	for i, e := range d.inWindow {
		wrote := now.Add(-time.Duration(1+i%20) * time.Hour)
		_ = st.SetLastInbound(ctx, demoAccount, "", e, wrote)
		sim.MarkInbound(e, wrote)
		if i%20 == 0 && sc.Window != 0 { // the provider says the window is closed anyway
			sim.Script(e, sc.Window)
		}
	}
	d.neverSent = append(d.neverSent, d.outWindow...)
	for _, row := range d.flash {
		e, _ := message.NormalizePhone(row[0], region(d.kind))
		d.neverSent = append(d.neverSent, e)
	}
}

type demoCampaign struct {
	spec  *producer.Spec
	about string
}

func (d *demoData) campaigns(now time.Time) []demoCampaign {
	tmpl := message.Content{Template: &message.Template{Name: "spring_promo", Language: "en", Body: []string{"{{name}}", "{{code}}"}}}
	about := "template, faults along the way"
	switch {
	case d.kind.TextOnly:
		tmpl = message.Content{Text: &message.Text{Body: "Hi {{name}}, your spring code is {{code}}."}}
		about = "text to contacts who wrote in, faults along the way"
	case d.kind.TemplateParams == 1: // one parameter (Socnet's msg)
		tmpl.Template.Body = []string{"{{code}}"}
	}
	return []demoCampaign{
		{&producer.Spec{ID: "demo-promo", Account: demoAccount, Message: tmpl, TTL: producer.Duration(time.Hour)}, about},
		{&producer.Spec{ID: "demo-followup", Account: demoAccount, TTL: producer.Duration(time.Hour),
			Message: message.Content{Text: &message.Text{Body: "Hi {{name}}, thanks for writing back! Your order ships today."}}, Priority: "high"},
			"free-form text: 24-hour window"},
		{&producer.Spec{ID: "demo-flash", Account: demoAccount, Message: tmpl, TTL: producer.Duration(time.Hour),
			SendAt: now.Add(-2 * time.Hour)}, "TTL already passed"},
	}
}

// verify checks every recipient against what must have happened to it.
func (d *demoData) verify(ctx context.Context, st *store.Store, sim *simulator.Simulator, ids []string) []string {
	var problems []string
	bad := func(format string, a ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, a...))
		}
	}
	var took int64
	for _, id := range ids {
		var n int64
		_ = st.EachMember(ctx, id, 1000, func(recs []*store.Record) error {
			for _, r := range recs {
				n++
				if !r.Status.Outcome() {
					bad("%s has no outcome (%s)", r.ID, r.Status)
				}
				if r.Status.ProviderTook() {
					took++
					if sim.Accepted(r.To) == 0 {
						bad("%s is %s but the provider never accepted it", r.ID, r.Status)
					}
				}
			}
			return nil
		})
		counts, _ := st.CampaignCounts(ctx, id)
		if counts.Total() != n {
			bad("%s: counters say %d messages, records say %d", id, counts.Total(), n)
		}
	}
	for _, e := range d.neverSent {
		if sim.Accepted(e) != 0 {
			bad("%s reached the provider but must not have (expired or outside the window)", e)
		}
	}
	if s := sim.Stats(); s.Duplicates != 0 {
		bad("the provider received %d duplicate sends", s.Duplicates)
	} else if s.Accepted != took {
		bad("the provider accepted %d messages, records show %d", s.Accepted, took)
	}
	return problems
}

func (o DemoOptions) withDefaults() DemoOptions {
	if o.UIListen == "" {
		o.UIListen = DefaultUIListen
	}
	o.Kind = cmp.Or(o.Kind, "tujenge")
	o.Recipients = cmp.Or(o.Recipients, 3000)
	o.Rate = cmp.Or(o.Rate, 400)
	o.Timeout = cmp.Or(o.Timeout, 90*time.Second)
	o.OutDir = cmp.Or(o.OutDir, "demo-out")
	o.LogLevel = cmp.Or(o.LogLevel, "error")
	o.Seed = cmp.Or(o.Seed, 7)
	return o
}

// waitIdle waits until no lane queue under prefix (any of a lane's shards
// of queue_shards) holds a task that is pending, active, scheduled or
// waiting to be retried.
func waitIdle(ctx context.Context, rdb redis.UniversalClient, prefix string, shards int, bound time.Duration) error {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(bound)
	for {
		queues, err := insp.Queues()
		if err != nil {
			return err
		}
		busy := 0
		for _, l := range message.Lanes {
			for _, name := range message.LaneQueues(prefix, l, shards) {
				if !slices.Contains(queues, name) {
					continue // no task ever went on this shard
				}
				q, err := insp.GetQueueInfo(name)
				if err != nil {
					return err
				}
				busy += q.Pending + q.Active + q.Scheduled + q.Retry
			}
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the queues still hold %d tasks after %v", busy, bound)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
