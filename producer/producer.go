package producer

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabulk/wabulk/internal/taskbatch"
	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// Config configures a Producer.
type Config struct {
	// DefaultRegion is the ISO region for numbers written without a
	// country code (e.g. "TZ"); may be empty. A spec's default_region
	// overrides it.
	DefaultRegion string
	// Prefix is the key prefix the lane queues are named with
	// (message.QueueName). Defaults to "wabulk:".
	Prefix string
	// QueueShards is how many queues each lane is split into: a message's
	// task goes to the shard of its ID (message.SendQueue), so every
	// enqueue of one message meets its earlier task. The workers must
	// consume at least this many (worker.Config.QueueShards). Defaults to 1.
	QueueShards int
	// BatchSize is the number of rows per store round trip. Defaults to 500.
	BatchSize int
	// EnqueueWorkers is the number of parallel asynq enqueuers of
	// retry-failed (an import writes a batch's tasks in one round trip).
	// Defaults to 8.
	EnqueueWorkers int
	// MaxRecordBytes bounds one input row (a CSV record, quoted line
	// breaks included; a JSONL line): a longer one is a rejected row, read
	// to its end without being held, and the import goes on. With it an
	// import holds a bounded amount of memory whatever the input. Defaults
	// to 64 KiB.
	MaxRecordBytes int
	// MaxColumns bounds the columns of one CSV row (and of the header):
	// more is a rejected row. Defaults to 256.
	MaxColumns int
	// TaskRedis is the Redis an import writes its send tasks to, a batch
	// per round trip (internal/taskbatch): the one the asynq client works
	// on. Defaults to the store's.
	TaskRedis redis.UniversalClient
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Producer turns campaign specs and recipient files into message records
// and send tasks.
type Producer struct {
	st     *store.Store
	client *asynq.Client
	tasks  *taskbatch.Writer // an import's tasks, a batch in one round trip
	cfg    Config
}

// New returns a Producer that writes records to st and tasks through client.
func New(st *store.Store, client *asynq.Client, cfg Config) *Producer {
	if cfg.Prefix == "" {
		cfg.Prefix = "wabulk:"
	}
	if cfg.QueueShards <= 0 {
		cfg.QueueShards = 1
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.EnqueueWorkers <= 0 {
		cfg.EnqueueWorkers = 8
	}
	if cfg.MaxRecordBytes <= 0 {
		cfg.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if cfg.MaxColumns <= 0 {
		cfg.MaxColumns = DefaultMaxColumns
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TaskRedis == nil {
		cfg.TaskRedis = st.Redis()
	}
	return &Producer{st: st, client: client, tasks: taskbatch.New(cfg.TaskRedis), cfg: cfg}
}

// The defaults of Config.MaxRecordBytes and Config.MaxColumns.
const (
	DefaultMaxRecordBytes = 64 << 10
	DefaultMaxColumns     = 256
)

// queue is the queue of message id's send task on lane l: the shard of its
// ID, whichever path enqueues it.
func (p *Producer) queue(l message.Lane, id string) asynq.Option {
	return asynq.Queue(message.SendQueue(p.cfg.Prefix, l, id, p.cfg.QueueShards))
}

// BytesPerRowEstimate is the shortest likely input row ("+255712000001,A"
// and a line end): an input's size over it never underestimates its rows.
const BytesPerRowEstimate = 16

// Options tunes one Import.
type Options struct {
	// Format is the input format. Defaults to FormatCSV.
	Format Format
	// ExpectedRows, when known (a count, or the input's size over
	// BytesPerRowEstimate), sizes a new campaign's record buckets in Redis
	// (store.BucketsFor). 0: a default good for up to ~200,000 rows.
	ExpectedRows int64
	// Rejects, when set, receives one CSV row per rejected input row,
	// streamed: "line,reason" and then the row's original columns (for
	// CSV, under the input's header) or the raw line (for JSONL).
	Rejects io.Writer
	// Progress, when set, is called after every batch and at the end.
	Progress func(Progress)
	// FullTasks makes every send task carry its whole message
	// (message.NewSendTask) instead of the compact form, whose task holds
	// only the message ID and which workers render again from the record
	// and the campaign's stored spec (message.NewCompactSendTask). The
	// compact form keeps a queued recipient's asynq task at about half the
	// Redis memory; the full form saves the worker a record read and, once
	// per campaign, a spec read before the first guard (reminders use it:
	// each occurrence is a new campaign on lane high). Defaults to false.
	FullTasks bool
}

// Progress counts an import's rows so far. Every row read ends in exactly
// one of Accepted, Duplicate, Rejected, AlreadyPresent and OptedOut.
type Progress struct {
	Lines          int64 // data rows read so far (not counting the header)
	Accepted       int64 // new records created and enqueued
	Duplicate      int64 // repeated within this input (skipped)
	Rejected       int64 // bad rows (written to Rejects)
	AlreadyPresent int64 // already imported by an earlier run (skipped — nothing is sent twice)
	// OptedOut counts good rows whose recipient is on the account's
	// suppression list (store.OptOut). They are skipped: no record, no
	// task, nothing in Rejects (the row is fine; the contact said no). An
	// opted-out row wins over Duplicate and AlreadyPresent.
	OptedOut int64
	// Requeued counts, of AlreadyPresent, records still queued whose task
	// was missing (e.g. the earlier run died between record and task) and
	// has been enqueued again. A task that is still there is left alone.
	Requeued int64
}

// Result is what an Import did.
type Result struct {
	Progress
	CampaignCreated bool // this import created the campaign
}

// Import reads recipients from r and, for each row, creates the campaign
// message record and enqueues its send task. It first validates spec and
// reads the header (a missing phone or placeholder column fails before
// any row), then saves the campaign: a campaign with the same id and a
// different spec is an error, the same spec resumes it. Rows that cannot
// be used go to opt.Rejects, the campaign keeps the first
// store.MaxKeptRejects of all its runs' (store.CampaignRejects), and the
// import goes on; rows whose recipient opted out of the account are
// skipped and counted (Progress.OptedOut), checked once per batch; a
// failure of Redis stops it with an error that names the line it got to. Re-running the
// same import is always safe: rows already imported are skipped, and
// queued records whose task went missing are enqueued again.
//
// When ctx is cancelled, Import stops between batches and returns the
// counts so far with ctx.Err(). The counts of every run, finished or not,
// are added to the campaign's import stats.
// newImportRun checks spec and reads the input's header: everything an
// import does before it writes anything (Import, and Preview, which
// writes nothing).
func (p *Producer) newImportRun(spec *Spec, r io.Reader, opt Options) (*importRun, []byte, error) {
	if spec == nil {
		return nil, nil, errors.New("import: no spec")
	}
	if err := spec.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkSendAtRange(spec.SendAt, p.cfg.Now()); err != nil {
		return nil, nil, err
	}
	s := spec.normalized()
	region := s.DefaultRegion
	if region == "" {
		region = strings.ToUpper(strings.TrimSpace(p.cfg.DefaultRegion))
	}
	if region != "" {
		if err := checkRegion(region); err != nil {
			return nil, nil, fmt.Errorf("default region: %w", err)
		}
	}
	lane, _ := message.ParseLane(s.Priority)
	tmpl, err := compileTemplate(&body{Message: s.Message, Fallback: s.FallbackTemplate})
	if err != nil {
		return nil, nil, fmt.Errorf("message: %w", err)
	}
	src, err := newSource(opt.Format, r, tmpl, limits{bytes: p.cfg.MaxRecordBytes, cols: p.cfg.MaxColumns})
	if err != nil {
		return nil, nil, err
	}
	specJSON, err := s.canonicalJSON()
	if err != nil {
		return nil, nil, err
	}
	imp := &importRun{
		p:      p,
		spec:   &s,
		region: region,
		tmpl:   tmpl,
		src:    src,
		opt:    opt,
		run:    newRunID(),
		lane:   lane,
	}
	return imp, specJSON, nil
}

func (p *Producer) Import(ctx context.Context, spec *Spec, r io.Reader, opt Options) (Result, error) {
	imp, specJSON, err := p.newImportRun(spec, r, opt)
	if err != nil {
		return Result{}, err
	}
	s := imp.spec
	existing, created, err := p.st.SaveCampaign(ctx, store.Campaign{ID: s.ID, Account: s.Account, Spec: specJSON,
		ErrorBudget: s.ErrorBudget.storeBudget(), ExpectedRecipients: opt.ExpectedRows})
	if err != nil {
		return Result{}, err
	}
	if !created && !sameSpec(existing.Spec, specJSON) {
		return Result{}, fmt.Errorf("%w; re-import with the same spec to resume, or use a new id",
			&CampaignConflictError{ID: s.ID, CreatedAt: existing.CreatedAt})
	}
	imp.res = Result{CampaignCreated: created}
	if opt.Rejects != nil {
		// The header goes out with the first reject: a clean import
		// writes nothing, so a caller can create the file lazily.
		// Rejected rows are for people to fix: never formulas.
		imp.rejects = &safeWriter{Writer: csv.NewWriter(opt.Rejects)}
		imp.rejectsHeader = imp.src.rejectsHeader()
	}
	err = imp.loop(ctx)
	if rjErr := imp.flushRejects(); err == nil {
		err = rjErr
	}
	// The rejects of a run stopped early are kept too.
	if kErr := imp.keepRejects(context.WithoutCancel(ctx)); err == nil && kErr != nil {
		err = imp.stopped(0, kErr)
	}
	// Every run's counts are kept, finished or not; when Redis is down this
	// fails too and the error that stopped the run is the one to report.
	stErr := p.st.AddImportStats(context.WithoutCancel(ctx), s.ID, store.ImportStats{
		Accepted:       imp.res.Accepted,
		Duplicate:      imp.res.Duplicate,
		Rejected:       imp.res.Rejected,
		AlreadyPresent: imp.res.AlreadyPresent,
		OptedOut:       imp.res.OptedOut,
	})
	if err == nil {
		err = stErr
	}
	if opt.Progress != nil {
		opt.Progress(imp.res.Progress)
	}
	return imp.res, err
}

// CampaignConflictError is a campaign id already taken by a campaign with
// a different spec: nothing is imported under it. Import returns it
// wrapped; CheckSpec returns it before an import.
type CampaignConflictError struct {
	ID        string
	CreatedAt time.Time // when the existing campaign was created
}

func (e *CampaignConflictError) Error() string {
	return fmt.Sprintf("campaign %s already exists with a different spec (created %s)", e.ID, e.CreatedAt.Format(time.RFC3339))
}

// CheckSpec tells, before an import, whether spec may be imported as
// campaign spec.ID: nil when there is no such campaign yet or it has the
// same spec (the import resumes it), a *CampaignConflictError when the id
// is taken by another spec, and the store's error when it cannot tell.
// Import checks the same when it saves the campaign; CheckSpec lets a
// caller refuse a conflicting campaign before anything else, such as
// admission control, has a say.
func (p *Producer) CheckSpec(ctx context.Context, spec *Spec) error {
	specJSON, err := spec.canonicalJSON()
	if err != nil {
		return err
	}
	existing, err := p.st.Campaign(ctx, spec.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !sameSpec(existing.Spec, specJSON):
		return &CampaignConflictError{ID: spec.ID, CreatedAt: existing.CreatedAt}
	}
	return nil
}

// sameSpec reports whether a stored spec means the same as specJSON.
func sameSpec(stored, specJSON []byte) bool {
	var old Spec
	if err := json.Unmarshal(stored, &old); err != nil {
		return false
	}
	b, err := old.canonicalJSON()
	return err == nil && string(b) == string(specJSON)
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// importRun is one Import call's state.
type importRun struct {
	p             *Producer
	spec          *Spec
	region        string
	tmpl          *template
	src           source
	opt           Options
	run           string
	lane          message.Lane
	rejects       *safeWriter
	rejectsHeader []string // written before the first reject
	// onReject, when set, is told of every rejected row (Preview) instead
	// of keeping it for the store.
	onReject func(line int64, reason, text string)
	res      Result

	// kept are the rejects not yet handed to the campaign
	// (store.AddCampaignRejects), keptSent those that were: a run hands
	// over at most store.MaxKeptRejects.
	kept     []store.Reject
	keptSent int

	batch []pending // the rows read since the last batch was handed over
}

// pending is a row that became a message and waits for its batch.
type pending struct {
	line int64
	msg  message.Message
	vals []string // the row's placeholder values, kept with the record (retry-failed renders it again)
}

// loop reads the input and flushes it a batch at a time. One batch is in
// flight while the next is read: its Redis round trips overlap the reading
// and rendering of the next rows. Batches are flushed one after the other,
// in input order. When a batch fails or ctx is cancelled, the rows read
// past the last flushed batch are not imported and not counted: the counts
// and the error's line tell where a re-run resumes.
func (imp *importRun) loop(ctx context.Context) error {
	size := imp.p.cfg.BatchSize
	imp.batch = make([]pending, 0, size)
	spare := make([]pending, 0, size)
	if err := ctx.Err(); err != nil {
		return err
	}
	var (
		inflight chan batchResult // nil when no batch is in flight
		// The counts when the batch in flight was handed over.
		lines, rejected int64
		kept            int
	)
	// settle waits for the batch in flight and merges its counts.
	settle := func(report bool) error {
		if inflight == nil {
			return nil
		}
		r := <-inflight
		inflight = nil
		imp.res.add(r.counts)
		err := r.err
		if err == nil && report {
			// Cancelled: stop between batches (the last one, all read,
			// is settled whatever ctx says).
			err = ctx.Err()
		}
		if err != nil {
			imp.res.Lines, imp.res.Rejected, imp.kept = lines, rejected, imp.kept[:kept]
			if r.err != nil {
				return imp.stopped(r.first, r.err)
			}
			return err
		}
		if report && imp.opt.Progress != nil {
			imp.opt.Progress(imp.res.Progress)
			if err := ctx.Err(); err != nil {
				imp.res.Lines, imp.res.Rejected, imp.kept = lines, rejected, imp.kept[:kept]
				return err
			}
		}
		return nil
	}
	// handOff settles the batch in flight, hands the rejects since to the
	// campaign and sends the batch read meanwhile.
	handOff := func(report bool) error {
		if err := settle(report); err != nil {
			return err
		}
		if err := imp.flushRejects(); err != nil {
			return err
		}
		if err := imp.keepRejects(context.WithoutCancel(ctx)); err != nil {
			return imp.stopped(0, err)
		}
		if len(imp.batch) == 0 {
			return nil
		}
		lines, rejected, kept = imp.res.Lines, imp.res.Rejected, len(imp.kept)
		b := imp.batch
		imp.batch, spare = spare[:0], b
		inflight = make(chan batchResult, 1)
		go func(out chan<- batchResult) {
			// A batch runs to its end even when ctx is cancelled meanwhile.
			counts, err := imp.flush(context.WithoutCancel(ctx), b)
			out <- batchResult{first: b[0].line, counts: counts, err: err}
		}(inflight)
		return nil
	}
	for {
		r, err := imp.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The rows read so far are good: import them before stopping,
			// so the message below is true.
			if ferr := handOff(true); ferr != nil {
				return ferr
			}
			if ferr := settle(false); ferr != nil {
				return ferr
			}
			return imp.stopped(0, err)
		}
		imp.res.Lines++
		if err := imp.add(r); err != nil {
			if serr := settle(false); serr != nil {
				return serr
			}
			return err
		}
		if len(imp.batch) < size {
			continue
		}
		if err := handOff(true); err != nil {
			return err
		}
	}
	if err := handOff(true); err != nil {
		return err
	}
	return settle(false)
}

// batchResult is what flushing one batch did.
type batchResult struct {
	first  int64    // the batch's first line
	counts Progress // its OptedOut, Duplicate, AlreadyPresent, Accepted and Requeued
	err    error
}

// add adds the counts of a batch's flush.
func (r *Result) add(c Progress) {
	r.OptedOut += c.OptedOut
	r.Duplicate += c.Duplicate
	r.AlreadyPresent += c.AlreadyPresent
	r.Accepted += c.Accepted
	r.Requeued += c.Requeued
}

// add turns one row into a pending message or a reject.
func (imp *importRun) add(r *row) error {
	if r.reject != "" {
		return imp.reject(r, r.reject)
	}
	to, err := message.NormalizePhone(r.phone, imp.region)
	if err != nil {
		if strings.TrimSpace(r.phone) == "" {
			return imp.reject(r, "phone is empty")
		}
		return imp.reject(r, "phone "+err.Error())
	}
	for i, v := range r.values {
		if strings.TrimSpace(v) == "" {
			return imp.reject(r, fmt.Sprintf("%s %q is empty (the message uses {{%s}})", imp.src.valueNoun(), imp.tmpl.cols[i], imp.tmpl.cols[i]))
		}
	}
	rendered, err := imp.tmpl.render(r.values)
	if err != nil {
		return imp.reject(r, err.Error())
	}
	now := imp.p.cfg.Now()
	m := imp.spec.newMessage(to, rendered, now)
	m.ExpiresAt = imp.spec.expiresAt(now)
	// Message.Validate is what NewSendTask checks: a row that passes here
	// never fails later and stops the import.
	if err := m.Validate(); err != nil {
		return imp.reject(r, err.Error())
	}
	imp.batch = append(imp.batch, pending{line: r.line, msg: m, vals: append(make([]string, 0, len(r.values)), r.values...)})
	return nil
}

// newMessage is the campaign's message to one recipient, rendered; the
// caller sets its ExpiresAt. Import and retry-failed both build it here.
func (s *Spec) newMessage(to string, rendered body, now time.Time) message.Message {
	return message.Message{
		ID:         message.CampaignMessageID(s.ID, to),
		CampaignID: s.ID,
		Account:    s.Account,
		From:       s.Sender,
		To:         to,
		Content:    rendered.Message,
		Fallback:   rendered.Fallback,
		CreatedAt:  now,
		QuietHours: s.QuietHours,
	}
}

// expiresAt is when a message of the (normalized) campaign created at
// created stops being worth sending: TTL after the send time. A message
// already expired at import is still imported; the worker records it
// expired, so it has an outcome.
func (s *Spec) expiresAt(created time.Time) time.Time {
	base := created
	if !s.SendAt.IsZero() {
		base = s.SendAt
	}
	return base.Add(time.Duration(s.TTL))
}

func (imp *importRun) reject(r *row, reason string) error {
	imp.res.Rejected++
	if imp.onReject != nil {
		imp.onReject(r.line, reason, string(r.text[:min(len(r.text), keptRowBytes)]))
	} else if imp.keptSent+len(imp.kept) < store.MaxKeptRejects {
		// The store cuts the row to its bound, at a character's edge.
		text := r.text[:min(len(r.text), keptRowBytes)]
		imp.kept = append(imp.kept, store.Reject{Line: r.line, Reason: reason, Row: string(text)})
	}
	if imp.rejects == nil {
		return nil
	}
	if imp.rejectsHeader != nil {
		if err := imp.rejects.Write(imp.rejectsHeader); err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
		imp.rejectsHeader = nil
	}
	rec := append([]string{strconv.FormatInt(r.line, 10), reason}, r.raw...)
	if err := imp.rejects.Write(rec); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return nil
}

// keptRowBytes is how much of a rejected row the import hands to the
// store, which keeps 512 bytes of it: a little more, so that it can cut at
// a character's edge.
const keptRowBytes = 512 + utf8.UTFMax

// keepRejects hands the rejects since the last call to the campaign, which
// keeps the first store.MaxKeptRejects of all runs (the console shows
// them); a run stops handing any over once it has handed over that many.
func (imp *importRun) keepRejects(ctx context.Context) error {
	if len(imp.kept) == 0 {
		return nil
	}
	if err := imp.p.st.AddCampaignRejects(ctx, imp.spec.ID, imp.kept); err != nil {
		return err
	}
	imp.keptSent += len(imp.kept)
	imp.kept = imp.kept[:0]
	return nil
}

// stopped wraps an error that stops the import with how far it got.
func (imp *importRun) stopped(line int64, err error) error {
	where := fmt.Sprintf("after %d rows", imp.res.Lines)
	if line > 0 {
		where = fmt.Sprintf("at line %d", line)
	}
	return fmt.Errorf("import of campaign %s stopped %s (every row before it is imported): %w; re-running the same import resumes safely, nothing is sent twice",
		imp.spec.ID, where, err)
}

// job is one task to enqueue.
type job struct {
	msg     *message.Message
	requeue bool // an earlier run's queued record, not a new one
}

// flush drops the batch's opted-out recipients (one round trip), stores
// the rest (one round trip) and enqueues the tasks of new records and of
// earlier runs' still-queued records (one round trip), and returns what it
// counted. It runs beside the reading of the next batch: it touches
// nothing of imp but what stays the same through the run.
func (imp *importRun) flush(ctx context.Context, batch []pending) (Progress, error) {
	var c Progress
	batch, err := imp.dropOptedOut(ctx, batch, &c)
	if err != nil || len(batch) == 0 {
		return c, err
	}
	recs := make([]store.NewRecord, len(batch))
	for i := range batch {
		m := &batch[i].msg
		recs[i] = store.NewRecord{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account, To: m.To, Run: imp.run, Values: batch[i].vals}
	}
	res, err := imp.p.st.Create(ctx, recs)
	if err != nil {
		return c, err
	}
	jobs := make([]job, 0, len(batch))
	var requeue []int // indexes into jobs
	for i, cr := range res {
		m := &batch[i].msg
		switch {
		case cr.Created:
			jobs = append(jobs, job{msg: m})
		case cr.SameRun:
			c.Duplicate++
		default:
			c.AlreadyPresent++
			if cr.Status == message.Queued {
				requeue = append(requeue, len(jobs))
				jobs = append(jobs, job{msg: m, requeue: true})
			}
		}
	}
	if err := imp.keepCreation(ctx, jobs, requeue); err != nil {
		return c, err
	}
	accepted, requeued, err := imp.enqueue(ctx, jobs)
	c.Accepted += accepted
	c.Requeued += requeued
	return c, err
}

// dropOptedOut returns batch without, and counts in c, the rows whose
// recipient opted out of the campaign's account. A record an earlier run
// left queued for such a recipient (its task lost in a crash, so no worker
// will settle it) ends opted_out here, so the campaign still drains.
func (imp *importRun) dropOptedOut(ctx context.Context, batch []pending, c *Progress) ([]pending, error) {
	tos := make([]string, len(batch))
	for i := range batch {
		tos[i] = batch[i].msg.To
	}
	out, err := imp.p.st.OptedOutMany(ctx, imp.spec.Account, tos)
	if err != nil {
		return nil, err
	}
	kept := batch[:0]
	for i, pd := range batch {
		if out[i] {
			c.OptedOut++
			m := &pd.msg
			_, err := imp.p.st.Transition(ctx, store.Ref{ID: m.ID, CampaignID: m.CampaignID, Account: m.Account}, message.OptedOut,
				store.Update{From: message.Queued, ErrorCode: "opted_out", Error: "the recipient opted out of this account's messages"})
			if err != nil && !errors.Is(err, store.ErrNotFound) && !store.IsTransitionError(err) {
				return nil, err
			}
			continue
		}
		kept = append(kept, pd)
	}
	return kept, nil
}

// keepCreation gives re-enqueued messages the creation time of their
// record, so a re-import never extends a message's TTL.
func (imp *importRun) keepCreation(ctx context.Context, jobs []job, requeue []int) error {
	if len(requeue) == 0 {
		return nil
	}
	ids := make([]string, len(requeue))
	for i, j := range requeue {
		ids[i] = jobs[j].msg.ID
	}
	recs, err := imp.p.st.GetMany(ctx, ids)
	if err != nil {
		return err
	}
	for i, rec := range recs {
		if rec == nil || rec.CreatedAt.IsZero() {
			continue
		}
		m := jobs[requeue[i]].msg
		m.CreatedAt = rec.CreatedAt
		m.ExpiresAt = imp.spec.expiresAt(rec.CreatedAt)
	}
	return nil
}

// queue is the queue of message id's send task: its shard of the lane.
func (imp *importRun) queue(id string) string {
	return message.SendQueue(imp.p.cfg.Prefix, imp.lane, id, imp.p.cfg.QueueShards)
}

// enqueue writes the send tasks of jobs in one round trip per Redis node
// (taskbatch: asynq's enqueue, a batch at a time). A task whose ID is still
// in its queue is left alone, which is what is wanted.
func (imp *importRun) enqueue(ctx context.Context, jobs []job) (accepted, requeued int64, err error) {
	if len(jobs) == 0 {
		return 0, 0, nil
	}
	tasks := make([]taskbatch.Task, len(jobs))
	for i, j := range jobs {
		m := j.msg
		t := taskbatch.Task{Queue: imp.queue(m.ID), ID: m.ID, Type: message.TypeSend, MaxRetry: message.TaskMaxRetry, ProcessAt: imp.spec.SendAt}
		if imp.opt.FullTasks {
			full, err := message.NewSendTask(m)
			if err != nil {
				return 0, 0, fmt.Errorf("build task of %s: %w", m.ID, err)
			}
			t.Payload = full.Payload()
		}
		// The compact form: m was validated when its row was read, and its
		// record holds what renders it again (the row's values, with the
		// campaign's spec).
		tasks[i] = t
	}
	written, err := imp.p.tasks.Write(ctx, tasks)
	if err != nil {
		return 0, 0, fmt.Errorf("enqueue %d tasks: %w", len(tasks), err)
	}
	for i, j := range jobs {
		switch {
		case !j.requeue:
			accepted++
		case written[i]:
			requeued++
		}
	}
	return accepted, requeued, nil
}

func (imp *importRun) flushRejects() error {
	if imp.rejects == nil {
		return nil
	}
	imp.rejects.Flush()
	if err := imp.rejects.Error(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return nil
}
