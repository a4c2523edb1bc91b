// Package fleet is what an operator sees of the running system beside
// its campaigns: each provider account's configured and current rate,
// pause, circuit breaker and in-flight sends; the recurring reminder jobs
// with their next fire times and last occurrences; the opt-out lists.
//
// The HTTP API (producer/httpapi) and the web console (console) read
// through it, and `wabulk provider status` too, so all three tell the same
// story. It reads counters and small hashes only, never scans records:
// an account's view costs the same for a campaign of a million
// recipients as for one of a hundred.
//
// It must never send a message or hold provider send credentials itself:
// a credential check goes through Config.Check, which the caller builds.
package fleet
