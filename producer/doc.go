// Package producer turns input into work: a campaign spec plus a
// recipients file (CSV or JSONL) becomes one message record per recipient
// in the store and one asynq send task per record.
//
// It owns:
//
//   - the campaign spec (Spec): its YAML form, strict parsing (an unknown
//     field is an error naming the field and its line), validation that
//     names every problem, and the canonical JSON stored with the campaign;
//   - {{column}} placeholders: any string field of the message may name a
//     column of the input; each row's values are filled in verbatim
//     (quotes, backslashes, newlines, emoji), JSON-escaped into the
//     message's encoding and decoded back, never evaluated;
//   - streaming import in constant memory: rows are read one at a time and
//     stored in batches (Config.BatchSize rows), and no
//     set of recipients is ever held. Each row ends in exactly one of
//     Accepted, Duplicate (seen earlier in this input: the store's
//     create-if-absent tells, per run), Rejected (written to the rejects
//     file with its line number and reason, and the campaign keeps the
//     first store.MaxKeptRejects of all runs'; the import goes on) or
//     AlreadyPresent (imported by an earlier run). One row is bounded too
//     (Config.MaxRecordBytes, Config.MaxColumns): a CSV record is split
//     off by a quote tracker holding at most that much before
//     encoding/csv reads it, so a longer row is rejected with its line
//     without being held, and an unclosed quote stops the import naming
//     the line it opens on (UnclosedQuoteError) without reading the rest
//     into memory;
//   - idempotent re-import: a message's ID is the campaign ID plus the E.164
//     recipient, its record is created only if absent and its task carries
//     the message ID as asynq TaskID. Running the same import again, after
//     a crash, a Redis outage or a Ctrl-C, sends nothing twice; a record
//     still queued whose task went missing is enqueued again (Requeued),
//     with its original creation time so its TTL is not extended.
//   - a batch costs three round trips whatever its size: its opt-outs
//     (one HMGET), its records (store.Create: one script call per campaign
//     part) and its send tasks (internal/taskbatch: asynq's own enqueue,
//     one script call per queue shard, pipelined), which is what lets an
//     import outrun asynq's client enqueuing the same tasks one by one.
//
// It also owns the operations on work already queued: single transactional
// messages with idempotency keys (Send), campaign pause, resume and cancel,
// retry-failed (re-rendered from each row's stored values), admission
// control (Admission, PendingAdmission: when will the account's queue
// drain), whether a campaign id is free for a spec (CheckSpec), progress
// (CampaignProgress: counts, rate, ETA) and the report (Report,
// WriteReport).
//
// The HTTP API over all of it lives in package producer/httpapi, which
// calls these and holds no business rule of its own; this package serves
// no HTTP API.
//
// It must never send anything and never talk to a provider. Outcomes belong
// to package worker; the only records it changes are ones no worker can be
// sending: queued ones a cancel ends cancelled, and failed or expired ones
// retry-failed puts back in the queue. Every row it
// accepts becomes a task, even one already expired at import, so that every
// recipient ends with an outcome (the worker records it expired).
//
// On a re-run, a recipient repeated within the input counts as
// AlreadyPresent both times: only the run that created a record can tell
// its repeats from earlier runs' rows.
//
// Usage (internal/app does the wiring):
//
//	spec, err := producer.LoadSpec("spring-sale.yaml")
//	if err != nil { ... }
//	p := producer.New(st, asynqClient, producer.Config{DefaultRegion: "TZ"})
//	f, _ := os.Open("recipients.csv") // header: phone,first_name,...
//	rejects, _ := os.Create("recipients.rejects.csv")
//	res, err := p.Import(ctx, spec, f, producer.Options{
//		Rejects:  rejects,
//		Progress: func(pr producer.Progress) { log.Printf("%+v", pr) },
//	})
//	// err names the line a Redis failure stopped at; re-run to resume.
//
// A spec:
//
//	id: spring-sale-2026
//	account: tujenge-main         # provider account from the config
//	sender: "+255700000001"       # optional business number
//	ttl: 2d                       # default 24h, from send_at if set
//	send_at: 2026-11-21T09:00:00+03:00
//	priority: low                 # high | normal | low
//	default_region: TZ            # for numbers written without +255
//	message:
//	  template:
//	    name: spring_sale
//	    language: en
//	    body: ["{{first_name}}", "{{discount}}%"]
package producer
