package scheduler

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/wabulk/wabulk/producer"
)

// Job is one recurring reminder job: at every fire time of Cron in
// Location, every row of the Audience file becomes a message.
type Job struct {
	// ID names the job: letters, digits, '_' and '-', at most 47. Required.
	ID string
	// Cron is a five-field cron expression or a descriptor such as @daily
	// (not @every). Required.
	Cron string
	// Location is the time zone Cron is read in. Defaults to UTC.
	Location *time.Location
	// Spec is the campaign spec of every occurrence: account, sender,
	// message with {{column}} placeholders, TTL, priority (defaults to
	// high here: a reminder never waits behind a campaign), quiet hours.
	// Its ID and SendAt are set per occurrence (OccurrenceID, the fire
	// time), so its TTL counts from the fire time.
	Spec producer.Spec
	// Audience is the path of the recipients file, read at each occurrence
	// exactly as `wabulk import` reads one. Required.
	Audience string
	// Format is the audience's format. Defaults to producer.FormatCSV.
	Format producer.Format
}

// RemindersConfig configures Reminders. Zero fields take the defaults named.
type RemindersConfig struct {
	// Jobs are the recurring jobs. Required.
	Jobs []Job
	// Prefix is the key prefix of the occurrence queue (OccurrenceQueue);
	// the producer's. Defaults to "wabulk:".
	Prefix string
	// Concurrency is how many occurrences this process expands at once.
	// Defaults to 2.
	Concurrency int
	// Skew is how far in the future a fire time stamped by another
	// scheduler may lie (clocks differ) before it is distrusted. Defaults
	// to 1m.
	Skew time.Duration
	// MaxRetry is how often an occurrence whose expansion failed (Redis,
	// the audience file) is tried again, with asynq's backoff, within its
	// TTL. Defaults to 10.
	MaxRetry int
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
}

