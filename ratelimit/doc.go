// Package ratelimit decides how long a send must wait so that a provider
// account stays inside what WhatsApp allows.
//
// # What it owns
//
// Three rules per provider account (sender number), each configured by
// Limits, and a learned rate:
//
//   - rate: messages per second with a burst (default 80/s, Meta's
//     standard throughput), as GCRA;
//   - pair: at most one message to a recipient per PairEvery (default 6 s,
//     Meta error 131056);
//   - budget: unique recipients of template (business-initiated) messages
//     in any rolling 24 h window, WhatsApp's messaging-limit tiers (250,
//     2000, 10000, 100000, unlimited);
//   - learned rate: the configured Rate is a ceiling; when the provider's
//     real limit is lower, its 429s (Throttled) teach the account the
//     rate the provider actually takes (see Learned limits below).
//
// Limiters are reservation-style: one call computes the wait every rule
// imposes, takes the longest, and reserves the send at that time in every
// rule. When the wait would exceed the caller's bound nothing is reserved
// and the wait comes back as a hint (with the rule that set it), so the
// caller defers the job instead of holding a worker slot. The package never
// sleeps, never polls, never reads configuration and never sends.
//
// # Shared and Local
//
// Shared is the fleet-wide limiter: every pod reserves from one Redis, in
// one round trip (EVALSHA of reserve.lua). The script reads Redis TIME, so
// pod clocks do not matter, and does, atomically:
//
//  1. rate: the account's theoretical arrival time (TAT) is kept as
//     anchor + n*interval, so a steady stream is an exact arithmetic
//     sequence rather than a float that rounds at every step; the interval
//     is 1/(Rate*factor), factor being the learned rate over Rate (1 until a
//     429), and a new interval re-anchors at the old TAT. The
//     earliest send is TAT - (Burst-1)*interval.
//  2. pair: the pair's TAT (GCRA with burst 1).
//  3. budget: a sorted set of recipient → time of its first template send.
//     A recipient still in the window costs nothing; a new one, once
//     DailyBudget are in the window, waits until the one whose leaving
//     frees a place is 24 h old. The window rolls (it is not a fixed window
//     from a first send, nor a calendar-day bucket): WhatsApp counts unique
//     recipients over any rolling 24 h, and a fixed window could admit up
//     to twice the tier across its edge.
//  4. The send time is the latest of those (and now). Beyond maxWait the
//     script returns without writing anything. Otherwise it records the
//     send at that time in each rule (the rate TAT advances from it, the
//     pair's next allowed time is it + PairEvery, the recipient joins the
//     window at it) and sets each key's expiry to when its state stops
//     constraining anything.
//
// Keys live under the prefix, one hash slot per account ({account}) so the
// script also runs on Redis Cluster; see Shared for the layout.
//
// Local keeps the same state in memory with the same arithmetic: the
// embedded default, tests and single-pod deployments. Each process has its
// own Local, so N pods with a Local each send N times the limit.
//
// # Learned limits
//
// The configured rate is a guess; the provider's 429s say when it is too
// high. Halving the rate at each 429 settles well below the real limit
// (a sawtooth between half and a little over it), so the limiter measures
// instead (AIMD-like, with the decrease measured rather than blind):
//
//  1. Measure. The first 429 (Throttled) opens a measurement: the rate
//     holds where it was (frozen), and the limiter counts the sends that
//     go out and the 429s that come back — but not 429s within half an
//     interval of the last one counted: sends leave an interval apart, so
//     those answer sends that arrived bunched (a stalled machine, the
//     network), our jitter rather than the provider's rate. Sends are
//     counted from the reservations: every grant whose send time has passed (the slots
//     between now and the GCRA's theoretical arrival time, less the burst,
//     are still ahead).
//  2. Decide. Once the measurement has lasted Measure (default 3 s), the
//     next Reserve or Throttled sets the learned limit m to what the
//     provider accepted per second meanwhile ((sends − 429s) / time),
//     capped at the frozen rate and at least Backoff (0.5) times it, so
//     one noisy measurement cannot collapse the rate; the rate becomes
//     m × (1 − Margin) (3 % below), at least MinFactor × Rate. A
//     measurement in which at most Margin/2 of the sends came back 429,
//     at a rate below the limit measured last (or before any), lowers
//     nothing: the 429 that opened it was jitter (a send that arrived
//     early), and probing resumes where it froze. Above the limit
//     measured last, even a lone 429 is the probe finding the limit
//     again, and is decided.
//  3. Probe. From the decision the rate climbs linearly: slowly, by Rate
//     every ProbeSlowdown × Recovery (10 × 60 s), until it passes m by the
//     Margin — near the last limit seen, so a provider whose limit has not
//     moved sees a 429 only every ten-odd seconds — then by Rate every
//     Recovery, up to Rate and never above. A 429 opens the next
//     measurement.
//  4. Hold off. 429s within HoldOff of a decision change nothing: they
//     answer sends reserved at the old rate (up to the caller's maximum
//     wait ahead) and requests still in flight. A burst of 429s is one
//     measurement, never one decrease per 429.
//
// The state lives in the account's rate hash, so every pod reserves at the
// rate the fleet learned, and a 429 on one pod opens the measurement for
// all: g (reservations granted), f, s, m (the last decision: the factor
// it set, when, the limit it measured) and e, z, q, c, l (an open
// measurement: since when, the frozen factor, the 429s counted, the sends
// gone out at its start) and l (when the last 429 counted came). The hash lives until the rate has climbed back
// to Rate. Factor is the current rate over Rate; Learned says the rate,
// the limit last measured and whether the limiter is measuring or probing.
// Local keeps the same fields in memory and the same arithmetic
// (learn.go; the scripts' is in prelude.lua).
//
// The caller honours the provider's Retry-After for the message that met
// the 429 (package worker defers it, burning no attempt); the account's
// rate is this package's business.
//
// # Time
//
// Shared uses Redis TIME in production. Its tests also move time through an
// unexported test clock (a real server's clock cannot be moved): the
// script then takes the time from its argument. Local takes a clock
// function.
//
// # Usage
//
//	lim := ratelimit.NewShared(rdb, "wabulk:", map[string]ratelimit.Limits{
//		"tujenge-main": {Rate: 80, DailyBudget: 1000},
//	})
//	r, err := lim.Reserve(ctx, ratelimit.Request{Account: "tujenge-main", Recipient: to, Template: true}, 5*time.Second)
//	switch {
//	case err != nil:
//		return err
//	case !r.OK:
//		return deferFor(r.Wait) // r.Reason says which rule: "rate", "pair", "budget"
//	}
//	time.Sleep(r.Wait)
//	if err := send(); isThrottled(err) {
//		_ = lim.Throttled(ctx, "tujenge-main") // every 429: each one is counted
//	}
package ratelimit
