package simulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// shutdownTimeout bounds how long Close waits for answers in flight.
const shutdownTimeout = 5 * time.Second

// Simulator is a fake provider. Its methods are safe for concurrent use.
type Simulator struct {
	cfg    Config
	format format
	faults []faultSlot
	seed   int64 // resolved: never 0
	nonce  string
	seq    atomic.Uint64

	rng      *rng
	limiter  atomic.Pointer[rate.Limiter] // nil: unlimited
	counts   *recipientCounts
	scripts  scripts
	stats    counters
	now      func() time.Time // Config.Now
	inbound  *timeMap         // last inbound message per recipient: the 24 h window
	pairs    *timeMap         // last accept per recipient: the pair limit
	messages *messageStore    // accepted messages, for MessageStatus
	cb       *callbacks       // nil without Config.CallbackURL

	outageUntil atomic.Pointer[time.Time]

	hookMu      sync.Mutex
	hookURL     string
	hookHeaders map[string]string

	done      chan struct{} // closed by Close
	closeOnce sync.Once

	mu        sync.Mutex // guards srv and served
	srv       *http.Server
	served    chan struct{} // closed when srv.Serve returns
	wasClosed bool
}

// New returns a Simulator for cfg, or an error naming what is wrong with it.
// With Config.CallbackURL it starts the callback workers: Close stops them.
func New(cfg Config) (*Simulator, error) {
	f, err := lookup(cfg.Kind)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	cfg.Kind = f.name()
	if err := cfg.validate(f); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	cfg.Faults = maps.Clone(cfg.Faults)
	cfg.CallbackHeaders = maps.Clone(cfg.CallbackHeaders)
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	// The nonce keeps message ids unique across simulator instances and
	// restarts, seeded or not: they end up as keys in the same Redis.
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("simulator: message id nonce: %w", err)
	}
	s := &Simulator{
		cfg:      cfg,
		format:   f,
		faults:   faultTable(cfg.Faults),
		seed:     seed,
		nonce:    strings.ToUpper(hex.EncodeToString(b[:])),
		rng:      newRNG(seed),
		counts:   newRecipientCounts(),
		now:      cfg.Now,
		inbound:  newTimeMap(),
		pairs:    newTimeMap(),
		messages: newMessageStore(),
		done:     make(chan struct{}),
	}
	s.resetLimiter()
	if cfg.CallbackURL != "" {
		s.cb = newCallbacks(cfg, f, &s.stats)
	}
	return s, nil
}

func (s *Simulator) resetLimiter() {
	if s.cfg.Rate > 0 {
		s.limiter.Store(rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst))
	}
}

// Handler returns the simulator as an http.Handler: the provider's
// endpoints under any base path, plus GET /_sim/stats, POST /_sim/reset and
// POST /_sim/inbound.
func (s *Simulator) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Simulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch p {
	case "/_sim/stats":
		s.serveStats(w, r)
		return
	case "/_sim/reset":
		s.serveReset(w, r)
		return
	case "/_sim/inbound":
		s.serveInbound(w, r)
		return
	}
	if strings.HasSuffix(p, s.format.sendSuffix()) {
		s.serveSend(w, r)
		return
	}
	for _, rt := range s.format.routes() {
		if strings.HasSuffix(p, rt.suffix) {
			rt.serve(s, w, r)
			return
		}
	}
	s.format.write(w, answer{code: http.StatusNotFound, details: "no endpoint " + r.URL.Path})
}

func (s *Simulator) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	b, err := json.Marshal(s.Stats())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

