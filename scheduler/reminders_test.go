package scheduler

// Internal tests: they reach the scheduler's PreEnqueueFunc (stamp) and
// make its periodic tasks fire every second.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/internal/sharedtest"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/providers/tujenge"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
	"github.com/wabulk/wabulk/worker"
)

const simKey = "reminders-key-0123456789"

// remEnv is one Redis (real or miniredis) with a store, an asynq client, a
// producer and a directory for audience files.
type remEnv struct {
	t      *testing.T
	r      *storetest.Redis
	st     *store.Store
	client *asynq.Client
	prod   *producer.Producer
	dir    string
}

func newRemEnv(t *testing.T) *remEnv {
	t.Helper()
	r := storetest.New(t)
	st := store.New(r.Client, store.Config{Prefix: r.Prefix})
	client := asynq.NewClientFromRedisClient(r.Client)
	return &remEnv{t: t, r: r, st: st, client: client, dir: t.TempDir(),
		prod: producer.New(st, client, producer.Config{Prefix: r.Prefix, DefaultRegion: "TZ"})}
}

// audience writes a CSV of n patients and returns its path.
func (e *remEnv) audience(n int, extra ...string) string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("phone,name,time\n")
	for i := range n {
		fmt.Fprintf(&b, "+2557123%05d,Patient %d,09:%02d\n", i, i, i%60)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	p := filepath.Join(e.dir, fmt.Sprintf("patients-%d.csv", n))
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *remEnv) job(id, cron string, loc *time.Location, audience string, ttl time.Duration) Job {
	return Job{ID: id, Cron: cron, Location: loc, Audience: audience, Spec: producer.Spec{Account: "tj", TTL: producer.Duration(ttl),
		Message: message.Content{Template: &message.Template{Name: "appointment_reminder", Language: "en", Body: []string{"{{name}}", "{{time}}"}}}}}
}

