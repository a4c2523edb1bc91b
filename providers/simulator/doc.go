// Package simulator is a fake WhatsApp provider for demos, tests and load
// tests: an HTTP server, in process or standalone, that speaks a provider's
// wire format, misbehaves on purpose and sends the provider's callbacks.
//
// Config.Kind picks the wire format (Kinds lists them; the default is
// "tujenge", the on-premises WhatsApp Business API v1 behind Tujenge's
// gateway, authenticated with the WA-API-KEY header):
//
//	POST <any base path>/v1/messages         send; answered as the on-prem API would
//	POST <any base path>/v1/configs/webhook  store the callback URL and headers, echo them
//	GET  <any base path>/v1/stickerpacks     none, behind the key: what `wabulk provider check` asks
//	GET  /_sim/stats                         Stats as JSON (no auth: the operator's view)
//	POST /_sim/reset                         Reset
//	POST /_sim/inbound {"from","text"}       Inbound: a customer writes in
//
// # What every request goes through
//
// Every send request goes through the same decisions, in this order: read
// the body (at most 1 MiB) → auth (the format's credential against
// Config.APIKey; 401 in the provider's shape) → latency (Config.Latency,
// or a log-normal draw with median Latency and 99th percentile
// Config.LatencyP99, plus up to Config.Jitter; cut short when the client
// goes away) → parse and validate like a strict server → the recipient's
// script (Script) → the limits: the account's rate (Config.Rate), the 24 h
// window for free-form messages (Config.Window; see Inbound and
// MarkInbound) and the pair limit per recipient (Config.PairInterval), each
// answered the provider's way (Tujenge: 429 with Retry-After, 470; Meta:
// 130429, 131047, 131056; the window as each kind refuses it: Taqnyat
// 131047, Modica invalid_attrib, Socnet a FAIL, DecisionTelecom 7, all in
// WhatsApp's words) → a random fault (Config.Faults) → accept.
//
// Only an accept counts: Accepted(to) says how many times a recipient's
// message was accepted, so a duplicate send shows as 2, and Stats adds the
// totals, the answers by code and the callbacks.
//
// # Receipts and inbound messages
//
// An accepted message then goes through Config.Statuses (sent → delivered
// → read by default), each after an exponential delay with mean
// Config.ReceiptDelay. MessageStatus follows that timeline, whether or not
// the format pushes receipts (providers that are polled answer from it).
// With Config.CallbackURL, each receipt the format renders is POSTed there
// with Config.CallbackHeaders, in a shuffled order with probability
// Config.OutOfOrder and twice with probability Config.Duplicate, as real
// providers do. Inbound posts the format's inbound-message callback.
// Callbacks go through a bounded heap and queue to a few workers; when full
// they are dropped and counted, never slowing the send path. They are not
// retried.
//
// # What it must never do
//
// The simulator owns the wire formats, fault injection, counting and
// callbacks. It must never contact a real provider host: the only outbound
// requests it makes are callback POSTs to Config.CallbackURL, exactly that
// URL (no redirects followed, no proxy) — a webhook URL a client
// configures through the provider API is stored, not called. Start listens
// on loopback addresses only. It keeps everything in memory and holds no
// credentials beyond the one it expects and the callback secret.
//
// Randomness (which requests fault, how much latency) comes from one source
// seeded by Config.Seed and drawn in request arrival order: a serial client
// sees the same answers run after run, and Reset replays them. Each
// message's receipt timeline is drawn from its own stream (the seed and the
// message's sequence number), so it does not disturb the answers.
//
// # Adding a wire format
//
// A wire format is one file, <kind>.go, holding a type that implements the
// unexported format interface (format.go) and an init() that registers it:
//
//	func init() { register(taqnyatFormat{}) }
//
// The format says how a request is authenticated (credential, with the
// helpers in auth.go for a header, Bearer, HTTP Basic or a JSON body
// field; unauthorized renders the 401), where the send endpoint is
// (sendSuffix), how a send body is validated and whether it is free-form
// (parseSend), what ids look like (messageID), which codes answer the rate
// limit, the pair limit and the window, how every answer is rendered
// (write), how receipts and inbound messages look as callbacks
// (renderStatus, renderInbound; nil means the provider pushes none), and
// any other endpoints (routes, which get the *Simulator for readBody,
// authorize and MessageStatus), among them the cheap authenticated call
// the adapter's providers.Checker makes, where the provider has one. A
// send endpoint that also answers a credential check (Socnet's) implements
// authChecker. A format that signs its callbacks also
// implements callbackSigner and uses Config.CallbackSecret. register
// panics on a format that breaks the contract, so every test catches it.
//
// The engine does the rest: method checks, body limits, latency, scripts,
// limits, faults, Retry-After, counting, receipt timing, ordering and
// duplication, callback delivery and shutdown.
//
// In-process use, e.g. in a test:
//
//	sim, err := simulator.New(simulator.Config{
//		APIKey:      "test-key",
//		Latency:     20 * time.Millisecond,
//		Faults:      map[int]float64{503: 0.02, 429: 0.01, 470: 0.005},
//		RetryAfter:  2 * time.Second,
//		Window:      true,
//		CallbackURL: receiver.URL, // e.g. an httptest.Server, or wabulk serve's webhook
//		Seed:        1,
//	})
//	if err != nil { ... }
//	base, err := sim.Start("127.0.0.1:0") // or httptest.NewServer(sim.Handler())
//	if err != nil { ... }
//	defer sim.Close()
//	sim.Script("+255712345678", 408, 200) // the next two sends to it: a 408, then an accept
//	sim.MarkInbound("+255712345678", time.Now()) // free-form messages to it may go out
//	// ... point the Tujenge adapter at base, run the pipeline ...
//	if n := sim.Accepted("+255712345678"); n != 1 { ... } // 2+ is a duplicate send
package simulator
