package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"
)

// TypeOccurrence is the asynq task type of one occurrence of a recurring
// reminder job: expanding it turns the job's audience into messages.
const TypeOccurrence = "wabulk:occurrence"

// OccurrenceQueue is the asynq queue of occurrence tasks under a key
// prefix. Only `wabulk scheduler` processes serve it: the audience file is
// read where the schedule is configured.
func OccurrenceQueue(prefix string) string { return prefix + "occurrences" }

// fireHeader is the task header carrying the occurrence's fire time,
// written by the scheduler that fired it (Reminders.stamp).
const fireHeader = "wabulk-fire"

// occurrenceTimeLayout writes an occurrence's fire time in UTC, compactly:
// 20261123T060000Z.
const occurrenceTimeLayout = "20060102T150405Z"

// maxJobIDLen leaves room in a campaign id (64) for ".20261123T060000Z".
const maxJobIDLen = 64 - 1 - len(occurrenceTimeLayout)

var jobIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// CheckJobID reports whether id can name a job: letters, digits, '_' and
// '-', at most 47 of them ('.' separates the job from the fire time in an
// occurrence id, whose whole is a campaign id of at most 64).
func CheckJobID(id string) error {
	if id == "" || len(id) > maxJobIDLen || !jobIDRE.MatchString(id) {
		return fmt.Errorf("id %q must be 1–%d letters, digits, '_' or '-'", id, maxJobIDLen)
	}
	return nil
}

// OccurrenceID is the campaign id of job's occurrence fired at fire: the
// job id and the fire time in UTC ("dental-reminder.20261123T060000Z").
// Its messages' ids add the recipient (message.CampaignMessageID), so
// every process that expands the same occurrence makes the same ids.
func OccurrenceID(job string, fire time.Time) string {
	return job + "." + fire.UTC().Format(occurrenceTimeLayout)
}

// Schedule is a job's cron schedule in its time zone.
type Schedule struct {
	spec string // as written
	loc  *time.Location
	s    cron.Schedule
}

// cronParser reads what asynq's scheduler reads (robfig/cron's standard
// parser: five fields or a descriptor), so a spec accepted here fires there.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a five-field cron expression ("0 9 * * MON-FRI") or
// a descriptor (@daily, @hourly, …) for wall-clock times in loc (nil: UTC).
// "@every" is refused: its fire times count from each process's start, so
// two scheduler replicas would fire at different times and give one
// occurrence two ids. A time zone in the expression (CRON_TZ=) is refused
// too: the job's timezone says it.
func ParseSchedule(spec string, loc *time.Location) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case spec == "":
		return nil, errors.New("cron is empty")
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("cron %q: @every is not supported (its times depend on when each scheduler started, so replicas would disagree); write the times, e.g. \"*/15 * * * *\"", spec)
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return nil, fmt.Errorf("cron %q: give the time zone as the job's timezone, not in the expression", spec)
	}
	s, err := cronParser.Parse("CRON_TZ=" + loc.String() + " " + spec)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w (want five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * MON-FRI\")", spec, err)
	}
	sc := &Schedule{spec: spec, loc: loc, s: s}
	if sc.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("cron %q never fires", spec)
	}
	return sc, nil
}

// Cronspec is the spec as asynq's scheduler takes it, time zone included.
func (s *Schedule) Cronspec() string { return "CRON_TZ=" + s.loc.String() + " " + s.spec }

// String is the spec as written.
func (s *Schedule) String() string { return s.spec }

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next is the first fire time after t; zero if none within five years.
func (s *Schedule) Next(t time.Time) time.Time { return s.s.Next(t) }

// Latest is the last fire time at or before t: the occurrence a task
// processed at t belongs to when nothing else says. ok is false when the
// schedule has not fired in the ten years before t.
func (s *Schedule) Latest(t time.Time) (fire time.Time, ok bool) {
	// cron has no "previous": step back until a fire time lies in
	// (t-d, t], doubling d, then walk forward to the last one.
	for d := time.Minute; d <= 10*366*24*time.Hour; d *= 2 {
		n := s.s.Next(t.Add(-d))
		if n.IsZero() || n.After(t) {
			continue
		}
		for {
			next := s.s.Next(n)
			if next.IsZero() || next.After(t) {
				return n, true
			}
			n = next
		}
	}
	return time.Time{}, false
}

// IsFire reports whether t is one of the schedule's fire times.
func (s *Schedule) IsFire(t time.Time) bool {
	f, ok := s.Latest(t)
	return ok && f.Equal(t)
}

// occurrencePayload is an occurrence task's payload: the job only. The
// fire time travels in a header (fireHeader), so the periodic task the
// scheduler registers stays the same from one fire to the next.
type occurrencePayload struct {
	V   int    `json:"v"`
	Job string `json:"job"`
}

// newOccurrenceTask is the task of job's occurrences. fire, when not
// zero, is written in its header; the periodic task has it blank and the
// scheduler stamps it as it fires.
func newOccurrenceTask(job string, fire time.Time, opts ...asynq.Option) *asynq.Task {
	b, _ := json.Marshal(occurrencePayload{V: 1, Job: job}) // cannot fail
	h := map[string]string{fireHeader: ""}
	if !fire.IsZero() {
		h[fireHeader] = fire.UTC().Format(time.RFC3339)
	}
	return asynq.NewTaskWithHeaders(TypeOccurrence, b, h, opts...)
}

// decodeOccurrence reads an occurrence task: its job, and the fire time
// its header carries (zero when blank).
func decodeOccurrence(t *asynq.Task) (job string, fire time.Time, err error) {
	var p occurrencePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.V != 1 || p.Job == "" {
		return "", time.Time{}, fmt.Errorf("bad occurrence payload %q", t.Payload())
	}
	if v := t.Headers()[fireHeader]; v != "" {
		fire, err = time.Parse(time.RFC3339, v)
		if err != nil {
			return p.Job, time.Time{}, fmt.Errorf("occurrence of %s: bad fire time %q in its header", p.Job, v)
		}
	}
	return p.Job, fire, nil
}
