package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/wabulk/wabulk/internal/config"
	"github.com/wabulk/wabulk/providers"

	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers/simulator"
)

// FootprintOptions configures the Redis footprint measurement.
type FootprintOptions struct {
	Kind        string // provider kind to simulate; default tujenge
	RedisURL    string // a real Redis (required: INFO memory of miniredis means nothing)
	N           int    // recipients; default 100000
	CampaignID  string // the campaign's id, whose length every key and task carries; default spring-sale
	Concurrency int    // worker concurrency while draining; default 50
	Timeout     time.Duration
	JSON        bool
}

// footprintReport is what loadtest footprint prints.
type footprintReport struct {
	Redis      string `json:"redis"`
	Provider   string `json:"provider"`
	Recipients int64  `json:"recipients"`
	Campaign   string `json:"campaign"`
	Message    string `json:"message"`
	// HashMaxListpackValue is the server's hash-max-listpack-value ("" when
	// CONFIG GET is refused): a task hash with a longer field is a hashtable.
	HashMaxListpackValue string `json:"hash_max_listpack_value,omitempty"`
	// Queued is used_memory after the import minus before it; Finished is
	// used_memory after every recipient has an outcome and the queues are
	// idle, minus the same baseline.
	QueuedBytes          int64   `json:"queued_bytes"`
	QueuedPerRecipient   float64 `json:"queued_bytes_per_recipient"`
	FinishedBytes        int64   `json:"finished_bytes"`
	FinishedPerRecipient float64 `json:"finished_bytes_per_recipient"`
	// QueuedClientBytes and FinishedClientBytes are the part of the
	// deltas that is client connections' buffers (mem_clients_normal),
	// not data.
	QueuedClientBytes   int64            `json:"queued_client_bytes"`
	FinishedClientBytes int64            `json:"finished_client_bytes"`
	Outcomes            map[string]int64 `json:"outcomes"`
	QueuedFamilies      []familyStat     `json:"queued_families"`
	FinishedFamilies    []familyStat     `json:"finished_families"`
}

// familyStat is one key family's share: the keys whose names differ only
// in ids, numbers and dates (e.g. every message record).
type familyStat struct {
	Family string `json:"family"`
	Keys   int64  `json:"keys"`
	// AvgBytes is the mean MEMORY USAGE (SAMPLES 0) of up to
	// familySample keys of the family; Bytes is AvgBytes × Keys.
	AvgBytes     float64 `json:"avg_bytes"`
	Bytes        int64   `json:"bytes"`
	PerRecipient float64 `json:"bytes_per_recipient"`
	// Encoding is the commonest OBJECT ENCODING among the sampled keys,
	// with its share when they differ (e.g. "listpack 97%").
	Encoding string `json:"encoding"`
}

// familySample is how many keys of each family MEMORY USAGE measures.
const familySample = 200

