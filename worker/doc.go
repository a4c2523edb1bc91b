// Package worker is wabulk's asynq side: the send pipeline that turns a
// queued task into exactly one outcome, and the server that runs it.
//
// The send handler reads top to bottom as its guards:
//
//	decode payload      → bad payload: record invalid, task archived with the reason
//	TTL                 → expired, never sent
//	24-hour window      → free-form message without a recent inbound: window_closed
//	rate limit          → sleep the reserved wait; a longer wait is a deferral
//	record + claim      → queued → sending in one compare-and-set: a message a
//	                      provider already took is never sent again, one an
//	                      earlier run was sending is settled as ambiguous, and
//	                      of two runs at once exactly one gets past
//	provider send       → accepted, or the failure classified below
//
// The guards before the claim settle a message only while its record is
// queued, so they can run before the record is read: reading and claiming
// are one Redis round trip.
//
// This package is the one place where a *providers.SendError becomes
// asynq's vocabulary: transient failures retry with exponential backoff and
// jitter (Retry-After honoured, never past the TTL, at most MaxAttempts);
// permanent ones end failed with the provider's code; account-level ones
// and rate limits are deferrals that burn no attempt (IsFailure false);
// an ambiguous failure (the provider may have acted) is not resent unless
// ResendAmbiguous says so.
//
// The worker never creates records or tasks and never parses config files.
package worker
