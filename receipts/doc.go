// Package receipts owns what providers tell wabulk after a send: delivery
// receipts and inbound messages, whether a provider pushes them to a
// webhook or wabulk has to ask. Both ways end in the same place, an events
// task that the worker's event processor applies.
//
//	provider callback ─▶ Receiver ─┐
//	                               ├─▶ events task (TypeEvents on Queue) ─▶ worker.Events
//	status poll ──────▶ Poller ────┘        one Batch per callback or round
//
// # Callbacks: the Receiver
//
// `wabulk serve` mounts a Receiver: one endpoint per provider account,
// POST /webhooks/{account} (or /webhooks/{account}/{token} for an account
// with a path token). Each callback is
//
//  1. authenticated, the one way its provider can (Account): a shared
//     secret header, HTTP Basic, a path token, or the provider's own check
//     when the account's adapter is a providers.CallbackAuthenticator
//     (Meta's X-Hub-Signature-256 with its app secret). Headers, Basic
//     credentials and path tokens are checked before the body is read, in
//     constant time (a wrong token is answered 404, like an unknown
//     account); a signature is checked on the raw body, never a
//     re-encoding of it;
//  2. read by the account's adapter (providers.CallbackParser) into
//     providers.Events, in wabulk's vocabulary;
//  3. stored as ONE events task before it is answered 200. When Redis
//     cannot take it the answer is 503 and the provider retries; nothing is
//     answered 200 that is not in Redis.
//
// A callback that fails authentication (401), cannot be read (400) or is
// over MaxBody (413) records nothing; every refusal is one log line naming
// the account, the remote address and the reason, never a header, a body
// or a secret. An adapter that is a providers.CallbackHandshaker answers
// its provider's GET handshake (Meta's hub.challenge with its verify
// token). NewReceiver refuses an account it could not authenticate
// (ErrNoAuth, unless Insecure) or one configured two ways
// (ErrAuthConflict). The Receiver also answers /healthz and /readyz
// (Redis answers PING) for the process that serves it.
//
// # Status polling: the Poller
//
// Providers without push receipts (DecisionTelecom, whose statuses are
// read from receive-whatsapp) are asked for the status of every accepted
// message that has no final status yet, at a bounded rate, and what they
// answer reaches the records exactly as a callback would.
//
// When such a provider accepts a message, the worker puts its provider
// message id on the account's due-set in Redis (store.SchedulePoll), first
// due worker.Config.PollFirstAfter later. Every process running a Poller
// (each `wabulk worker`) then works in rounds, per account:
//
//	claim   store.ClaimPolls: one Lua call takes up to Batch due ids, leases
//	        them for Lease (no other pod takes them; a crash leaves them due
//	        again after it) and holds the account to Rate polls/s across
//	        every pod (GCRA, a second's worth at once)
//	poll    the adapter's PollStatus (providers.StatusPoller), Parallel at a
//	        time, each bounded by PollTimeout
//	hand on the statuses that changed since the last poll, as ONE Batch
//	        (Enqueue), just as the Receiver stores a callback: the worker's
//	        event processor applies them, forward only (a late "sent" never
//	        overwrites "read"), counters following
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
// # The events task
//
// task.go holds the task in one place, encode and decode together as
// message.NewSendTask and message.DecodeSendTask hold the send task:
// TypeEvents ("wabulk:events"), Queue (prefix + "events"), the Batch
// payload (JSON: account, received, events), NewTask and Enqueue to write
// it, DecodeTask to read it. A payload DecodeTask refuses can never be
// applied: the worker archives it with the reason. The JSON form is the
// wire contract between versions: tasks queued by an older process decode
// in a newer one.
//
// # What it must never do
//
// This package never sends a message, never imports an adapter (it knows
// providers only through the interfaces of package providers; internal/app hands it
// the adapters), and never applies an event to a record, a window or an
// opt-out: that is the worker's event processor (worker.Events), the one
// place records move after acceptance. It reads no config file and no
// environment: internal/app builds ReceiverConfig and PollerConfig from the config file.
//
// # Usage
//
//	// wabulk serve: callbacks.
//	mt, _ := meta.New(meta.Config{Token: token, PhoneNumberID: id, AppSecret: appSecret, VerifyToken: verifyToken})
//	recv, err := receipts.NewReceiver(asynqClient, receipts.ReceiverConfig{
//		Prefix: "wabulk:",
//		Accounts: map[string]receipts.Account{
//			"meta-main":    {Parser: mt}, // Meta signs its callbacks itself
//			"tujenge-main": {Parser: tj, SecretHeader: "X-Webhook-Secret", SecretValue: secret},
//		},
//		Logger: log,
//	})
//	if err != nil { ... }
//	http.ListenAndServe(addr, recv)
//
//	// wabulk worker: status polling.
//	p, err := receipts.NewPoller(st, asynqClient, receipts.PollerConfig{
//		Accounts: map[string]providers.StatusPoller{"dt-main": dtClient},
//		Rate:     10, // polls/s for the account, across every pod
//		Prefix:   "wabulk:",
//		Logger:   log,
//	})
//	if err != nil { ... }
//	go p.Run(ctx) // until ctx is done
package receipts
