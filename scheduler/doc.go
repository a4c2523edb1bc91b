// Package scheduler is wabulk's time-driven work beside the queues:
// recurring reminders.
//
// # Recurring reminders
//
// Reminders runs the config's jobs through asynq's PeriodicTaskManager:
// at each cron fire time (in the job's time zone) an occurrence task is
// enqueued, stamped with the fire time, and expanded by the scheduler
// process itself (it reads the audience file) into a campaign named job +
// fire time (UTC) through producer.Import, on lane high. Message ids are
// job + fire time + recipient and records are created only if absent, so
// two scheduler replicas that both fire (asynq's scheduler alone
// double-enqueues) never send a reminder twice.
//
// Schedules are parsed by ParseSchedule (five-field cron or a descriptor
// such as @daily, in a time zone); Schedule.Latest names the last fire time
// at or before an instant, which `wabulk scheduler --once` expands.
//
// The scheduler never writes a message record itself and never sends: an
// occurrence becomes records and send tasks through the producer, and the
// worker sends them. Status polling for providers without push receipts is
// not the scheduler's: it is receipts.Poller, run by every worker.
//
//	r, err := scheduler.NewReminders(rdb, prod, scheduler.RemindersConfig{
//		Jobs:   []scheduler.Job{{ID: "daily-reminder", Cron: "0 9 * * *", Location: nairobi,
//			Spec: spec, Audience: "patients.csv"}},
//		Prefix: "wabulk:",
//		Logger: log,
//	})
//	if err != nil { ... }
//	go r.Run(ctx) // until ctx is done
package scheduler
