package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/internal/app"
	"github.com/wabulk/wabulk/internal/term"

	// Time zones travel inside the binary: schedules and quiet hours work
	// on images without a zone database.
	_ "time/tzdata"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/scheduler"
)

func schedulerCmd() *cobra.Command {
	c := command("scheduler [--config FILE] [--list | --once JOB [--at TIME]]", "run recurring reminder jobs from the config's schedules (cron, time zone, audience file)", `
Runs the recurring reminder jobs of the config's schedules section (see
examples/wabulk.yaml). At each fire time of a job's cron, read in its
timezone, every row of its audience file (CSV or JSONL, read as `+"`wabulk import`"+`
reads one: {{column}} placeholders, per-row rejects, duplicates and opt-outs
skipped) becomes one message, on lane high unless the job says otherwise.
The workers send them; a message not sent within the job's ttl of the fire
time ends expired. Each occurrence is a campaign named
JOB.YYYYMMDDTHHMMSSZ (the fire time in UTC), so `+"`wabulk campaign status`"+` and
`+"`report`"+` show it like any campaign.

It lists the jobs with their next fire times, then runs until SIGINT or
SIGTERM: asynq's periodic task manager enqueues one occurrence task per fire,
and a small asynq server in this process expands it (so the audience file is
read here, where the schedule is configured). The scheduler sends nothing
itself and needs no provider credentials.

Run two or more for availability. Each of them enqueues every occurrence
(asynq's scheduler elects no leader), but message ids are job + fire time +
recipient and a record is only ever created once, so each reminder is sent
once. Every scheduler must be able to read every audience file: whichever
takes an occurrence expands it.

--once JOB expands one occurrence now and prints what it imported: the job's
latest fire time (catching up an occurrence missed while no scheduler ran;
reminders of it already sent are not sent again), or the fire time --at
names. --list checks the schedules and prints each job's next fire times,
without Redis.`, none, nil)
	fs := c.Flags()
	load := configFlag(fs)
	once := fs.String("once", "", "expand one occurrence of this job now and exit")
	admin := fs.String("admin-listen", "", `address of /healthz, /readyz and /metrics (default: admin.listen from the config, 127.0.0.1:9090; "off" for none)`)
	at := fs.String("at", "", "with --once: the occurrence, as its fire time in RFC 3339 (default: the job's latest fire time)")
	list := fs.Bool("list", false, "check the schedules, print each job's next fire times and exit")
	c.RunE = func(cmd *cobra.Command, args []string) (err error) {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		if fs.NArg() > 0 {
			return usagef("unexpected argument %q", fs.Arg(0))
		}
		if *at != "" && *once == "" {
			return usagef("--at goes with --once JOB")
		}
		if *list && *once != "" {
			return usagef("--list and --once exclude each other")
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		jobs, err := cfg.ScheduleJobs()
		if err != nil {
			return err
		}
		log, err := app.NewLogger(cfg.Log)
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		defer logFailure(&err, cfg.Log.Format, log)
		if err := scheduler.CheckJobs(jobs); err != nil {
			return err
		}
		now := time.Now()
		if *list {
			printJobs(out, jobs, now, 3)
			return nil
		}
		// --once: which occurrence, checked before Redis is reached.
		var (
			sched *scheduler.Schedule
			fire  time.Time
		)
		if *once != "" {
			for _, j := range jobs {
				if j.ID == *once {
					sched, _ = scheduler.ParseSchedule(j.Cron, j.Location) // checked above
				}
			}
			if sched == nil {
				return usagef("--once %q: no such job in the config (have: %s)", *once, jobIDs(jobs))
			}
			latest, ok := sched.Latest(now)
			fire = latest
			if *at != "" {
				t, err := time.Parse(time.RFC3339, *at)
				if err != nil {
					return usagef("--at %q: want an RFC 3339 time, e.g. 2026-11-23T09:00:00+03:00", *at)
				}
				if t.After(now) {
					return usagef("--at %s is in the future: the scheduler runs it then", *at)
				}
				if !sched.IsFire(t) {
					return usagef("--at %s is not a fire time of job %s (cron %q in %s); its latest is %s", *at, *once, sched, sched.Location(),
						latest.In(sched.Location()).Format(time.RFC3339))
				}
				fire, ok = t, true
			}
			if !ok {
				return fmt.Errorf("job %s has not fired yet", *once)
			}
		}

		c, err := app.OpenRedis(ctx, cfg.Redis, false)
		if err != nil {
			return err
		}
		defer c.Close()
		p := app.NewPipeline(cfg, c, nil, log)
		defer p.Client.Close()
		r, err := scheduler.NewReminders(c.RDB, p.Producer, scheduler.RemindersConfig{Jobs: jobs, Prefix: cfg.Redis.Prefix, Logger: log})
		if err != nil {
			return err
		}
		if *once != "" {
			occ, err := r.Expand(ctx, *once, fire)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "occurrence of %s fired %s (%s)\n", *once, fire.In(sched.Location()).Format("Mon 2006-01-02 15:04 MST"), fire.UTC().Format(time.RFC3339))
			printImportSummary(out, occ.Campaign, occ.Result, nil)
			for _, l := range occ.Rejects {
				fmt.Fprintf(out, "  rejected %s\n", term.Clean(l))
			}
			return nil
		}

		if cfg.Log.Format != "json" {
			printJobs(out, jobs, now, 1)
		}
		hctx, stopHealth := context.WithCancel(ctx)
		defer stopHealth()
		health := app.NewHealth(c.RDB, cfg.Redis.Prefix, "scheduler", 0, log)
		go health.Run(hctx)
		if _, err := app.StartAdmin(hctx, cmp.Or(*admin, cfg.Admin.Listen), *admin != "" || !cfg.Admin.Defaulted(), app.AdminOptions{Process: "scheduler", Health: health}, log); err != nil {
			return err
		}
		log.Info("scheduler started", zap.Int("jobs", len(jobs)), zap.String("queue", r.Queue()))
		return r.Run(ctx)
	}
	return c
}

// printJobs writes a table of the jobs with their next n fire times after
// now. The jobs are checked.
func printJobs(out io.Writer, jobs []scheduler.Job, now time.Time, n int) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tCRON\tTIMEZONE\tACCOUNT\tAUDIENCE\tNEXT (LOCAL)\tNEXT (UTC)")
	for _, j := range jobs {
		sched, err := scheduler.ParseSchedule(j.Cron, j.Location)
		if err != nil {
			continue
		}
		next := sched.Next(now)
		for i := range n {
			if next.IsZero() {
				break
			}
			local, utc := next.In(sched.Location()).Format("Mon 2006-01-02 15:04 MST"), next.UTC().Format(time.RFC3339)
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, sched, sched.Location(), j.Spec.Account, j.Audience, local, utc)
			} else {
				fmt.Fprintf(tw, "\t\t\t\t\t%s\t%s\n", local, utc)
			}
			next = sched.Next(next)
		}
	}
	_ = tw.Flush()
}

func jobIDs(jobs []scheduler.Job) string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return fmt.Sprint(ids)
}
