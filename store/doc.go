// Package store is everything wabulk remembers in Redis besides the asynq
// queue: message records (state, attempts, provider message id, error,
// timestamps), campaign records and their per-state counters, the index
// from provider message id to message, the time of each contact's last
// inbound message (the 24-hour customer-service window), each account's
// suppression list (opt-outs) and, apart from it, the contacts that
// stopped its marketing messages (marketing.go), shared account state
// (pause, open breaker),
// the due-set of provider message ids whose status is polled
// (SchedulePoll, ClaimPolls: claimed under a fleet-wide rate with a lease),
// campaign states (active, paused, cancelled: the send claim reads them in
// the same Lua step), error budgets, a per-campaign series of outcomes per
// 10 s (CampaignRate), a campaign's failures by error code and its
// outcomes over its whole life (CampaignCodes, CampaignSeries: counters
// the same scripts keep, stats.go), the rows its imports rejected
// (CampaignRejects), and the requeue of retryable failures (Requeue).
//
// Every state change goes through one Lua script that checks the move
// against message's transition table and updates the record and its
// campaign's counters in the same step, so counters never drift from
// records, even when processes die mid-way. Records are created only if
// absent, which is what makes a re-import send nothing twice.
//
// All keys start with one prefix (default "wabulk:"); store.go lists the
// key layout (LayoutVersion), in which a campaign's records are packed
// (pack.go) into bucket hashes (bucket.go), split on a Cluster into parts
// of their own hash slots spread over the masters (parts.go), and the
// provider-id index into per-day buckets, so that a recipient costs a few
// hundred bytes of Redis and nothing after the retention. The store never
// enqueues tasks and never talks to providers.
//
//	st := store.New(rdb, store.Config{Prefix: "wabulk:"})
//	res, err := st.Create(ctx, []store.NewRecord{{ID: id, CampaignID: c, Account: a, To: to}})
//	prev, err := st.Transition(ctx, store.Ref{ID: id, CampaignID: c}, message.Sending, store.Update{IncAttempts: true})
package store