// WithDefaults returns c with every zero field set to its default.
func (c RemindersConfig) WithDefaults() RemindersConfig {
	if c.Prefix == "" {
		c.Prefix = "wabulk:"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 2
	}
	if c.Skew <= 0 {
		c.Skew = time.Minute
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = 10
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// job is a Job with its parsed schedule.
type job struct {
	Job
	sched *Schedule
}

// Reminders runs recurring reminder jobs (`wabulk scheduler`):
//
//	fire     asynq's PeriodicTaskManager, with Reminders as its
//	         PeriodicTaskConfigProvider, enqueues one occurrence task
//	         (TypeOccurrence, on OccurrenceQueue) per job at each fire time
//	         of its cron in its time zone; right before the enqueue,
//	         PreEnqueueFunc stamps the fire time into the task's header
//	expand   the occurrence server (a small asynq server in the same
//	         process, so the audience file is read where the schedule is
//	         configured) imports the job's audience as the campaign
//	         job.20261123T060000Z (OccurrenceID) with send_at the fire time:
//	         producer.Import, so rejects, duplicates and opt-outs behave as
//	         in `wabulk import`, and each occurrence has its counts and
//	         report
//	send     the workers send the messages (lane high unless the job says
//	         otherwise); their TTL counts from the fire time
//
// The occurrence time is the cron's fire time, never the time the task
// happens to run: a task processed late (a backlog, the scheduler that
// took it stopped midway, a retry) expands the occurrence it was fired
// for. A task without a usable stamp takes the job's latest fire time at
// or before now. A fire time at which no scheduler ran at all is not
// caught up (asynq's cron does not look back): `wabulk scheduler --once
// JOB` expands it.
//
// Replicas: asynq's scheduler has no leader election, so N scheduler
// processes enqueue every occurrence N times (asynq issues 395, 1013). The
// message ids make that harmless: job + fire time + recipient
// ("dental-reminder.20261123T060000Z:+255712345678"), created only if
// absent, each with a send task of that id, so the second expansion
// creates and sends nothing. An occurrence past its TTL is not expanded.
//
//	r, err := scheduler.NewReminders(rdb, prod, scheduler.RemindersConfig{
//		Jobs: []scheduler.Job{{ID: "dental-reminder", Cron: "0 9 * * MON-FRI",
//			Location: dar, Audience: "/data/patients.csv", Spec: spec}},
//		Prefix: "wabulk:",
//	})
//	if err != nil { ... }
//	go r.Run(ctx) // until ctx is done
type Reminders struct {
	cfg   RemindersConfig
	rdb   redis.UniversalClient
	prod  *producer.Producer
	jobs  map[string]*job
	order []string // job ids as configured
	log   *zap.Logger

	// everySpec, when set (tests), is the cronspec every job's periodic
	// task fires on instead of its own ("@every 1s"); fire times still
	// come from the job's schedule.
	everySpec string
}

var (
	_ asynq.PeriodicTaskConfigProvider = (*Reminders)(nil)
	_ asynq.Handler                    = (*Reminders)(nil)
)

// NewReminders checks the jobs (CheckJobs) and returns Reminders that
// expand occurrences through prod (its store and asynq client: records and
// send tasks) on rdb.
func NewReminders(rdb redis.UniversalClient, prod *producer.Producer, cfg RemindersConfig) (*Reminders, error) {
	cfg = cfg.WithDefaults()
	jobs, err := checkJobs(cfg.Jobs)
	if rdb == nil || prod == nil {
		err = errors.Join(errors.New("a Redis client and a producer are required"), err)
	}
	if err != nil {
		return nil, fmt.Errorf("reminders: %w", err)
	}
	r := &Reminders{cfg: cfg, rdb: rdb, prod: prod, jobs: map[string]*job{}, log: cfg.Logger}
	for _, j := range jobs {
		r.jobs[j.ID] = j
		r.order = append(r.order, j.ID)
	}
	return r, nil
}

// CheckJobs reports every problem of jobs at once, each naming its job:
// ids, cron expressions, audiences named, formats, specs.
func CheckJobs(jobs []Job) error {
	_, err := checkJobs(jobs)
	return err
}

func checkJobs(jobs []Job) ([]*job, error) {
	var errs []error
	if len(jobs) == 0 {
		errs = append(errs, errors.New("no jobs"))
	}
	var out []*job
	seen := map[string]bool{}
	for i, j := range jobs {
		where := fmt.Sprintf("job %s", j.ID)
		if j.ID == "" {
			where = fmt.Sprintf("jobs[%d]", i)
		}
		bad := func(err error) { errs = append(errs, fmt.Errorf("%s: %w", where, err)) }
		if err := CheckJobID(j.ID); err != nil {
			bad(err)
		} else if seen[j.ID] {
			bad(errors.New("id is used twice"))
			continue
		}
		seen[j.ID] = true
		sched, err := ParseSchedule(j.Cron, j.Location)
		if err != nil {
			bad(err)
		}
		if strings.TrimSpace(j.Audience) == "" {
			bad(errors.New("audience is required (a CSV or JSONL file of recipients)"))
		}
		if j.Format != "" && j.Format != producer.FormatCSV && j.Format != producer.FormatJSONL {
			bad(fmt.Errorf("format %q: want csv or jsonl", j.Format))
		}
		if j.Spec.Priority == "" {
			j.Spec.Priority = "high"
		}
		spec := j.Spec
		spec.ID = "occurrence" // a stand-in: each occurrence gets its own
		if err := spec.Validate(); err != nil {
			bad(err)
		}
		if sched != nil {
			out = append(out, &job{Job: j, sched: sched})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Queue is the occurrence queue this process serves.
func (r *Reminders) Queue() string { return OccurrenceQueue(r.cfg.Prefix) }

// Schedule returns the schedule of job id, or nil.
func (r *Reminders) Schedule(id string) *Schedule {
	if j, ok := r.jobs[id]; ok {
		return j.sched
	}
	return nil
}

// GetConfigs returns one periodic task per job: an occurrence task on the
// occurrence queue at the job's cron, in its time zone. asynq's
// PeriodicTaskManager calls it.
func (r *Reminders) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	out := make([]*asynq.PeriodicTaskConfig, 0, len(r.order))
	for _, id := range r.order {
		j := r.jobs[id]
		spec := j.sched.Cronspec()
		if r.everySpec != "" {
			spec = r.everySpec
		}
		out = append(out, &asynq.PeriodicTaskConfig{
			Cronspec: spec,
			Task:     newOccurrenceTask(id, time.Time{}),
			Opts:     r.taskOpts(),
		})
	}
	return out, nil
}

func (r *Reminders) taskOpts() []asynq.Option {
	return []asynq.Option{asynq.Queue(r.Queue()), asynq.MaxRetry(r.cfg.MaxRetry)}
}

// stamp is the scheduler's PreEnqueueFunc: it writes the fire time into
// the occurrence task's header right before asynq enqueues it. The cron
// runs the enqueue at the fire time (or just after), so the fire time is
// the job's latest one at or before now. The periodic task is the same
// object at every fire of its job, and the header its only per-fire part;
// a job's fires are a minute or more apart, so one enqueue of its task
// has ended (asynq's client gives up on Redis well within that) before
// the next stamps it.
func (r *Reminders) stamp(t *asynq.Task, _ []asynq.Option) {
	if t.Type() != TypeOccurrence {
		return
	}
	id, _, err := decodeOccurrence(t)
	if err != nil {
		return
	}
	j, ok := r.jobs[id]
	h := t.Headers()
	if !ok || h == nil {
		return
	}
	h[fireHeader] = ""
	if fire, ok := j.sched.Latest(r.cfg.Now()); ok {
		h[fireHeader] = fire.UTC().Format(time.RFC3339)
	}
}

// enqueued is the scheduler's PostEnqueueFunc: a line per fire.
func (r *Reminders) enqueued(info *asynq.TaskInfo, err error) {
	if err != nil {
		r.log.Error("could not enqueue an occurrence; it is not expanded unless another scheduler enqueued it (or run `wabulk scheduler --once JOB`)", zap.Error(err))
		if info != nil {
			job, _, _ := decodeOccurrence(asynq.NewTaskWithHeaders(info.Type, info.Payload, info.Headers))
			if _, known := r.jobs[job]; known {
				firesTotal.WithLabelValues(job, "error").Inc()
			}
		}
		return
	}
	job, fire, _ := decodeOccurrence(asynq.NewTaskWithHeaders(info.Type, info.Payload, info.Headers))
	if _, known := r.jobs[job]; known {
		firesTotal.WithLabelValues(job, "enqueued").Inc()
	}
	r.log.Info("occurrence enqueued", zap.String("job", job), zap.Time("fire", fire), zap.String("task", info.ID))
}

// ProcessTask expands one occurrence task. Its fire time is the one the
// firing scheduler stamped, if it is a valid time no later than now (plus
// Skew); otherwise the job's latest fire time at or before now. A task
// processed late therefore still expands the occurrence it was fired for.
func (r *Reminders) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, fire, err := decodeOccurrence(t)
	if err != nil && id == "" {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	j, ok := r.jobs[id]
	if !ok {
		// Another scheduler has a job this one's config lacks (a rollout):
		// asynq tries again later, when that one may take it.
		r.log.Warn("occurrence of a job this scheduler does not have; left for another scheduler", zap.String("job", id))
		return fmt.Errorf("unknown job %q", id)
	}
	log := r.log.With(zap.String("job", id))
	now := r.cfg.Now()
	switch {
	case err != nil:
		log.Warn("occurrence task with an unreadable fire time; taking the latest fire time", zap.Error(err))
		fire = time.Time{}
	case !fire.IsZero() && fire.After(now.Add(r.cfg.Skew)):
		log.Warn("occurrence stamped with a fire time in the future; taking the latest fire time", zap.Time("stamped", fire))
		fire = time.Time{}
	case !fire.IsZero() && !j.sched.IsFire(fire):
		// Kept: it is the occurrence the firing scheduler meant.
		log.Warn("occurrence fire time is not on this scheduler's schedule of the job: do the replicas' configs differ?",
			zap.Time("fire", fire), zap.String("cron", j.sched.String()), zap.Stringer("timezone", j.sched.Location()))
	}
	if fire.IsZero() {
		if fire, ok = j.sched.Latest(now); !ok {
			return fmt.Errorf("job %s has no fire time before %s: %w", id, now.Format(time.RFC3339), asynq.SkipRetry)
		}
	}
	_, err = r.Expand(ctx, id, fire)
	switch {
	case err == nil:
		expansionsTotal.WithLabelValues(id, "expanded").Inc()
	case errors.Is(err, ErrPastTTL):
		expansionsTotal.WithLabelValues(id, "past_ttl").Inc()
		log.Error("occurrence not expanded: its TTL passed before it was processed", zap.Time("fire", fire))
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	case err != nil:
		// Redis, the audience file, a campaign of that id with another
		// spec (replicas with different configs): the error says which.
		expansionsTotal.WithLabelValues(id, "error").Inc()
		log.Warn("expanding an occurrence failed; asynq tries again within its TTL", zap.Time("fire", fire), zap.Error(err))
		return err
	}
	return nil
}

// ErrPastTTL means an occurrence is expanded too late: its messages would
// all expire, so none is created.
var ErrPastTTL = errors.New("the occurrence's TTL has passed")

// Occurrence is what one expansion did.
type Occurrence struct {
	Job  string
	Fire time.Time
	// Campaign is the occurrence's campaign id (OccurrenceID): `wabulk
	// campaign status` and `report` show it like any campaign.
	Campaign string
	producer.Result
	// Rejects are the first rejected rows' "line: reason", for the log.
	Rejects []string
}

// Expand turns job id's occurrence at fire into messages: the audience
// file is imported (producer.Import) as the campaign OccurrenceID(id,
// fire), with send_at the fire time, so the messages' TTL counts from it.
// Every row gets the message id job.fire:recipient; a record that exists
// already (another scheduler, an earlier try) is never created or sent
// again, so expanding an occurrence twice, at once or one after the
// other, sends each reminder once. Rejected rows, duplicates and opt-outs
// are counted as in an import.
func (r *Reminders) Expand(ctx context.Context, id string, fire time.Time) (Occurrence, error) {
	j, ok := r.jobs[id]
	if !ok {
		return Occurrence{}, fmt.Errorf("no job %q (have: %s)", id, strings.Join(r.order, ", "))
	}
	fire = fire.UTC()
	occ := Occurrence{Job: id, Fire: fire, Campaign: OccurrenceID(id, fire)}
	spec := j.Spec
	spec.ID = occ.Campaign
	spec.SendAt = fire
	ttl := time.Duration(spec.TTL)
	if ttl == 0 {
		ttl = producer.DefaultTTL
	}
	if !r.cfg.Now().Before(fire.Add(ttl)) {
		return occ, fmt.Errorf("occurrence %s: %w (fired %s, ttl %s)", occ.Campaign, ErrPastTTL, fire.Format(time.RFC3339), ttl)
	}
	f, err := os.Open(j.Audience)
	if err != nil {
		// Perhaps a volume not mounted yet: worth trying again.
		return occ, fmt.Errorf("occurrence %s: audience: %w", occ.Campaign, err)
	}
	defer f.Close()
	rej := &rejectLog{max: 5}
	start := time.Now()
	// Full tasks: a reminder on lane high goes without first reading its
	// record and, each occurrence being a new campaign, its spec.
	var expected int64
	if fi, err := f.Stat(); err == nil {
		expected = fi.Size() / producer.BytesPerRowEstimate
	}
	res, err := r.prod.Import(ctx, &spec, f, producer.Options{Format: j.Format, Rejects: rej, FullTasks: true, ExpectedRows: expected})
	occ.Result, occ.Rejects = res, rej.lines()
	log := r.log.With(zap.String("job", id), zap.String("campaign", occ.Campaign))
	if err != nil {
		return occ, fmt.Errorf("occurrence %s: %w", occ.Campaign, err)
	}
	fields := []zap.Field{zap.Time("fire", fire), zap.Int64("rows", res.Lines), zap.Int64("accepted", res.Accepted),
		zap.Int64("already_present", res.AlreadyPresent), zap.Int64("duplicate", res.Duplicate),
		zap.Int64("rejected", res.Rejected), zap.Int64("opted_out", res.OptedOut), zap.Duration("took", time.Since(start))}
	if res.Rejected > 0 {
		log.Warn("occurrence expanded; some audience rows were rejected", append(fields, zap.Strings("first_rejects", occ.Rejects))...)
	} else {
		log.Info("occurrence expanded", fields...)
	}
	return occ, nil
}

// rejectLog keeps the start of the rejects an import writes (CSV: a
// header, then line, reason and the row's columns) to name the first few
// in the log.
type rejectLog struct {
	max int
	buf []byte
}

// rejectLogBytes bounds what a rejectLog keeps.
const rejectLogBytes = 16 << 10

func (w *rejectLog) Write(p []byte) (int, error) {
	if room := rejectLogBytes - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// lines returns up to max rejects as "line N: reason".
func (w *rejectLog) lines() []string {
	cr := csv.NewReader(bytes.NewReader(w.buf))
	cr.FieldsPerRecord = -1
	var out []string
	for first := true; len(out) < w.max; first = false {
		rec, err := cr.Read()
		if err != nil {
			break // the end, or a row cut off by the bound
		}
		if first || len(rec) < 2 {
			continue
		}
		out = append(out, "line "+rec[0]+": "+rec[1])
	}
	return out
}

// Run schedules every job through asynq's PeriodicTaskManager and expands
// the occurrences of the occurrence queue with a small asynq server, until
// ctx is done; then both shut down (an expansion under way finishes, or is
// tried again by whichever scheduler runs next). Several processes may run
// it on one Redis: asynq's scheduler enqueues each occurrence once per
// process, and the deterministic message ids send each reminder once.
func (r *Reminders) Run(ctx context.Context) error {
	alog := asynqLogger{r.log.Sugar().Named("asynq")}
	srv := asynq.NewServerFromRedisClient(r.rdb, asynq.Config{
		Concurrency: r.cfg.Concurrency,
		Queues:      map[string]int{r.Queue(): 1},
		// An idle asynq server looks at its queue about once a second:
		// a tenth of that, so an occurrence is expanded right at its fire.
		TaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:   30 * time.Second,
		Logger:            alog,
		LogLevel:          asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(TypeOccurrence, r)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start the occurrence server: %w", err)
	}
	mgr, err := asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		PeriodicTaskConfigProvider: r,
		RedisConnOpt:               connOpt{sharedConn{r.rdb}},
		SchedulerOpts: &asynq.SchedulerOpts{
			Logger:          alog,
			LogLevel:        asynq.WarnLevel,
			PreEnqueueFunc:  r.stamp,
			PostEnqueueFunc: r.enqueued,
		},
	})
	if err == nil {
		err = mgr.Start()
	}
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("start the periodic task manager: %w", err)
	}
	<-ctx.Done()
	mgr.Shutdown()
	srv.Shutdown()
	return nil
}

// sharedConn hands asynq's periodic task manager the scheduler's own
// client, whatever its form. asynq closes a client it was given as a
// RedisConnOpt when it shuts down (and logs an error for one it was
// given as a shared client); this one's owner closes it, so its Close
// does nothing here.
//
// Sharing is right: go-redis clients are safe for concurrent use, and a
// Sentinel client follows failovers through the subscription it holds, a
// Cluster client through its slot map. A copy built from a client's
// options would not be equivalent: a failover client's options dial
// through the first client's Sentinel state, whose failover notices close
// only the first client's connections, and the first client's Close tears
// that state down.
type sharedConn struct{ redis.UniversalClient }

func (sharedConn) Close() error { return nil }

// connOpt is a RedisConnOpt that returns a client already made.
type connOpt struct{ c redis.UniversalClient }

func (o connOpt) MakeRedisClient() any { return o.c }

// asynqLogger routes asynq's log lines through zap.
type asynqLogger struct{ s *zap.SugaredLogger }

func (l asynqLogger) Debug(args ...any) { l.s.Debug(args...) }
func (l asynqLogger) Info(args ...any)  { l.s.Info(args...) }
func (l asynqLogger) Warn(args ...any)  { l.s.Warn(args...) }
func (l asynqLogger) Error(args ...any) { l.s.Error(args...) }
func (l asynqLogger) Fatal(args ...any) { l.s.Fatal(args...) }
