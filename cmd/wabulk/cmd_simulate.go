package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
)

func runSimulate(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flags("simulate", "[flags]", `
Serves a fake provider on loopback that speaks the Tujenge wire format
(on-premises WhatsApp Business API v1: POST /v1/messages with WA-API-KEY),
with latency, fault injection and a rate limit answered with 429. Point a
provider account's base_url at it to try wabulk without a real provider.

It counts accepted sends per recipient, so a message sent twice shows up as
a duplicate: GET /_sim/stats returns the counts as JSON, POST /_sim/reset
clears them. Stops on SIGINT/SIGTERM and prints the final counts.`, errOut)
	listen := fs.String("listen", "127.0.0.1:8089", "address to listen on (loopback only)")
	apiKey := fs.String("api-key", "", "WA-API-KEY the simulator expects (empty: accept any key)")
	latency := fs.Duration("latency", 20*time.Millisecond, "base latency per request")
	jitter := fs.Duration("jitter", 10*time.Millisecond, "extra random latency, uniform in [0, jitter)")
	faults := fs.String("faults", "", "fault ratios by code, e.g. 503=0.02,429=0.01,408=0.01,470=0.005")
	retryAfter := fs.Duration("retry-after", time.Second, "Retry-After sent with 429 and 503")
	rateLimit := fs.Float64("rate", 0, "accepted requests per second before answering 429 (0: unlimited)")
	burst := fs.Int("burst", 0, "burst for --rate (default rate/10)")
	seed := fs.Int64("seed", 0, "random seed for faults and jitter (0: time-based)")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := simulator.ParseFaults(*faults)
	if err != nil {
		return usagef("--faults: %v", err)
	}
	sim, err := simulator.New(simulator.Config{APIKey: *apiKey, Latency: *latency, Jitter: *jitter, Faults: f,
		RetryAfter: *retryAfter, Rate: *rateLimit, Burst: *burst, Seed: *seed})
	if err != nil {
		return err
	}
	base, err := sim.Start(*listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "simulator (tujenge wire format) listening on %s\n  send:  POST %s/v1/messages\n  stats: GET  %s/_sim/stats\n", base, base, base)
	<-ctx.Done()
	_ = sim.Close()
	b, _ := json.MarshalIndent(sim.Stats(), "", "  ")
	fmt.Fprintf(out, "final counts:\n%s\n", b)
	return nil
}
