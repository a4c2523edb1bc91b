// Package providers defines what wabulk needs from a WhatsApp Business API
// reseller and the one error type that decides retries.
//
// Each adapter lives in its own folder (providers/tujenge, ...) and is a real
// HTTP client for that provider's wire format. An adapter:
//
//   - implements Provider and asserts it: var _ providers.Provider = (*Client)(nil);
//   - returns a *SendError for every failure, classed Transient, Permanent or
//     Account, with the provider's code, the HTTP status and Retry-After;
//   - marks a failure Ambiguous when the request may have reached the
//     provider (a timeout or broken connection after the request was written,
//     a 2xx it could not read): the worker never blindly resends those;
//   - never puts a credential in an error, a log line or a report;
//   - declares its kind once, in its folder's kind.go, and registers it:
//     func init() { providers.Register(Kind) }.
//
// The kind registry (Kind, Register, LookupKind, Kinds) is what the rest of
// wabulk knows of a provider without importing its adapter: the account
// fields the config takes, the constructor, what base_url means, how
// receipts arrive (push, poll, none), how callbacks are authenticated, the
// numbers the provider reaches and how to point an account at the
// simulator. Only the binary (cmd/wabulk/kinds.go) imports the adapters.
// Adapters that authenticate callbacks themselves (Meta's signature)
// implement CallbackAuthenticator and CallbackHandshaker; the webhook
// receiver (package receipts) asks for them through these interfaces.
//
// What adapters share lives in providers/internal/wire, which only they
// import: the lenient JSON types for values providers send in several
// shapes, the base-URL and credential checks of each New, the check that
// refuses an invalid message before any request, the errors for an
// answer that cannot be read, and the JSON request. Each adapter keeps its
// own wire format (request.go, answer.go, callback.go, classify.go).
//
// Every adapter passes providertest.Run, the conformance suite, and runs
// its own tables of HTTP status classes and Retry-After through
// providertest.StatusClasses and providertest.RetryAfter.
//
// Only package worker turns a SendError into asynq's vocabulary (SkipRetry,
// IsFailure, RetryDelayFunc). Adapters know nothing of asynq or Redis.
package providers
