// Package providertest is the conformance suite every provider adapter
// passes, like river's driver test suite, and the test kit the adapters'
// own tests share.
//
// Run replays, against one adapter, the areas every provider shares, one
// file each:
//
//   - success.go: the success answer becomes a receipt with the provider's
//     id, and the request keeps the credential out of the URL;
//   - content.go: content the provider cannot carry is refused before any
//     request is made;
//   - errors.go: each documented error class (every class the provider
//     documents needs a case) and Retry-After;
//   - transport.go: a failure before the request was written (retryable),
//     a timeout after it (ambiguous), malformed, non-JSON and oversized
//     answers;
//   - callbacks.go: callback golden cases, and garbage refused.
//
// Across all of them, no error may show the credential.
//
// An adapter's test supplies a Harness: how to build the adapter against a
// test server, and the provider's own answers (from its document) with the
// classification each must get. The suite owns the servers and the checks.
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, providertest.Harness{
//			New:    func(t *testing.T, baseURL string) providers.Provider { ... },
//			Secret: "the-api-key",
//			Accept: providertest.Reply{Status: 200, Body: `{"messages":[{"id":"wamid.1"}]}`},
//			AcceptID: "wamid.1",
//			Errors: []providertest.ErrorCase{ ... },
//			...
//		})
//	}
//
// The adapters' own tables run through the table runners in errors.go:
// StatusClasses (answers the HTTP status alone decides) and RetryAfter
// (the wait a failure carries), each case against its own Fake:
//
//	providertest.StatusClasses(t, sendText, []providertest.StatusCase{
//		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
//		{Status: 503, Body: "<h1>503</h1>", Class: providers.Transient},
//	})
//
// The rest of the kit: Fake, a stand-in provider that records every
// request (with Respond, Hang and Drop to answer; RefusedURL where no
// server should answer at all), and the checks JSONDiff, OutcomeOf,
// AsSendError and Leaks (check.go).
//
// The package never talks to a real provider, and holds no adapter's
// knowledge: what an answer means for one provider lives in that
// adapter's test, as a case.
package providertest
