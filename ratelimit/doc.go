// Package ratelimit decides how long a send must wait so that a provider
// account stays inside what WhatsApp allows.
//
// # What it owns
//
// Three rules per provider account (sender number), each configured by
// Limits, and an adaptive back-off:
//
//   - rate: messages per second with a burst (default 80/s, Meta's
//     standard throughput), as GCRA;
//   - pair: at most one message to a recipient per PairEvery (default 6 s,
//     Meta error 131056);
//   - budget: unique recipients of template (business-initiated) messages
//     in any rolling 24 h window, WhatsApp's messaging-limit tiers (250,
//     2000, 10000, 100000, unlimited);
//   - back-off: Throttled (a provider 429 / 130429) multiplies the account's
//     effective rate by Backoff, compounding down to MinFactor, and the
//     factor climbs back linearly to 1 over Recovery:
//     factor(now) = min(1, f0 + (1-f0)*(now-since)/Recovery).
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
//     is 1/(Rate*factor), and a new interval re-anchors at the old TAT. The
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
//		_ = lim.Throttled(ctx, "tujenge-main")
//	}
package ratelimit
