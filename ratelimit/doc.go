// Package ratelimit decides how long a send must wait so that a provider
// account stays inside its allowed rate.
//
// Limiters are reservation-style: one call reserves a slot and returns the
// exact wait, which the caller sleeps. When the wait would exceed the
// caller's bound nothing is reserved and the wait is returned as a hint, so
// the caller can defer the job instead of holding a worker slot.
//
// Local (golang.org/x/time/rate) serves one process: the embedded default,
// tests and single-pod deployments. It must never sleep itself, never poll,
// and never touch Redis.
//
//	lim := ratelimit.NewLocal(map[string]ratelimit.Limit{"tujenge-main": {Rate: 80, Burst: 10}}, nil)
//	r, err := lim.Reserve(ctx, "tujenge-main", 5*time.Second)
//	if r.OK { time.Sleep(r.Wait); send() } else { deferFor(r.Wait) }
package ratelimit
