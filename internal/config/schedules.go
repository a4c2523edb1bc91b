package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/scheduler"
)

// ScheduleConfig is one recurring reminder job of `wabulk scheduler`: at
// each fire time of Cron in Timezone, every row of Audience becomes a
// message. The fields after audience are a campaign spec's
// (examples/campaign.yaml), placeholders and all.
type ScheduleConfig struct {
	ID       string `yaml:"id"`       // letters, digits, '_', '-'; at most 47
	Cron     string `yaml:"cron"`     // five fields ("0 9 * * MON-FRI") or @daily, @hourly…; not @every
	Timezone string `yaml:"timezone"` // IANA name (Africa/Dar_es_Salaam); default UTC
	Account  string `yaml:"account"`  // a provider account of this config
	// Audience is the recipients file, CSV or JSONL as `wabulk import`
	// reads it, read afresh at every occurrence by the scheduler process
	// that expands it (so every scheduler must be able to read it). A
	// relative path is read from the scheduler's working directory.
	Audience         string              `yaml:"audience"`
	Format           string              `yaml:"format"` // csv or jsonl; default from the extension (.jsonl, .ndjson), else csv
	Sender           string              `yaml:"sender"`
	DefaultRegion    string              `yaml:"default_region"`
	Message          message.Content     `yaml:"message"`
	FallbackTemplate *message.Template   `yaml:"fallback_template"`
	TTL              producer.Duration   `yaml:"ttl"`         // counted from the fire time; default 24h
	Priority         string              `yaml:"priority"`    // default high: reminders never wait behind campaigns
	QuietHours       *message.QuietHours `yaml:"quiet_hours"` // optional {start: "21:00", end: "08:00"}, recipient's local time
}

// ScheduleJobs checks the config's schedules, reporting every problem at
// once, each naming its job, and returns them as scheduler jobs. The
// audience files must exist and be readable here.
func (c *Config) ScheduleJobs() ([]scheduler.Job, error) {
	return c.scheduleJobs(true)
}

// ShownScheduleJobs is ScheduleJobs for a process that only shows the
// jobs (serve's console and API): the audience files need not be here,
// and no schedules is no error.
func (c *Config) ShownScheduleJobs() ([]scheduler.Job, error) {
	if len(c.Schedules) == 0 {
		return nil, nil
	}
	return c.scheduleJobs(false)
}

func (c *Config) scheduleJobs(readAudience bool) ([]scheduler.Job, error) {
	if len(c.Schedules) == 0 {
		return nil, errors.New("the config has no schedules (see the schedules section of examples/wabulk.yaml)")
	}
	var (
		errs []error
		jobs []scheduler.Job
		seen = map[string]bool{}
	)
	for i, s := range c.Schedules {
		where := fmt.Sprintf("schedules[%d]", i)
		if s.ID != "" {
			where = fmt.Sprintf("schedules[%d] (%s)", i, s.ID)
		}
		bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(where+": "+format, a...)) }
		switch {
		case s.ID == "":
			bad("id is required")
		case seen[s.ID]:
			bad("id is used twice")
		default:
			if err := scheduler.CheckJobID(s.ID); err != nil {
				bad("%v", err)
			}
		}
		seen[s.ID] = true
		loc := time.UTC
		if tz := strings.TrimSpace(s.Timezone); tz != "" {
			l, err := time.LoadLocation(tz)
			if err != nil || strings.EqualFold(tz, "local") {
				bad("timezone %q is not a known IANA time zone (e.g. Africa/Dar_es_Salaam, Asia/Riyadh, UTC)", s.Timezone)
			} else {
				loc = l
			}
		}
		if _, err := scheduler.ParseSchedule(s.Cron, loc); err != nil {
			bad("%v", err)
		}
		if s.Account == "" {
			bad("account is required")
		} else if _, err := c.Provider(s.Account); err != nil {
			bad("account: %v", err)
		}
		format := producer.Format(strings.ToLower(strings.TrimSpace(s.Format)))
		switch format {
		case "":
			format = producer.FormatCSV
			if l := strings.ToLower(s.Audience); strings.HasSuffix(l, ".jsonl") || strings.HasSuffix(l, ".ndjson") {
				format = producer.FormatJSONL
			}
		case producer.FormatCSV, producer.FormatJSONL:
		default:
			bad("format %q: want csv or jsonl", s.Format)
		}
		if !readAudience {
			if strings.TrimSpace(s.Audience) == "" {
				bad("audience: required: the CSV or JSONL file of recipients")
			}
		} else if err := checkAudience(s.Audience); err != nil {
			bad("audience: %v", err)
		}
		spec := producer.Spec{ID: "occurrence", Account: s.Account, Sender: s.Sender, Message: s.Message,
			FallbackTemplate: s.FallbackTemplate, TTL: s.TTL, Priority: s.Priority, DefaultRegion: s.DefaultRegion,
			QuietHours: s.QuietHours}
		if spec.Priority == "" {
			spec.Priority = string(message.LaneHigh)
		}
		if err := spec.Validate(); err != nil {
			bad("%s", strings.TrimPrefix(err.Error(), "invalid spec: "))
		}
		spec.ID = ""
		jobs = append(jobs, scheduler.Job{ID: s.ID, Cron: s.Cron, Location: loc, Spec: spec, Audience: s.Audience, Format: format})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return jobs, nil
}

// checkAudience reports whether path is a file this process can read.
func checkAudience(path string) error {
	if strings.TrimSpace(path) == "" {
		return errors.New("required: the CSV or JSONL file of recipients")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory, not a recipients file", path)
	}
	return nil
}