func (s *Simulator) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// serveInbound is Inbound over HTTP: POST {"from":"+2557...","text":"..."}
// answers {"id":"<inbound message id>"}. Like the other /_sim endpoints it
// takes no credential: it is the operator's, not the provider's.
func (s *Simulator) serveInbound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var in struct {
		From string `json:"from"`
		Text string `json:"text"`
	}
	body, err := s.readBody(w, r)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		http.Error(w, `want {"from":"<phone number>","text":"..."}: `+err.Error(), http.StatusBadRequest)
		return
	}
	id, err := s.inboundMessage(in.From, in.Text)
	if id == "" {
		status := http.StatusBadRequest
		if s.closed() {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), status)
		return
	}
	if err != nil { // the window is open; the callback was dropped
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	b, _ := json.Marshal(map[string]string{"id": id})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// Start serves Handler on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port), and returns the base URL to give a
// client, e.g. "http://127.0.0.1:41234". A Simulator is started at most once.
func (s *Simulator) Start(addr string) (baseURL string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("simulator: listen address %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return "", fmt.Errorf("simulator: listen address %q is not loopback; it listens on 127.0.0.1, ::1 or localhost only", addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.wasClosed:
		return "", errors.New("simulator: closed")
	case s.srv != nil:
		return "", errors.New("simulator: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("simulator: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	s.srv, s.served = srv, served
	return "http://" + ln.Addr().String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close stops the server Start began, if any, after the answers in flight:
// requests still waiting out their latency are answered 503 at once. Later
// requests through Handler are answered 503 too. It then stops the callback
// workers, dropping callbacks not yet sent: once Close returns, no callback
// goes out. Close is idempotent.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv, served := s.srv, s.served
	s.srv, s.wasClosed = nil, true
	s.mu.Unlock()
	if s.cb != nil {
		defer s.cb.close() // after the server: an accept in flight may still schedule
	}
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("simulator: shutdown: %w", err)
	}
	<-served
	return err
}

func (s *Simulator) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Outage makes the provider fail every send for d from now (at the
// simulator's clock) with the format's transient error (503 for most): a
// whole-provider outage, for circuit-breaker tests and benchmarks.
func (s *Simulator) Outage(d time.Duration) {
	until := s.now().Add(d)
	s.outageUntil.Store(&until)
}

// Script makes the next len(codes) valid requests to recipient `to` (E.164
// "+2557..." or wa_id "2557...") be answered with codes, in order; then
// normal behaviour resumes. 200 means accept, and a scripted answer skips
// the rate limit and random faults. Requests rejected as invalid do not use
// up the script. Calls add to what is already scripted.
//
// Script panics on a code the wire format does not answer with: scripts are
// written by tests, and a typo must not pass silently.
func (s *Simulator) Script(to string, codes ...int) {
	for _, c := range codes {
		if c != http.StatusOK && !knows(s.format, c) {
			panic(fmt.Sprintf("simulator: Script(%q): code %d is not one the %s wire format answers with (known: 200, %s)",
				to, c, s.format.name(), joinCodes(s.format.codes())))
		}
	}
	if len(codes) > 0 {
		s.scripts.push(recipientKey(to), codes)
	}
}

// Accepted reports how many times a message to `to` (E.164 or wa_id) was
// accepted. 2 or more means it was sent more than once.
func (s *Simulator) Accepted(to string) int {
	return int(s.counts.get(recipientKey(to)))
}

func recipientKey(to string) string {
	return strings.TrimPrefix(strings.TrimSpace(to), "+")
}

// Stats returns a snapshot of the counters.
func (s *Simulator) Stats() Stats { return s.stats.snapshot() }

// Windows splits the time from `from` to `to` into windows of step (a
// multiple of 100 ms) and counts, in each, the accepted sends and the
// requests answered with the rate-limit error: how a client's rate
// followed the limit over time.
func (s *Simulator) Windows(from, to time.Time, step time.Duration) []Window {
	return s.stats.timeline.windows(from, to, step)
}

// Reset forgets counts, per-recipient totals, scripts, pair-limit times,
// accepted messages (MessageStatus) and callbacks not yet due, refills the
// rate limiter and reseeds the randomness, so a seeded simulator replays
// the same answers. It keeps what came from outside: the webhook
// configuration and the inbound windows. Requests in flight during a Reset
// are counted before or after it, and callbacks already queued still go
// out.
func (s *Simulator) Reset() {
	s.scripts.reset()
	s.counts.reset()
	s.pairs.reset()
	s.messages.reset()
	if s.cb != nil {
		s.cb.clear()
	}
	s.stats.reset()
	s.rng.reseed(s.seed)
	s.resetLimiter()
}

// Webhook returns the callback URL and headers a client configured through
// the provider's API (Tujenge's POST /v1/configs/webhook), "" and nil when
// none. The simulator stores them and does not call them: callbacks go to
// Config.CallbackURL only.
func (s *Simulator) Webhook() (url string, headers map[string]string) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return s.hookURL, maps.Clone(s.hookHeaders)
}

func (s *Simulator) setWebhook(url string, headers map[string]string) {
	s.hookMu.Lock()
	s.hookURL, s.hookHeaders = url, maps.Clone(headers)
	s.hookMu.Unlock()
}