// Footprint measures how much Redis memory wabulk needs per recipient: it
// imports o.N recipients of a text campaign under a key prefix of its own,
// as long as the default "wabulk:" (no worker running), reads INFO memory's used_memory before and after
// (bytes per queued recipient), drains the campaign with an in-process
// worker against the simulator and reads it again (bytes per finished
// recipient). After each phase it breaks the keys down by family with
// MEMORY USAGE on a sample of each. Every key it made is removed at the
// end. The 24-hour window of every recipient is opened before the
// baseline, so those keys are not counted.
func Footprint(ctx context.Context, o FootprintOptions, out, prog io.Writer) error {
	if o.RedisURL == "" {
		return errors.New("footprint needs a real Redis (--redis): INFO memory of an embedded one measures nothing")
	}
	if o.Kind == "" {
		o.Kind = "tujenge"
	}
	if o.N <= 0 {
		o.N = 100_000
	}
	if o.CampaignID == "" {
		o.CampaignID = "spring-sale"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	k, err := providers.LookupKind(o.Kind)
	if err != nil {
		return err
	}
	rdb, label, closeRedis, err := loadRedis(ctx, o.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	if v, err := redisVersion(ctx, rdb); err == nil {
		label += " (" + v + ")"
	}
	prefix, err := footprintPrefix(ctx, rdb)
	if err != nil {
		return err
	}
	defer cleanup(context.WithoutCancel(ctx), rdb, prefix)

	const account = "fp"
	cfg := &config.Config{
		Redis: config.RedisConfig{URL: "embedded", Prefix: prefix}, DefaultRegion: region(k), Log: config.LogConfig{Level: "error", Format: "console"},
		Providers: []config.ProviderConfig{{Name: account, Kind: o.Kind, Rate: -1, PairEvery: config.Off, Timeout: config.Duration(10 * time.Second), MaxConns: o.Concurrency * 2}},
		Worker: config.WorkerConfig{Concurrency: o.Concurrency, DelayedTaskCheckInterval: config.Duration(200 * time.Millisecond),
			RetryBase: config.Duration(200 * time.Millisecond), RetryMax: config.Duration(2 * time.Second)},
	}
	p, closeAll, err := StartInProcess(rdb, simulator.Config{}, cfg)
	if err != nil {
		return err
	}
	defer closeAll()

	const body = "Hello {{name}}"
	spec := &producer.Spec{ID: o.CampaignID, Account: account, TTL: producer.Duration(24 * time.Hour),
		Message: message.Content{Text: &message.Text{Body: body}}}
	number := mobile(region(k))
	fmt.Fprintf(prog, "opening the 24-hour window of %d recipients (not counted)\n", o.N)
	if err := openWindows(ctx, p.Pipeline.Store.SetLastInbound, account, o.N, number); err != nil {
		return err
	}
	fam := families{rdb: rdb, prefix: prefix, campaign: o.CampaignID, account: account}
	base, err := fam.measure(ctx, 1)
	if err != nil {
		return err
	}
	before, err := readMemory(ctx, rdb)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := p.Producer.Import(ctx, spec, recipientsCSV(o.N, number), producer.Options{ExpectedRows: int64(o.N)})
	if err != nil {
		return err
	}
	fmt.Fprintf(prog, "imported %d in %.1fs\n", res.Accepted, time.Since(start).Seconds())
	n := res.Accepted
	if n == 0 {
		return errors.New("nothing was imported")
	}
	queued, err := readMemory(ctx, rdb)
	if err != nil {
		return err
	}
	rep := &footprintReport{Redis: label, Provider: o.Kind, Recipients: n, Campaign: o.CampaignID, Message: body,
		HashMaxListpackValue: configValue(ctx, rdb, "hash-max-listpack-value"),
		QueuedBytes:          queued.used - before.used, QueuedPerRecipient: perRecipient(queued.used-before.used, n),
		QueuedClientBytes: queued.clients - before.clients}
	if rep.QueuedFamilies, err = fam.since(ctx, base, n); err != nil {
		return err
	}

	stopWorker := p.StartWorker(ctx)
	drainErr := watch(ctx, p.Store, []string{spec.ID}, n, o.Timeout, prog)
	if drainErr == nil {
		drainErr = waitIdle(ctx, rdb, prefix, 1, time.Minute)
	}
	stopWorker()
	if drainErr != nil {
		return drainErr
	}
	finished, err := readMemory(ctx, rdb)
	if err != nil {
		return err
	}
	rep.FinishedBytes, rep.FinishedPerRecipient = finished.used-before.used, perRecipient(finished.used-before.used, n)
	rep.FinishedClientBytes = finished.clients - before.clients
	if rep.FinishedFamilies, err = fam.since(ctx, base, n); err != nil {
		return err
	}
	counts, err := p.Store.CampaignCounts(ctx, spec.ID)
	if err != nil {
		return err
	}
	rep.Outcomes = outcomeMap(counts)
	if o.JSON {
		if err := writeJSON(out, rep); err != nil {
			return err
		}
	} else {
		printFootprint(out, rep)
	}
	if d := p.Sim.Stats().Duplicates; d != 0 {
		return fmt.Errorf("%d recipients sent twice", d)
	}
	return nil
}

// footprintPrefix is a key prefix of the default's length ("wabulk:"), so
// that key and queue names (which asynq's task hashes carry) are as long
// as in production, under which no key exists yet.
func footprintPrefix(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	for range 10 {
		prefix := "fp" + randHex(2) + ":"
		iter := rdb.Scan(ctx, 0, prefix+"*", 10_000).Iterator()
		taken := iter.Next(ctx)
		if err := iter.Err(); err != nil {
			return "", fmt.Errorf("scan: %w", err)
		}
		if taken {
			continue
		}
		if queued, err := rdb.SIsMember(ctx, "asynq:queues", message.QueueName(prefix, message.LaneNormal)).Result(); err != nil || queued {
			continue
		}
		return prefix, nil
	}
	return "", errors.New("found no free key prefix of the default's length")
}

// openWindows records an inbound message from each of the n recipients,
// eight at a time.
func openWindows(ctx context.Context, set func(ctx context.Context, account, sender, contact string, t time.Time) error, account string, n int, number func(int) string) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	now := time.Now()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if err := set(ctx, account, "", number(i), now); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// familyBytes is what the families' keys take together.
func familyBytes(fams []familyStat) int64 {
	var sum int64
	for _, f := range fams {
		sum += f.Bytes
	}
	return sum
}

func perRecipient(bytes, n int64) float64 { return round(float64(bytes) / float64(n)) }

// configValue is a server setting, or "" when CONFIG GET is refused (as
// managed Redis services may).
func configValue(ctx context.Context, rdb redis.UniversalClient, name string) string {
	v, err := rdb.ConfigGet(ctx, name).Result()
	if err != nil {
		return ""
	}
	return v[name]
}

// memory is what INFO memory says: used_memory, and of it the normal
// clients' buffers (mem_clients_normal).
type memory struct{ used, clients int64 }

func readMemory(ctx context.Context, rdb redis.UniversalClient) (memory, error) {
	s, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return memory{}, fmt.Errorf("info memory: %w", err)
	}
	var m memory
	for _, f := range []struct {
		name string
		to   *int64
	}{{"used_memory", &m.used}, {"mem_clients_normal", &m.clients}} {
		v, ok := infoField(s, f.name)
		if !ok {
			return memory{}, fmt.Errorf("info memory: no %s", f.name)
		}
		if *f.to, err = strconv.ParseInt(v, 10, 64); err != nil {
			return memory{}, fmt.Errorf("info memory: %s: %w", f.name, err)
		}
	}
	return m, nil
}

func redisVersion(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	s, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	v, ok := infoField(s, "redis_version")
	if !ok {
		return "", errors.New("no redis_version")
	}
	return "redis " + v, nil
}

func infoField(info, name string) (string, bool) {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v, true
		}
	}
	return "", false
}

