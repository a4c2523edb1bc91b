package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/scheduler"
	"github.com/wabulk/wabulk/store"
)

// Job is a recurring reminder job with its next fire times and its last
// occurrences.
type Job struct {
	ID       string `json:"id"`
	Cron     string `json:"cron"`
	Timezone string `json:"timezone"`
	Account  string `json:"account"`
	Audience string `json:"audience"`
	// Next are its next fire times after now.
	Next []time.Time `json:"next"`
	// Last are its latest fire times up to now, newest first, each with
	// its occurrence's campaign when one was expanded.
	Last []Occurrence `json:"last"`
}

// Occurrence is one fire time of a job and what became of it.
type Occurrence struct {
	Fire     time.Time `json:"fire"`
	Campaign string    `json:"campaign"`
	// Progress is the occurrence's campaign (counts per state, rate); nil
	// when no campaign exists for it: not expanded (no scheduler ran
	// then, or the occurrence is older than the campaign retention).
	Progress *producer.CampaignProgress `json:"progress,omitempty"`
}

// Schedules returns every job with its next n fire times and its last
// last occurrences.
func (f *Fleet) Schedules(ctx context.Context, next, last int) ([]Job, error) {
	now := f.cfg.Now()
	out := make([]Job, 0, len(f.cfg.Jobs))
	for _, j := range f.cfg.Jobs {
		sched, err := scheduler.ParseSchedule(j.Cron, j.Location)
		if err != nil {
			return nil, err
		}
		job := Job{ID: j.ID, Cron: sched.String(), Timezone: sched.Location().String(), Account: j.Spec.Account, Audience: j.Audience,
			Next: []time.Time{}, Last: []Occurrence{}}
		t := now
		for range next {
			t = sched.Next(t)
			if t.IsZero() {
				break
			}
			job.Next = append(job.Next, t)
		}
		t = now
		for range last {
			fire, ok := sched.Latest(t)
			if !ok {
				break
			}
			occ := Occurrence{Fire: fire, Campaign: scheduler.OccurrenceID(j.ID, fire)}
			pr, err := f.p.CampaignProgress(ctx, occ.Campaign)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, err
			default:
				occ.Progress = &pr
			}
			job.Last = append(job.Last, occ)
			t = fire.Add(-time.Second)
		}
		out = append(out, job)
	}
	return out, nil
}
