package simulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// format is one provider's wire format. The engine (auth, latency, scripts,
// rate limit, faults, counters) decides which code answers a request; the
// format reads the request body and renders the answer. Besides the codes
// it lists, a format must render the codes the engine itself produces:
// 200 (accept), 400 (unreadable body), 401 (auth), 404, 405, 429 (rate
// limit) and 503 (simulator closed).
type format interface {
	name() string
	// codes lists the codes a fault or a script may name, ascending.
	codes() []int
	knows(code int) bool
	// keyHeader is the request header carrying the API key.
	keyHeader() string
	// sendSuffix is the path (suffix, after any base path) of the send endpoint.
	sendSuffix() string
	// parseSend validates a send request body. It returns the recipient as
	// digits (wa_id), or the rejection to answer with.
	parseSend(body []byte) (to string, reject *answer)
	// messageID builds the provider message id of the seq-th accept.
	messageID(nonce string, seq uint64) string
	// write renders a.
	write(w http.ResponseWriter, a answer)
	// routes are the format's other endpoints.
	routes() []route
}

// route is one extra endpoint of a format, matched by path suffix.
type route struct {
	suffix string
	serve  func(s *Simulator, w http.ResponseWriter, r *http.Request)
}

// answer is the engine's decision for one request, in the format's codes.
type answer struct {
	code       int           // 200 accepts
	id         string        // provider message id, on accept
	title      string        // overrides the format's title for code
	details    string        // free text for the error body
	retryAfter time.Duration // sent as Retry-After when > 0
}

// maxBody bounds a request body; anything larger is rejected unread.
const maxBody = 1 << 20

// serveSend answers one send request. The order of decisions is fixed:
// auth → latency → parse/validate → script → rate limit → random fault →
// accept. Only an accept is counted as one.
func (s *Simulator) serveSend(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.reply(w, answer{code: http.StatusMethodNotAllowed, details: r.Method + " is not allowed here; use POST"})
		return
	}
	if a, ok := s.authorize(r); !ok {
		s.reply(w, a)
		return
	}
	// Read the body before sleeping: net/http notices a client that went
	// away (and cancels r.Context()) only once the body is consumed.
	body, readErr := readBody(w, r)
	jitter, roll := s.rng.draw(s.cfg.Jitter, len(s.faults) > 0)
	if ok, closed := s.wait(r.Context(), s.cfg.Latency+jitter); !ok {
		if closed {
			s.reply(w, answer{code: http.StatusServiceUnavailable, details: "simulator closed"})
		}
		return // the client went away: nobody to answer, nothing accepted
	}
	if readErr != nil {
		s.reply(w, answer{code: http.StatusBadRequest, details: readErr.Error()})
		return
	}
	to, reject := s.format.parseSend(body)
	if reject != nil {
		s.reply(w, *reject)
		return
	}
	a := s.decide(to, roll)
	if a.code == http.StatusOK {
		a.id = s.format.messageID(s.nonce, s.seq.Add(1))
		s.accept(to) // before replying: a client that saw 200 finds it counted
	}
	s.reply(w, a)
}

// authorize checks the API key. An empty Config.APIKey accepts any key,
// but a request must still carry one.
func (s *Simulator) authorize(r *http.Request) (answer, bool) {
	h := s.format.keyHeader()
	key := r.Header.Get(h)
	switch {
	case s.closed():
		return answer{code: http.StatusServiceUnavailable, details: "simulator closed"}, false
	case key == "":
		return answer{code: http.StatusUnauthorized, details: h + " header is missing"}, false
	case s.cfg.APIKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1:
		return answer{code: http.StatusUnauthorized, details: h + " is not valid"}, false
	}
	return answer{}, true
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
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

// decide picks the answer for a valid request to `to`: a scripted code,
// else the rate limit, else a random fault (roll in [0, 1)), else accept.
// A scripted 200 accepts regardless of the rate limit and faults.
func (s *Simulator) decide(to string, roll float64) answer {
	if code, ok := s.scripts.pop(to); ok {
		return s.fault(code, "scripted answer")
	}
	if lim := s.limiter.Load(); lim != nil && !lim.Allow() {
		return answer{
			code:       http.StatusTooManyRequests,
			details:    "rate limit of " + strconv.FormatFloat(s.cfg.Rate, 'g', -1, 64) + " requests/s exceeded",
			retryAfter: untilToken(lim, s.cfg.Rate),
		}
	}
	for _, f := range s.faults {
		if roll < f.upTo {
			return s.fault(f.code, "simulated fault")
		}
	}
	return answer{code: http.StatusOK}
}

func (s *Simulator) fault(code int, details string) answer {
	a := answer{code: code}
	if code == http.StatusOK {
		return a
	}
	a.details = details
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		a.retryAfter = s.cfg.RetryAfter
	}
	return a
}

// untilToken is how long until lim admits one more request; at least 1 s,
// the smallest Retry-After there is.
func untilToken(lim *rate.Limiter, perSecond float64) time.Duration {
	need := 1 - lim.Tokens()
	d := time.Duration(need / perSecond * float64(time.Second))
	return max(d, time.Second)
}

func (s *Simulator) accept(to string) {
	s.stats.accepted.Add(1)
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

// rng is the simulator's one source of fault and jitter randomness. Draws
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

// draw returns a jitter in [0, jitter) and, when roll is wanted, a fault roll
// in [0, 1).
func (g *rng) draw(jitter time.Duration, wantRoll bool) (time.Duration, float64) {
	if jitter <= 0 && !wantRoll {
		return 0, 0
	}
	var j time.Duration
	var roll float64
	g.mu.Lock()
	if jitter > 0 {
		j = time.Duration(g.r.Int64N(int64(jitter)))
	}
	if wantRoll {
		roll = g.r.Float64()
	}
	g.mu.Unlock()
	return j, roll
}
