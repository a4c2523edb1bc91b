package main

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/simulator"
)

func simulateCmd() *cobra.Command {
	c := command("simulate [flags]", "serve fake providers (any of the six wire formats) with latency, faults, limits and receipts", `
Serves fake providers on loopback that speak the real wire formats — tujenge,
taqnyat, socnet, modica, decisiontelecom, meta — with the same auth checks and
error shapes as the real ones, latency, fault injection, the provider's own
rate-limit answer, WhatsApp's pair limit and 24-hour window errors, and
delivery receipts (sent/delivered/read, optionally out of order or
duplicated) POSTed to --callback-url. Point a provider account's base_url at
it to try wabulk without a real provider.

--kind takes one kind or several (tujenge,meta): each gets its own port,
counting up from --listen's. Each counts accepted sends per recipient, so a
message sent twice shows up as a duplicate: GET /_sim/stats returns the
counts as JSON, POST /_sim/reset clears them, POST /_sim/inbound
{"from":"+255…","text":"hi"} simulates a customer writing in (opening the
window and, with --callback-url, POSTing the inbound callback).

Credentials (--api-key) in each kind's form: tujenge, socnet, decisiontelecom
and taqnyat/meta take the key or token itself; modica takes "user:password".
Stops on SIGINT/SIGTERM and prints the final counts.`, none, nil)
	fs := c.Flags()
	kinds := fs.String("kind", "tujenge", "wire format(s), comma-separated: "+strings.Join(simulatedKinds(), ", "))
	listen := fs.String("listen", "127.0.0.1:8089", "address of the first kind (loopback only); further kinds take the next ports")
	apiKey := fs.String("api-key", "", "credential the simulator expects (empty: accept any, but one must be sent)")
	latency := fs.Duration("latency", 20*time.Millisecond, "median latency per request")
	latencyP99 := fs.Duration("latency-p99", 0, "99th-percentile latency (log-normal around --latency); 0: fixed latency")
	jitter := fs.Duration("jitter", 10*time.Millisecond, "extra random latency, uniform in [0, jitter)")
	faults := fs.String("faults", "", "fault ratios by code, e.g. 503=0.02,429=0.01 (codes of the first kind)")
	retryAfter := fs.Duration("retry-after", time.Second, "Retry-After sent with throttling and 503 answers")
	rateLimit := fs.Float64("rate", 0, "accepted requests per second before answering the provider's rate-limit error (0: unlimited)")
	burst := fs.Int("burst", 0, "burst for --rate (default rate/10)")
	pair := fs.Duration("pair-interval", 0, "WhatsApp's pair limit: a second message to one recipient within this is refused (0: off)")
	window := fs.Bool("window", false, "refuse free-form messages to contacts who did not write in the last 24 h (see /_sim/inbound)")
	callbackURL := fs.String("callback-url", "", "POST delivery receipts and inbound messages here (loopback)")
	callbackSecret := fs.String("callback-secret", "", "sign callbacks with this secret where the provider signs them (meta: X-Hub-Signature-256)")
	var callbackHeaders headerFlag
	fs.Var(&callbackHeaders, "callback-header", `add "Name: value" to every callback (repeatable), e.g. the shared secret wabulk serve checks; "Authorization: Basic ..." for Basic`)
	outOfOrder := fs.Float64("out-of-order", 0, "probability that a message's receipts arrive shuffled")
	duplicate := fs.Float64("duplicate", 0, "probability that a receipt is delivered twice")
	seed := fs.Int64("seed", 0, "random seed for faults and latency (0: time-based)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		host, portStr, err := net.SplitHostPort(*listen)
		if err != nil {
			return usagef("--listen %q: %v", *listen, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return usagef("--listen %q: the port must be a number", *listen)
		}
		var sims []*simulator.Simulator
		defer func() {
			for _, s := range sims {
				_ = s.Close()
			}
		}()
		for i, kind := range strings.Split(*kinds, ",") {
			kind = strings.TrimSpace(kind)
			f, err := simulator.ParseFaultsFor(kind, *faults)
			if err != nil {
				return usagef("--faults for %s: %v", kind, err)
			}
			sim, err := simulator.New(simulator.Config{Kind: kind, APIKey: *apiKey, Latency: *latency, LatencyP99: *latencyP99,
				Jitter: *jitter, Faults: f, RetryAfter: *retryAfter, Rate: *rateLimit, Burst: *burst, PairInterval: *pair,
				Window: *window, CallbackURL: *callbackURL, CallbackSecret: *callbackSecret, CallbackHeaders: callbackHeaders.m, OutOfOrder: *outOfOrder,
				Duplicate: *duplicate, Seed: *seed})
			if err != nil {
				return err
			}
			addr := *listen
			if port != 0 {
				addr = net.JoinHostPort(host, strconv.Itoa(port+i))
			}
			base, err := sim.Start(addr)
			if err != nil {
				return err
			}
			sims = append(sims, sim)
			fmt.Fprintf(out, "%-16s %s   (stats: GET %s/_sim/stats)\n", kind, base, base)
		}
		<-ctx.Done()
		stats := map[string]simulator.Stats{}
		for i, kind := range strings.Split(*kinds, ",") {
			_ = sims[i].Close()
			stats[strings.TrimSpace(kind)] = sims[i].Stats()
		}
		b, _ := json.MarshalIndent(stats, "", "  ")
		fmt.Fprintf(out, "final counts:\n%s\n", b)
		return nil
	}
	return c
}

// simulatedKinds are the provider kinds this binary has that the
// simulator speaks (without the simulator's test-only formats).
func simulatedKinds() []string {
	var out []string
	for _, k := range simulator.Kinds() {
		if _, err := providers.LookupKind(k); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// checkSimulated refuses a --provider the binary or the simulator lacks.
func checkSimulated(kind string) error {
	if !slices.Contains(simulatedKinds(), kind) {
		return usagef("--provider %q: want one of %s", kind, strings.Join(simulatedKinds(), ", "))
	}
	return nil
}

// headerFlag collects repeated "Name: value" flags.
type headerFlag struct{ m map[string]string }

func (h *headerFlag) String() string { return "" }

// Type names the flag's value in --help.
func (h *headerFlag) Type() string { return "header" }

func (h *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	if h.m == nil {
		h.m = map[string]string{}
	}
	h.m[name] = value
	return nil
}
