package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxBody bounds a request body; anything larger is rejected unread.
const maxBody = 1 << 20

// serveSend answers one send request. The order of decisions is fixed:
// read the body (bounded) → auth → latency → a credential check where the
// format has one (authChecker) → parse/validate → script → limits (rate,
// window, pair) → random fault → accept. Only an accept is
// counted as one, and only an accept starts receipts.
func (s *Simulator) serveSend(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reply(w, answer{code: http.StatusMethodNotAllowed, details: r.Method + " is not allowed here; use POST"})
		return
	}
	// Read the body first: a format may carry the credential in it, and
	// net/http notices a client that went away (and cancels r.Context())
	// only once the body is consumed.
	body, readErr := s.readBody(w, r)
	if a, ok := s.authorize(r, body); !ok {
		s.reply(w, a)
		return
	}
	d := s.rng.draw(s.cfg.Jitter, len(s.faults) > 0, s.cfg.LatencyP99 > 0)
	if ok, closed := s.wait(r.Context(), s.latency(d)); !ok {
		if closed {
			s.reply(w, answer{code: http.StatusServiceUnavailable, details: "simulator closed"})
		}
		return // the client went away: nobody to answer, nothing accepted
	}
	if readErr != nil {
		s.reply(w, answer{code: http.StatusBadRequest, details: readErr.Error()})
		return
	}
	if ac, ok := s.format.(authChecker); ok && ac.isAuthCheck(body) {
		s.stats.answered(http.StatusOK)
		ac.writeAuthValid(w)
		return
	}
	send, reject := s.format.parseSend(body)
	if reject != nil {
		s.reply(w, *reject)
		return
	}
	now := s.now()
	a := s.decide(send, d.roll, now)
	if a.code == http.StatusOK {
		seq := s.seq.Add(1)
		a.id, a.to = s.format.messageID(s.nonce, seq), send.to
		s.accept(send.to, now) // before replying: a client that saw 200 finds it counted
		s.receipts(a.id, send.to, seq, now)
	}
	s.reply(w, a)
}

// authorize checks the credential the format extracts from r and body
// (nil when unreadable) against Config.APIKey. An empty Config.APIKey
// accepts any credential, but a request must still carry one. On false, a
// is the answer to give (401 in the format's shape, or 503 once closed).
func (s *Simulator) authorize(r *http.Request, body []byte) (a answer, ok bool) {
	if s.closed() {
		return answer{code: http.StatusServiceUnavailable, details: "simulator closed"}, false
	}
	cred, present := s.format.credential(r, body)
	if !present || !credentialMatches(cred, s.cfg.APIKey) {
		return s.format.unauthorized(present), false
	}
	return answer{}, true
}

// readBody reads r's body, at most maxBody bytes.
func (s *Simulator) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, fmt.Errorf("request body is larger than %d bytes", maxBody)
	}
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}

// wait sleeps d. It reports ok=false when ctx ends first, and closed=true
// when the simulator was closed meanwhile.
func (s *Simulator) wait(ctx context.Context, d time.Duration) (ok, closed bool) {
	if d <= 0 {
		return ctx.Err() == nil, false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, false
	case <-ctx.Done():
		return false, false
	case <-s.done:
		return false, true
	}
}

