// Package worker is wabulk's asynq side: the send pipeline that turns a
// queued task into exactly one outcome, the event processor that applies
// provider callbacks, and the server that runs both.
//
// The send handler reads top to bottom as its guards:
//
//	decode payload      → a compact task (a campaign's message) is rendered
//	                      again from its record and its campaign's spec;
//	                      bad payload, or a compact task whose record or
//	                      campaign is missing: record invalid (when there
//	                      is one), task archived with the reason
//	TTL                 → expired, never sent
//	quiet hours         → deferred (no attempt) until the window ends at the
//	                      recipient's local time, or expired if the TTL ends first
//	opt-out             → recipient on the account's suppression list: opted_out
//	24-hour window      → free-form message outside the window as its account's
//	                      policy reads it (Config.Windows: enforce, no inbound
//	                      in 24 h; provider, the provider refused one for the
//	                      window since the contact last wrote): window_closed,
//	                      or its fallback template goes instead (Message.Fallback)
//	marketing stop      → a marketing template (message.Template.Marketing) to a
//	                      contact that stopped the account's marketing messages:
//	                      opted_out, code marketing_stopped
//	rate limit          → sleep the reserved wait; a longer wait is a deferral
//	record + claim      → queued → sending in one compare-and-set: a message a
//	                      provider already took is never sent again, one an
//	                      earlier run was sending is settled as ambiguous, and
//	                      of two runs at once exactly one gets past
//	provider send       → accepted, or the failure classified below; an
//	                      acceptance by a provider without push receipts
//	                      schedules its status polls (store.SchedulePoll)
//
// The guards before the claim settle a message only while its record is
// queued, so they can run before the record is read: reading and claiming
// are one Redis round trip. A compact task reads the record once more, to
// render its message (the campaign's parsed spec is kept per campaign ID:
// specs never change once saved), in the same round trip as its
// recipient's opt-out and marketing stop (store.GetForSend). A send thus
// costs four Redis round trips of its own: that read, the claim (with its
// WAIT when replicas must confirm it), the outcome (with the provider
// message id's index entry, in one round trip on a single node), and
// asynq's dequeue and done around them.
//
// A campaign's state is a guard too: a paused campaign's messages wait
// (no attempt burned) and a cancelled one's end cancelled; the claim checks
// again atomically. A message that gives up after MaxAttempts transient
// failures is marked retryable (for retry-failed), and a failed outcome
// counts against the campaign's error budget, which pauses the campaign
// when crossed.
//
// This package is the one place where a *providers.SendError becomes
// asynq's vocabulary: transient failures retry with exponential backoff and
// jitter (Retry-After honoured, never past the TTL, at most MaxAttempts);
// permanent ones end failed with the provider's code (a window refusal
// ends window_closed and closes the contact's window, store.CloseWindow,
// or sends the fallback template instead); account-level ones
// and rate limits are deferrals that burn no attempt (IsFailure false);
// an ambiguous failure (the provider may have acted) is not resent unless
// ResendAmbiguous says so.
//
// The event processor (Events, task type receipts.TypeEvents on its own
// queue, weighed by EventsWeight so receipts never wait behind a campaign)
// moves a record to a receipt's status through the store, which refuses
// backward moves: duplicates and late receipts change nothing, and campaign
// counters follow. A receipt that beat the send's own write (its provider
// message id not recorded yet) is held: the batch is deferred and tried
// again whole (applying is idempotent) until EventHoldFor after the
// callback arrived, then dropped with a warning. An inbound message opens
// the contact's 24-hour window; one whose whole text is an opt-out keyword
// (STOP, UNSUBSCRIBE, ACHA, СТОП, … — Config.OptOutKeywords) puts the
// contact on the account's suppression list, an opt-in keyword (START, …)
// takes it off. A message posted in a group chat (Event.Group) does
// neither: its author wrote to the group, not to the business. An edited
// message counts as the contact writing, its new text as a keyword. A
// receipt whose provider message id the account's own index lacks is
// looked up in the other accounts of its kind (Config.AccountKinds) and
// applied there.
//
// Preference events (a contact stopping or resuming marketing messages)
// record a marketing stop on the account, apart from its suppression
// list. Account events act on the provider's notice about the account: a
// ban or messaging restriction pauses it with the notice as the reason
// ("blocked (provider notice DISABLED_UPDATE: ...)"), as an account-level
// send error would; a notice lifting one (a reinstatement) resumes it only
// when that kind of notice caused the pause; anything else (system-level
// errors) is logged and counted. Events tasks need a MaxRetry above 0: with
// MaxRetry 0, asynq archives a deferred task (its default of 25 is fine).
//
// A worker that dies (kill -9, a lost node) leaves its tasks active in
// asynq with a lease nobody renews. Every worker puts back, every
// Config.LeaseCheckInterval, the tasks of its queues whose lease expired
// Config.LeaseGrace ago, at the head of their queue and with no attempt
// counted, as asynq's graceful shutdown does (lease.go): they run again
// 30–40 s after the death, not the 87–130 s of asynq's own recoverer.
// What that recoverer still hands back (asynq.ErrLeaseExpired) runs at
// once and is no failure. Either way the record decides: a message found
// sending is settled as ambiguous, never sent again.
//
// The server takes send tasks from every shard of every lane
// (Config.QueueShards, message.LaneQueues), each shard with its lane's
// weight; at start it names the shards beyond its count that hold tasks
// it will never take.
//
// The worker never creates records or send tasks and never parses config
// files.
package worker
