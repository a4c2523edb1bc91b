// Package simulator is a fake WhatsApp provider for demos, tests and load
// tests: an HTTP server, in process or standalone, that speaks a provider's
// wire format and misbehaves on purpose.
//
// It serves the Tujenge wire format (the on-premises WhatsApp Business API
// v1 behind Tujenge's gateway, authenticated with the WA-API-KEY header):
//
//	POST <any base path>/v1/messages         send; answered as the on-prem API would
//	POST <any base path>/v1/configs/webhook  store the callback URL and headers, echo them
//	GET  /_sim/stats                         Stats as JSON (no auth: the operator's view)
//	POST /_sim/reset                         Reset
//
// Every send request goes through the same decisions, in this order: auth
// (401) → latency (Config.Latency plus up to Config.Jitter, cut short when
// the client goes away) → parse and validate like a strict server (400 with
// codes 400, 1008, 1009) → the recipient's script (Script) → the rate limit
// (Config.Rate; 429 with Retry-After) → a random fault (Config.Faults) →
// accept. Only an accept counts: Accepted(to) says how many times a
// recipient's message was accepted, so a duplicate send shows as 2, and
// Stats adds the totals and the answers by code.
//
// The simulator owns the wire format, fault injection and counting. It must
// never contact a real provider host, or any host: it makes no outbound
// requests at all (a configured webhook is stored, not called), and Start
// listens on loopback addresses only. It keeps everything in memory and
// holds no credentials beyond the key it expects.
//
// Randomness (which requests fault, how much jitter) comes from one source
// seeded by Config.Seed and drawn in request arrival order: a serial client
// sees the same answers run after run, and Reset replays them.
//
// The engine (engine.go: latency, scripts, rate limit, faults; counters.go)
// knows nothing of bodies or headers; a wire format (tujenge.go) reads the
// request and renders the answer. Other providers' formats go beside it.
//
// In-process use, e.g. in a test:
//
//	sim, err := simulator.New(simulator.Config{
//		APIKey:     "test-key",
//		Latency:    20 * time.Millisecond,
//		Faults:     map[int]float64{503: 0.02, 429: 0.01, 470: 0.005},
//		RetryAfter: 2 * time.Second,
//		Seed:       1,
//	})
//	if err != nil { ... }
//	base, err := sim.Start("127.0.0.1:0") // or httptest.NewServer(sim.Handler())
//	if err != nil { ... }
//	defer sim.Close()
//	sim.Script("+255712345678", 408, 200) // the next two sends to it: a 408, then an accept
//	// ... point the Tujenge adapter at base, run the pipeline ...
//	if n := sim.Accepted("+255712345678"); n != 1 { ... } // 2+ is a duplicate send
package simulator
