package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/store"
)

func runDemo(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("demo", "[flags]", `
Runs the whole pipeline in one process, with nothing to install: an embedded
Redis (miniredis), a simulated provider speaking the wire format of
--provider (tujenge by default; taqnyat, socnet, modica, decisiontelecom,
meta), and a worker. It generates three campaigns that take every path a
real one does:

  demo-promo     a template campaign; its CSV has invalid numbers, duplicates,
                 national and international formats, and rows with a missing
                 parameter; the provider answers some sends with transient
                 errors (e.g. 408, 429, 503) before accepting, and refuses some
                 permanently (e.g. 400, template missing)
  demo-followup  a free-form message: only contacts who wrote in the last 24 h
                 may get it (the others end window_closed without a request);
                 the provider closes the window for a few (e.g. 470)
  demo-flash     a flash sale whose TTL passed before it could go out: expired,
                 never sent

Codes follow the provider: each kind answers in its own vocabulary. Modica's
gateway carries text only, so over modica the promo is a text message to
contacts who wrote in; Socnet reaches Ugandan numbers only, so over socnet
the recipients are Ugandan.

It shows progress, prints the outcome table, re-imports demo-promo to show
nothing is sent twice, and exits 0 only when every recipient has exactly one
outcome and the simulator saw no duplicate. Files (recipients, rejects,
reports) go to --out.`, errOut)
	n := fs.Int("recipients", 3000, "recipients in demo-promo")
	rateLimit := fs.Float64("rate", 400, "the provider account's rate limit (messages/s)")
	timeout := fs.Duration("timeout", 90*time.Second, "give up if the campaigns have not drained by then")
	outDir := fs.String("out", "demo-out", "directory for the generated CSVs, rejects and reports")
	logLevel := fs.String("log-level", "error", "worker log level (debug, info, warn, error)")
	seed := fs.Uint64("seed", 7, "seed for the generated data and the simulator's faults")
	kind := fs.String("provider", "tujenge", "provider kind to simulate: "+strings.Join(publicKinds(), ", "))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 100 {
		return usagef("--recipients must be at least 100")
	}
	sc, ok := simulator.ScenarioFor(*kind)
	if _, known := providerKinds[*kind]; !ok || !known {
		return usagef("--provider %q: want one of %s", *kind, strings.Join(publicKinds(), ", "))
	}
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
	cfg := &Config{
		Redis:         RedisConfig{URL: "embedded", Prefix: "wabulk:"},
		DefaultRegion: demoRegion(*kind),
		Log:           LogConfig{Level: *logLevel, Format: "console"},
		Providers: []ProviderConfig{{Name: demoAccount, Kind: *kind,
			Rate: *rateLimit, Burst: max(1, int(*rateLimit/10)), PairEvery: Duration(time.Second), BackoffRecovery: Duration(3 * time.Second),
			Timeout: Duration(5 * time.Second)}},
		Worker: WorkerConfig{Concurrency: 40, DelayedTaskCheckInterval: Duration(200 * time.Millisecond),
			RetryBase: Duration(300 * time.Millisecond), RetryMax: Duration(3 * time.Second), MaxAttempts: 8},
	}
	if pollKinds()[*kind] { // receipts are polled: as fast as the account sends, soon after
		cfg.Providers[0].PollRate = *rateLimit
		cfg.Worker.PollFirstAfter = Duration(time.Second)
	}
	p, closeAll, err := startInProcess(rdb, simulator.Config{Latency: 5 * time.Millisecond, Jitter: 10 * time.Millisecond,
		Faults: map[int]float64{sc.Transient[len(sc.Transient)-1]: 0.01, sc.Throttle: 0.005}, RetryAfter: time.Second, Seed: int64(*seed)}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	sim, simURL := p.sim, p.simURL

	fmt.Fprintf(out, "wabulk demo: embedded Redis %s, simulated %s provider %s (%.0f msg/s)\n\n", mini.Addr(), *kind, simURL, *rateLimit)
	d := newDemoData(*seed, *n, *kind, sc)
	files, err := d.write(*outDir)
	if err != nil {
		return err
	}
	d.program(ctx, sim, p.store)

	// The worker runs while the campaigns are imported, as in production.
	defer p.startWorker(ctx)()

	var total int64
	for _, cp := range d.campaigns(time.Now()) {
		res, err := importFile(ctx, p.producer, cp.spec, files[cp.spec.ID], filepath.Join(*outDir, cp.spec.ID+".rejects.csv"), errOut)
		if err != nil {
			return err
		}
		total += res.Accepted
		fmt.Fprintf(out, "imported %-14s %s\n", cp.spec.ID, cp.about)
		fmt.Fprintf(out, "  %d rows: %d accepted, %d duplicate, %d rejected, %d already present\n", res.Lines, res.Accepted, res.Duplicate, res.Rejected, res.AlreadyPresent)
	}
	fmt.Fprintln(out)

	ids := []string{"demo-promo", "demo-followup", "demo-flash"}
	if err := watch(ctx, p.store, ids, total, *timeout, errOut); err != nil {
		return err
	}
	if len(p.pollers) > 0 {
		// First polled PollFirstAfter after acceptance: wait that and a little.
		bound := workerConfig(cfg, nil).WithDefaults().PollFirstAfter + 5*time.Second
		if err := waitPolled(ctx, p.store, ids, bound, out, errOut); err != nil {
			return err
		}
	}

	// Re-import: nothing new, nothing sent twice.
	before := sim.Stats()
	res, err := importFile(ctx, p.producer, d.campaigns(time.Now())[0].spec, files["demo-promo"], filepath.Join(*outDir, "demo-promo.rejects.csv"), io.Discard)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // let a wrongly queued task show itself
	after := sim.Stats()
	fmt.Fprintf(out, "\nre-imported demo-promo: %d accepted, %d already present; the provider received %d new messages\n",
		res.Accepted, res.AlreadyPresent, after.Accepted-before.Accepted)

	var problems []string
	if res.Accepted != 0 || after.Accepted != before.Accepted {
		problems = append(problems, "re-import sent something again")
	}
	fmt.Fprintln(out)
	for _, id := range ids {
		counts, err := p.store.CampaignCounts(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "── %s ──\n", id)
		printCounts(out, counts)
		fmt.Fprintln(out)
		f, err := os.Create(filepath.Join(*outDir, "report-"+id+".csv"))
		if err != nil {
			return err
		}
		err = writeReport(ctx, p.store, id, "csv", f)
		f.Close()
		if err != nil {
			return err
		}
	}
	problems = append(problems, d.verify(ctx, p.store, sim, ids)...)
	st := sim.Stats()
	fmt.Fprintf(out, "provider (simulator): %d requests, %d accepted, %d distinct recipients, %d duplicates\n  answers by code: %s\n",
		st.Requests, st.Accepted, st.Recipients, st.Duplicates, formatCodes(st.ByCode))
	fmt.Fprintf(out, "reports: %s/report-*.csv   rejects: %s/*.rejects.csv\n", *outDir, *outDir)
	if len(problems) > 0 {
		return fmt.Errorf("demo found problems:\n  %s", strings.Join(problems, "\n  "))
	}
	fmt.Fprintf(out, "\nOK: every recipient has exactly one outcome, nothing was sent twice (%.1fs)\n", time.Since(start).Seconds())
	return nil
}

// formatCodes prints answer counts as "200: 3085, 408: 19, ...".
func formatCodes(m map[string]int64) string {
	keys := sortedKeys(m)
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
	rej := &lazyFile{path: rejects}
	defer rej.Close()
	return pr.Import(ctx, spec, f, producer.Options{Format: "csv", Rejects: rej})
}

// watch shows the campaigns draining until every message has an outcome.
func watch(ctx context.Context, st *store.Store, ids []string, total int64, timeout time.Duration, errOut io.Writer) error {
	bar := newProgress(errOut)
	defer bar.done()
	deadline := time.Now().Add(timeout)
	t0 := time.Now()
	base := int64(-1) // accepted before watching began
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var done, taken int64
		for _, id := range ids {
			c, err := st.CampaignCounts(ctx, id)
			if err != nil {
				return err
			}
			done += c.Outcomes()
			for s, n := range c {
				if s.ProviderTook() {
					taken += n
				}
			}
		}
		if base < 0 {
			base = taken
		}
		finished := done >= total
		extra := ""
		if el := time.Since(t0); el > time.Second {
			extra = fmt.Sprintf("%.0f msg/s accepted", float64(taken-base)/el.Seconds())
		}
		bar.update("sending", done, total, extra, finished)
		if finished {
			return nil
		}
		if time.Now().After(deadline) {
			bar.done()
			return fmt.Errorf("campaigns not drained after %v: %d of %d have an outcome", timeout, done, total)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
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

func demoRegion(kind string) string {
	if kind == "socnet" {
		return "UG"
	}
	return "TZ"
}

// textOnly reports whether a provider kind carries no templates.
func textOnly(kind string) bool { return kind == "modica" }

// demoData generates the demo's recipients and knows what should happen
// to each.
type demoData struct {
	kind       string
	sc         simulator.Scenario
	rnd        *rand.Rand
	n          int
	promo      [][]string // rows of demo-promo (phone, name, code)
	followup   [][]string
	flash      [][]string
	inWindow   []string // E.164 contacts that wrote recently
	outWindow  []string // E.164 contacts that never wrote
	scripted   map[string][]int
	neverSent  []string // must never reach the provider
	windowFrom time.Time
}

var demoNames = []string{"Amina", "Baraka", "Chiku", "Daudi", "Eshe", "Faraji", "Gift", "Halima", "Imani", "Juma", "Khadija", "Lulu", "Mosi", "Neema", "Omari", "Pendo", "Rehema", "Salim", "Tumaini", "Zawadi"}

func newDemoData(seed uint64, n int, kind string, sc simulator.Scenario) *demoData {
	return &demoData{kind: kind, sc: sc, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: n, scripted: map[string][]int{}}
}

// number i as E.164 and as a person might have typed it.
func (d *demoData) number(i int) (e164, typed string) {
	e164 = tzMobile(i)
	if d.kind == "socnet" {
		e164 = ugMobile(i)
	}
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
// messages.
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
	if textOnly(d.kind) {
		// The promo is a free-form message: to contacts who wrote in.
		for i := 0; i < d.n; i++ {
			e, _ := d.number(i)
			_ = st.SetLastInbound(ctx, demoAccount, "", e, now.Add(-time.Duration(1+i%20)*time.Hour))
		}
	}
	for i, e := range d.inWindow {
		_ = st.SetLastInbound(ctx, demoAccount, "", e, now.Add(-time.Duration(1+i%20)*time.Hour))
		if i%20 == 0 && sc.Window != 0 { // the provider says the window is closed anyway
			sim.Script(e, sc.Window)
		}
	}
	d.neverSent = append(d.neverSent, d.outWindow...)
	for _, row := range d.flash {
		e, _ := message.NormalizePhone(row[0], demoRegion(d.kind))
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
	case textOnly(d.kind):
		tmpl = message.Content{Text: &message.Text{Body: "Hi {{name}}, your spring code is {{code}}."}}
		about = "text to contacts who wrote in, faults along the way"
	case d.kind == "socnet": // one parameter: Socnet's msg
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
