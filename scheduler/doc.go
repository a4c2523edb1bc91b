// Package scheduler is wabulk's time-driven work beside the queues:
// recurring reminders and status polling.
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
// # Status polling
//
// Providers without push receipts (DecisionTelecom, whose
// statuses are read from receive-whatsapp) are asked for the status of
// every accepted message that has no final status yet, at a bounded rate,
// and what they answer reaches the records exactly as a callback would.
//
// # Status polling
//
// When such a provider accepts a message, the worker puts its provider
// message id on the account's due-set in Redis (store.SchedulePoll), first
// due worker.Config.PollFirstAfter later. Every process running a Poller
// (each worker pod) then works in rounds, per account:
//
//	claim   store.ClaimPolls: one Lua call takes up to Batch due ids, leases
//	        them for Lease (no other pod takes them; a crash leaves them due
//	        again after it) and holds the account to Rate polls/s across
//	        every pod (GCRA, a second's worth at once)
//	poll    the adapter's PollStatus, Parallel at a time, each bounded by
//	        PollTimeout
//	hand on the statuses that changed since the last poll, as ONE
//	        providers.EventBatch task (producer.EnqueueEvents), just as the
//	        webhook receiver stores a callback: the worker's event processor
//	        applies them, forward only (a late "sent" never overwrites
//	        "read"), counters following
//	settle  store.DonePoll or store.ReschedulePoll, per id:
//
//	read, failed                    done: final
//	accepted, sent, delivered       again on the schedule below
//	first scheduled over MaxAge ago done, with a debug line; not polled
//	transient failure               again on the schedule (the provider's Retry-After when
//	                                longer); after a throttle (429) the round's other ids wait too
//	permanent failure (unknown id)  done, with a warning
//	account failure (401)           again after the longest interval, the round's other ids too;
//	                                one warning per account until a poll succeeds again
//
// The schedule goes by age, not by count: the k-th poll of a message is
// due about Intervals[0] + … + Intervals[k-1] after it was first scheduled
// (10s, 40s, 1m40s, 3m40s, 8m40s, 18m40s, then every 30m with the
// defaults), so a message polled late (a backlog, a rate-limited round)
// is not polled more often to catch up. The last poll is at MaxAge.
//
// A poll answering what the last one did hands nothing on, and "accepted"
// (queued at the provider) never does: the record is accepted already.
// Should handing on fail (Redis), the changed ids are polled again after
// Intervals[0] and nothing is lost.
//
// The scheduler never writes a message record and never sends: records
// change only through the event processor.
//
//	p, err := scheduler.NewPoller(st, asynqClient, scheduler.PollerConfig{
//		Accounts: map[string]providers.StatusPoller{"dt-main": dtClient},
//		Rate:     10, // polls/s for the account, across every pod
//		Prefix:   "wabulk:",
//		Logger:   log,
//	})
//	if err != nil { ... }
//	go p.Run(ctx) // until ctx is done
package scheduler