// decide picks the answer for a valid request: a scripted code, else the
// limits (rate, then the 24 h window, then the pair limit), else a random
// fault (roll in [0, 1)), else accept. A scripted 200 accepts regardless of
// limits and faults.
func (s *Simulator) decide(send parsed, roll float64, now time.Time) answer {
	if code, ok := s.scripts.pop(send.to); ok {
		if code == http.StatusOK && s.cfg.PairInterval > 0 {
			s.pairs.set(send.to, now)
		}
		return s.fault(code, "scripted answer")
	}
	if until := s.outageUntil.Load(); until != nil && now.Before(*until) {
		sc, _ := ScenarioFor(s.format.name())
		code := http.StatusServiceUnavailable
		if len(sc.Transient) > 0 {
			code = sc.Transient[len(sc.Transient)-1]
		}
		return s.fault(code, "simulated outage")
	}
	if a, limited := s.rateLimited(now); limited {
		return a
	}
	if s.cfg.Window && send.freeForm && !s.windowOpen(send.to, now) {
		return answer{code: s.format.windowCode(),
			details: "no message from " + send.to + " in the last 24 hours; send a template"}
	}
	var release func()
	if s.cfg.PairInterval > 0 {
		wait, ok, undo := s.pairs.reserve(send.to, now, s.cfg.PairInterval)
		if !ok {
			return answer{code: s.format.pairLimitCode(), retryAfter: max(wait, time.Second),
				details: "pair rate limit: one message to " + send.to + " per " + s.cfg.PairInterval.String()}
		}
		release = undo
	}
	for _, f := range s.faults {
		if roll < f.upTo {
			if release != nil {
				release() // not accepted: the pair slot stays free
			}
			return s.fault(f.code, "simulated fault")
		}
	}
	return answer{code: http.StatusOK}
}

// fault is the answer for a faulted or scripted code. Throttling codes
// carry Config.RetryAfter.
func (s *Simulator) fault(code int, details string) answer {
	a := answer{code: code}
	if code == http.StatusOK {
		return a
	}
	a.details = details
	switch code {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, s.format.rateLimitCode(), s.format.pairLimitCode():
		a.retryAfter = s.cfg.RetryAfter
	}
	return a
}

func (s *Simulator) accept(to string, now time.Time) {
	s.stats.accepted.Add(1)
	s.stats.timeline.add(now)
	if s.counts.add(to) == 1 {
		s.stats.recipients.Add(1)
	} else {
		s.stats.duplicates.Add(1)
	}
}

// reply counts a and has the format render it.
func (s *Simulator) reply(w http.ResponseWriter, a answer) {
	s.stats.answered(a.code)
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(a.retryAfter))
	}
	s.format.write(w, a)
}

// retryAfterSeconds renders d as whole seconds, rounded up.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// faultSlot is one fault's share of [0, 1): a roll below upTo (and above the
// previous slot's) picks code.
type faultSlot struct {
	code int
	upTo float64
}

func faultTable(faults map[int]float64) []faultSlot {
	var slots []faultSlot
	var sum float64
	for _, code := range sortedCodes(faults) { // sorted: the same seed picks the same codes
		if p := faults[code]; p > 0 {
			sum += p
			slots = append(slots, faultSlot{code: code, upTo: sum})
		}
	}
	return slots
}

// rng is the simulator's one source of fault and latency randomness. Draws
// happen in request arrival order, so a seeded simulator answers a serial
// client's requests identically run after run.
type rng struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newRNG(seed int64) *rng {
	g := &rng{}
	g.reseed(seed)
	return g
}

func (g *rng) reseed(seed int64) {
	g.mu.Lock()
	g.r = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	g.mu.Unlock()
}

// draws are one request's random numbers.
type draws struct {
	jitter time.Duration // uniform in [0, Jitter)
	roll   float64       // fault roll, uniform in [0, 1)
	z      float64       // standard normal, for the log-normal latency
}

// draw returns a jitter in [0, jitter) and, when wanted, a fault roll and
// a standard normal. The order of draws is fixed (jitter, roll, normal) so
// that configurations without LatencyP99 see the same sequence as before.
func (g *rng) draw(jitter time.Duration, wantRoll, wantNormal bool) draws {
	var d draws
	if jitter <= 0 && !wantRoll && !wantNormal {
		return d
	}
	g.mu.Lock()
	if jitter > 0 {
		d.jitter = time.Duration(g.r.Int64N(int64(jitter)))
	}
	if wantRoll {
		d.roll = g.r.Float64()
	}
	if wantNormal {
		d.z = g.r.NormFloat64()
	}
	g.mu.Unlock()
	return d
}