// families groups a run's keys (its prefix's, and its asynq queues') by
// family and measures a sample of each.
type families struct {
	rdb      redis.UniversalClient
	prefix   string
	campaign string
	account  string
}

// family is a key's name with its variable parts replaced: the run's
// prefix by "<prefix>", its asynq queues by their lane, the campaign id
// and account by {campaign} and {account}, and every other segment that
// holds a digit or '+' (recipients, ids, dates) by '*'.
func (f *families) family(key string) string {
	for _, l := range message.Lanes {
		key = strings.ReplaceAll(key, "{"+message.QueueName(f.prefix, l)+"}", "{"+string(l)+"}")
	}
	if rest, ok := strings.CutPrefix(key, f.prefix); ok {
		key = "<prefix>" + rest
	}
	segs := strings.Split(key, ":")
	for i, s := range segs {
		switch {
		case s == f.campaign || s == "{"+f.campaign+"}":
			segs[i] = "{campaign}"
		case s == f.account || s == "{"+f.account+"}":
			segs[i] = "{account}"
		case strings.ContainsAny(s, "+0123456789"):
			segs[i] = "*"
		}
	}
	return strings.Join(segs, ":")
}

// since measures the families now and subtracts what each held at the
// baseline, leaving out those that did not change.
func (f *families) since(ctx context.Context, base []familyStat, n int64) ([]familyStat, error) {
	now, err := f.measure(ctx, n)
	if err != nil {
		return nil, err
	}
	was := map[string]familyStat{}
	for _, b := range base {
		was[b.Family] = b
	}
	out := now[:0]
	for _, s := range now {
		if b, ok := was[s.Family]; ok {
			if b.Keys == s.Keys && b.Bytes == s.Bytes {
				continue
			}
			s.Bytes -= b.Bytes
			s.PerRecipient = perRecipient(s.Bytes, n)
		}
		out = append(out, s)
	}
	return out, nil
}