func (e *remEnv) reminders(now func() time.Time, jobs ...Job) *Reminders {
	e.t.Helper()
	r, err := NewReminders(e.r.Client, e.prod, RemindersConfig{Jobs: jobs, Prefix: e.r.Prefix, Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// worker runs a send worker against a simulator until the test ends.
func (e *remEnv) worker() *simulator.Simulator {
	e.t.Helper()
	sim, err := simulator.New(simulator.Config{APIKey: simKey})
	if err != nil {
		e.t.Fatal(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = sim.Close() })
	tj, err := tujenge.New(tujenge.Config{BaseURL: base, APIKey: simKey, HTTP: providers.HTTPConfig{Timeout: 5 * time.Second}})
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := worker.Config{Prefix: e.r.Prefix, Concurrency: 10, DelayedTaskCheckInterval: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second}
	srv := worker.NewServer(e.r.Client, cfg, worker.NewSender(cfg, e.st, map[string]providers.Provider{"tj": tj}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		sharedtest.WaitOrTimeout(e.t, done, waitTimeout, "the worker to shut down")
	})
	return sim
}

// waitTimeout guards every wait for a worker or scheduler against a hang;
// it is not a timing assertion.
const waitTimeout = 30 * time.Second

// waitAccepted waits until campaign id has want accepted messages.
func (e *remEnv) waitAccepted(id string, want int64) store.Counts {
	e.t.Helper()
	return sharedtest.WaitFor(e.t, func() store.Counts {
		c, err := e.st.CampaignCounts(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		return c
	}, func(c store.Counts) bool { return c[message.Accepted] >= want }, waitTimeout, "%d accepted in campaign %s", want, id)
}

// queueSize is how many tasks a queue holds in every state.
func (e *remEnv) queueSize(q string) int {
	e.t.Helper()
	info, err := asynq.NewInspectorFromRedisClient(e.r.Client).GetQueueInfo(q)
	if err != nil {
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return 0
		}
		e.t.Fatal(err)
	}
	return info.Size
}

// Two scheduler replicas expand the same occurrence at once, and a third
// expansion comes later (a retry, a late duplicate): each recipient gets
// one record, one send task, one message.
func TestExpandingAnOccurrenceTwiceSendsEachReminderOnce(t *testing.T) {
	t.Parallel()
	e := newRemEnv(t)
	const n = 120
	dar, err := time.LoadLocation("Africa/Dar_es_Salaam")
	if err != nil {
		t.Skip(err)
	}
	now := time.Now
	job := e.job("dental-reminder", "0 9 * * MON-FRI", dar, e.audience(n), 7*24*time.Hour)
	a, b := e.reminders(now, job), e.reminders(now, job)
	fire, _ := a.Schedule("dental-reminder").Latest(time.Now())
	ctx := context.Background()

	var wg sync.WaitGroup
	res := make([]Occurrence, 2)
	errs := make([]error, 2)
	for i, r := range []*Reminders{a, b} {
		wg.Go(func() { res[i], errs[i] = r.Expand(ctx, "dental-reminder", fire) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	late, err := b.Expand(ctx, "dental-reminder", fire)
	if err != nil {
		t.Fatal(err)
	}
	id := OccurrenceID("dental-reminder", fire)
	if res[0].Campaign != id || late.Campaign != id {
		t.Fatalf("campaigns %q %q %q, want %q", res[0].Campaign, res[1].Campaign, late.Campaign, id)
	}
	if got := res[0].Accepted + res[1].Accepted + late.Accepted; got != n || late.Accepted != 0 || late.AlreadyPresent != n {
		t.Errorf("accepted %d + %d + %d (late: %+v), want %d in all and none late", res[0].Accepted, res[1].Accepted, late.Accepted, late.Progress, n)
	}
	c, err := e.st.CampaignCounts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Total() != n || c[message.Queued] != n {
		t.Errorf("records %v, want %d queued", c, n)
	}
	high := message.QueueName(e.r.Prefix, message.LaneHigh)
	if got := e.queueSize(high); got != n {
		t.Errorf("%d send tasks on lane high, want %d", got, n)
	}
	// The messages' TTL counts from the fire time.
	tasks, err := asynq.NewInspectorFromRedisClient(e.r.Client).ListPendingTasks(high, asynq.PageSize(1))
	if err != nil || len(tasks) != 1 {
		t.Fatalf("pending tasks %v, %v", tasks, err)
	}
	m, err := message.DecodeSendTask(tasks[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !m.ExpiresAt.Equal(fire.Add(7*24*time.Hour)) || !strings.HasPrefix(m.ID, id+":+2557123") || m.CampaignID != id {
		t.Errorf("message %s in %s expires %s, want %s", m.ID, m.CampaignID, m.ExpiresAt, fire.Add(7*24*time.Hour))
	}

	sim := e.worker()
	e.waitAccepted(id, n)
	if st := sim.Stats(); st.Accepted != n || st.Duplicates != 0 {
		t.Errorf("provider: %+v, want %d accepted, no duplicates", st, n)
	}
}

// Two schedulers, each with asynq's PeriodicTaskManager firing the job
// every second, enqueue the same occurrence several times over: every
// reminder is still created and sent once.
func TestTwoPeriodicTaskManagersSendEachReminderOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two schedulers for a few seconds")
	}
	t.Parallel()
	e := newRemEnv(t)
	const n = 40
	// The job fires daily at midnight UTC; its periodic tasks fire every
	// second, each stamped with that same fire time, as two replicas
	// firing the same occurrence do. The clock stands still, so a test
	// run across midnight does not see two occurrences.
	t0 := time.Now()
	now := sharedtest.NewClock(t0).Now
	job := e.job("daily", "0 0 * * *", time.UTC, e.audience(n), 25*time.Hour)
	fire, _ := e.reminders(now, job).Schedule("daily").Latest(t0)
	id := OccurrenceID("daily", fire)
	sim := e.worker()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		r := e.reminders(now, job)
		r.everySpec = "@every 1s"
		wg.Go(func() {
			if err := r.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	e.waitAccepted(id, n)
	// Let a few more fires of both come and be expanded.
	occ := OccurrenceQueue(e.r.Prefix)
	insp := asynq.NewInspectorFromRedisClient(e.r.Client)
	sharedtest.WaitFor(t, func() *asynq.QueueInfo { info, _ := insp.GetQueueInfo(occ); return info }, func(info *asynq.QueueInfo) bool {
		return info != nil && info.Processed >= 5 && info.Size == 0
	}, waitTimeout, "five occurrence tasks processed and none left")
	cancel()
	wg.Wait()

	ids, err := e.st.Campaigns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != id {
		t.Errorf("campaigns %v, want only %s", ids, id)
	}
	c := e.waitAccepted(id, n)
	if c.Total() != n {
		t.Errorf("records %v, want %d", c, n)
	}
	if got := e.queueSize(message.QueueName(e.r.Prefix, message.LaneHigh)); got != 0 {
		t.Errorf("%d send tasks left", got)
	}
	if st := sim.Stats(); st.Accepted != n || st.Duplicates != 0 {
		t.Errorf("provider: %+v, want %d accepted and no duplicates after several expansions", st, n)
	}
}

// The fire time an occurrence task carries decides its id, however late
// the task runs; one without a usable stamp takes the latest fire time.
func TestOccurrenceTaskFireTime(t *testing.T) {
	t.Parallel()
	e := newRemEnv(t)
	dar, err := time.LoadLocation("Africa/Dar_es_Salaam")
	if err != nil {
		t.Skip(err)
	}
	// Processed on Wednesday 25 Nov 2026 at 15:00 in Dar es Salaam.
	now := time.Date(2026, 11, 25, 15, 0, 0, 0, dar)
	r := e.reminders(sharedtest.NewClock(now).Now, e.job("j", "0 9 * * MON-FRI", dar, e.audience(2), 72*time.Hour))
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, dar)
	wednesday := time.Date(2026, 11, 25, 9, 0, 0, 0, dar)
	cases := []struct {
		name   string
		header string
		want   time.Time // the occurrence expanded; zero: none
		skip   bool      // SkipRetry
	}{
		{"stamped Monday, run on Wednesday", monday.UTC().Format(time.RFC3339), monday, false},
		{"no stamp: the latest fire time", "", wednesday, false},
		{"stamped in the future: distrusted", now.Add(time.Hour).UTC().Format(time.RFC3339), wednesday, false},
		{"stamped off the schedule: kept", monday.Add(time.Minute).UTC().Format(time.RFC3339), monday.Add(time.Minute), false},
		{"unreadable stamp", "last monday", wednesday, false},
		{"past its TTL", monday.AddDate(0, 0, -7).UTC().Format(time.RFC3339), time.Time{}, true},
	}
	ctx := context.Background()
	for _, c := range cases {
		task := asynq.NewTaskWithHeaders(TypeOccurrence, []byte(`{"v":1,"job":"j"}`), map[string]string{fireHeader: c.header})
		err := r.ProcessTask(ctx, task)
		if c.skip {
			if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, ErrPastTTL) {
				t.Errorf("%s: %v, want ErrPastTTL and SkipRetry", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if _, err := e.st.Campaign(ctx, OccurrenceID("j", c.want)); err != nil {
			t.Errorf("%s: occurrence %s not expanded: %v", c.name, OccurrenceID("j", c.want), err)
		}
	}
	ids, _ := e.st.Campaigns(ctx)
	if len(ids) != 3 {
		t.Errorf("occurrences %v, want Monday, Wednesday and Monday 09:01", ids)
	}
	// A job this scheduler lacks is left for another (retried); a payload
	// without a job is archived.
	err = r.ProcessTask(ctx, newOccurrenceTask("other", monday))
	if err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Errorf("unknown job: %v, want a retry", err)
	}
	err = r.ProcessTask(ctx, asynq.NewTask(TypeOccurrence, []byte(`{}`)))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("bad payload: %v, want SkipRetry", err)
	}
}

// The periodic task of a job is on the occurrence queue at the job's cron
// in its zone, and the scheduler stamps each fire with the fire time.
func TestPeriodicTasksAndTheirStamp(t *testing.T) {
	t.Parallel()
	e := newRemEnv(t)
	dar, err := time.LoadLocation("Africa/Dar_es_Salaam")
	if err != nil {
		t.Skip(err)
	}
	clock := sharedtest.NewClock(time.Time{})
	r := e.reminders(clock.Now, e.job("dental-reminder", "0 9 * * MON-FRI", dar, e.audience(1), time.Hour))
	cfgs, err := r.GetConfigs()
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("configs %v, %v", cfgs, err)
	}
	c := cfgs[0]
	if c.Cronspec != "CRON_TZ=Africa/Dar_es_Salaam 0 9 * * MON-FRI" || c.Task.Type() != TypeOccurrence {
		t.Errorf("periodic task %q %q", c.Cronspec, c.Task.Type())
	}
	var opts []string
	for _, o := range c.Opts {
		opts = append(opts, o.String())
	}
	if want := fmt.Sprintf("Queue(%q)", OccurrenceQueue(e.r.Prefix)); !strings.Contains(strings.Join(opts, " "), want) {
		t.Errorf("options %v, want %s", opts, want)
	}
	for _, fired := range []time.Time{
		time.Date(2026, 11, 23, 9, 0, 0, 0, dar),
		time.Date(2026, 11, 23, 9, 0, 0, 300e6, dar), // the cron's goroutine ran a little late
		time.Date(2026, 11, 23, 9, 0, 7, 0, dar),
	} {
		clock.Set(fired)
		r.stamp(c.Task, c.Opts)
		job, fire, err := decodeOccurrence(c.Task)
		if err != nil || job != "dental-reminder" || fire.UTC().Format(time.RFC3339) != "2026-11-23T06:00:00Z" {
			t.Errorf("fired at %s: stamped %s %s, %v", fired, job, fire, err)
		}
	}
	// A periodic task's payload stays the same from fire to fire: asynq's
	// manager keys its entries on it.
	again, _ := r.GetConfigs()
	if string(again[0].Task.Payload()) != string(c.Task.Payload()) {
		t.Errorf("payload changed: %s, %s", again[0].Task.Payload(), c.Task.Payload())
	}
}

// An occurrence is an import: bad rows are rejected and named, repeated
// rows skipped, opted-out recipients skipped; quiet hours reach the
// messages, and reminders go on lane high.
func TestExpandIsAnImport(t *testing.T) {
	t.Parallel()
	e := newRemEnv(t)
	ctx := context.Background()
	if err := e.st.OptOut(ctx, "tj", "+255712300001", "STOP"); err != nil {
		t.Fatal(err)
	}
	path := e.audience(3, "12345,Nobody,09:00", "+255712300000,Patient 0,09:00", "+255712300009,,09:10")
	job := e.job("clinic", "0 9 * * *", time.UTC, path, 24*time.Hour)
	job.Spec.QuietHours = &message.QuietHours{Start: "21:00", End: "08:00"}
	now := time.Now()
	r := e.reminders(sharedtest.NewClock(now).Now, job)
	fire, _ := r.Schedule("clinic").Latest(now)
	occ, err := r.Expand(ctx, "clinic", fire)
	if err != nil {
		t.Fatal(err)
	}
	if occ.Lines != 6 || occ.Accepted != 2 || occ.Rejected != 2 || occ.Duplicate != 1 || occ.OptedOut != 1 {
		t.Errorf("counts %+v", occ.Progress)
	}
	if len(occ.Rejects) != 2 || !strings.HasPrefix(occ.Rejects[0], "line 5: phone") || !strings.Contains(occ.Rejects[1], `name "" is empty`) && !strings.Contains(occ.Rejects[1], "line 7") {
		t.Errorf("rejects %q", occ.Rejects)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(e.r.Client).ListPendingTasks(message.QueueName(e.r.Prefix, message.LaneHigh))
	if err != nil || len(tasks) != 2 {
		t.Fatalf("lane high: %d tasks, %v", len(tasks), err)
	}
	m, err := message.DecodeSendTask(tasks[0].Payload)
	if err != nil || m.QuietHours == nil || m.QuietHours.Start != "21:00" {
		t.Errorf("message %+v, %v: want quiet hours 21:00–08:00", m, err)
	}
	// A missing audience is an error asynq retries; a job this process
	// does not have is named.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Expand(ctx, "clinic", fire); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Errorf("missing audience: %v", err)
	}
	if _, err := r.Expand(ctx, "nope", fire); err == nil || !strings.Contains(err.Error(), `no job "nope" (have: clinic)`) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestNewRemindersReportsEveryProblem(t *testing.T) {
	t.Parallel()
	e := newRemEnv(t)
	good := e.job("ok", "0 9 * * *", time.UTC, "a.csv", time.Hour)
	badSpec := e.job("bad-spec", "0 9 * * *", time.UTC, "a.csv", time.Hour)
	badSpec.Spec.Account = ""
	badSpec.Spec.QuietHours = &message.QuietHours{Start: "21:00", End: "8"}
	_, err := NewReminders(e.r.Client, e.prod, RemindersConfig{Jobs: []Job{
		good,
		{ID: "bad id", Cron: "0 9 * * *", Audience: "a.csv", Spec: good.Spec},
		{ID: "every", Cron: "@every 1m", Audience: "a.csv", Spec: good.Spec},
		{ID: "no-audience", Cron: "0 9 * * *", Spec: good.Spec},
		badSpec,
		good,
	}})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`job bad id: id "bad id" must be`, "job every: cron \"@every 1m\"", "job no-audience: audience is required",
		"job bad-spec: invalid spec: account is required; quiet_hours.end", "job ok: id is used twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