// measure scans the run's keys, counts them by family and measures up to
// familySample keys of each, chosen at random.
func (f *families) measure(ctx context.Context, n int64) ([]familyStat, error) {
	type acc struct {
		keys   int64
		sample []string
	}
	byFam := map[string]*acc{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, pattern := range []string{f.prefix + "*", "asynq:{" + f.prefix + "*"} {
		iter := f.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			name := f.family(key)
			a := byFam[name]
			if a == nil {
				a = &acc{}
				byFam[name] = a
			}
			a.keys++
			// Reservoir sampling: each key has the same chance.
			if len(a.sample) < familySample {
				a.sample = append(a.sample, key)
			} else if j := rnd.Int64N(a.keys); j < familySample {
				a.sample[j] = key
			}
		}
		if err := iter.Err(); err != nil {
			return nil, fmt.Errorf("scan %s: %w", pattern, err)
		}
	}
	out := make([]familyStat, 0, len(byFam))
	for name, a := range byFam {
		pipe := f.rdb.Pipeline()
		sizes := make([]*redis.IntCmd, len(a.sample))
		encs := make([]*redis.StringCmd, len(a.sample))
		for i, key := range a.sample {
			sizes[i] = pipe.MemoryUsage(ctx, key, 0)
			encs[i] = pipe.ObjectEncoding(ctx, key)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("memory usage of %s: %w", name, err)
		}
		var sum, measured int64
		enc := map[string]int{}
		for i := range a.sample {
			if v, err := sizes[i].Result(); err == nil {
				sum += v
				measured++
			}
			if e, err := encs[i].Result(); err == nil {
				enc[e]++
			}
		}
		if measured == 0 {
			continue // gone meanwhile (expired)
		}
		avg := float64(sum) / float64(measured)
		bytes := int64(avg * float64(a.keys))
		out = append(out, familyStat{Family: name, Keys: a.keys, AvgBytes: round(avg), Bytes: bytes,
			PerRecipient: perRecipient(bytes, n), Encoding: commonest(enc)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Family < out[j].Family
	})
	return out, nil
}

// commonest names the commonest encoding, with its share when not all
// agree.
func commonest(enc map[string]int) string {
	best, bestN, total := "", 0, 0
	for e, c := range enc {
		total += c
		if c > bestN || (c == bestN && e < best) {
			best, bestN = e, c
		}
	}
	if bestN < total {
		return fmt.Sprintf("%s %d%%", best, bestN*100/total)
	}
	return best
}

func printFootprint(out io.Writer, rep *footprintReport) {
	fmt.Fprintf(out, "footprint of %d recipients: campaign %s (text %q) on %s, provider %s\n",
		rep.Recipients, rep.Campaign, rep.Message, rep.Redis, rep.Provider)
	if rep.HashMaxListpackValue != "" {
		fmt.Fprintf(out, "hash-max-listpack-value %s (a hash with a longer field is a hashtable)\n", rep.HashMaxListpackValue)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tused_memory Δ\tB/recipient\t")
	fmt.Fprintf(tw, "queued (after the import)\t%d\t%.0f\t\n", rep.QueuedBytes, rep.QueuedPerRecipient)
	fmt.Fprintf(tw, "finished (every recipient has an outcome)\t%d\t%.0f\t\n", rep.FinishedBytes, rep.FinishedPerRecipient)
	_ = tw.Flush()
	if familyBytes(rep.QueuedFamilies) > 2*rep.QueuedBytes || familyBytes(rep.FinishedFamilies) > 2*rep.FinishedBytes {
		fmt.Fprintln(out, "warning: used_memory moved less than this run's own keys take: other clients changed this Redis during the run,\n"+
			"so the used_memory figures are not this run's alone; the key families below are. Measure on an idle Redis.")
	}
	outcomes := make([]string, 0, len(rep.Outcomes))
	for s, v := range rep.Outcomes {
		if v != 0 {
			outcomes = append(outcomes, fmt.Sprintf("%s %d", s, v))
		}
	}
	sort.Strings(outcomes)
	fmt.Fprintf(out, "outcomes: %s\n", strings.Join(outcomes, ", "))
	for _, ph := range []struct {
		name           string
		total, clients int64
		fams           []familyStat
	}{{"queued", rep.QueuedBytes, rep.QueuedClientBytes, rep.QueuedFamilies}, {"finished", rep.FinishedBytes, rep.FinishedClientBytes, rep.FinishedFamilies}} {
		fmt.Fprintf(out, "\n%s, by key family (MEMORY USAGE of up to %d keys each):\n", ph.name, familySample)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  family\tkeys\tavg B\tencoding\tB/recipient")
		var sum int64
		for _, f := range ph.fams {
			sum += f.Bytes
			fmt.Fprintf(tw, "  %s\t%d\t%.0f\t%s\t%.1f\n", f.Family, f.Keys, f.AvgBytes, f.Encoding, f.PerRecipient)
		}
		fmt.Fprintf(tw, "  client buffers (mem_clients_normal)\t\t\t\t%.1f\n", perRecipient(ph.clients, rep.Recipients))
		fmt.Fprintf(tw, "  rest (keyspace tables, allocator)\t\t\t\t%.1f\n", perRecipient(ph.total-ph.clients-sum, rep.Recipients))
		_ = tw.Flush()
	}
}
