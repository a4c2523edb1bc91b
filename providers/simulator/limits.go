package simulator

import (
	"hash/maphash"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// window is how long after a customer's last inbound message a free-form
// message may go out.
const window = 24 * time.Hour

// rateLimited takes a token from the account's limiter (Config.Rate, or
// what SetRate set) and, when there is none, returns the format's
// rate-limit answer with a Retry-After saying when the next request would
// be admitted.
func (s *Simulator) rateLimited(now time.Time) (answer, bool) {
	lim := s.limiter.Load()
	if lim == nil || lim.Allow() {
		return answer{}, false
	}
	s.stats.timeline.rateLimited(now)
	perSecond := float64(lim.Limit())
	return answer{
		code:       s.format.rateLimitCode(),
		details:    "rate limit of " + strconv.FormatFloat(perSecond, 'g', -1, 64) + " requests/s exceeded",
		retryAfter: untilToken(lim, perSecond),
	}, true
}

// SetRate changes the account's rate limit to perSecond from now on (the
// burst stays Config.Burst, or max(1, perSecond/10) when Config.Rate was
// 0): a provider whose real limit moves mid-run. 0 lifts the limit.
func (s *Simulator) SetRate(perSecond float64) {
	if perSecond <= 0 {
		s.limiter.Store(nil)
		return
	}
	if lim := s.limiter.Load(); lim != nil {
		lim.SetLimit(rate.Limit(perSecond))
		return
	}
	s.limiter.Store(rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/10))))
}

// untilToken is how long until lim admits one more request; at least 1 s,
// the smallest Retry-After there is.
func untilToken(lim *rate.Limiter, perSecond float64) time.Duration {
	need := 1 - lim.Tokens()
	d := time.Duration(need / perSecond * float64(time.Second))
	return max(d, time.Second)
}

// windowOpen reports whether `to` sent a message in the 24 h before now.
func (s *Simulator) windowOpen(to string, now time.Time) bool {
	last, ok := s.inbound.get(to)
	return ok && now.Sub(last) < window
}

// MarkInbound records that `from` (E.164 or wa_id) sent a message at `at`,
// which opens its 24 h window (Config.Window) without a callback. A later
// mark wins over an earlier one.
func (s *Simulator) MarkInbound(from string, at time.Time) {
	s.inbound.setLater(recipientKey(from), at)
}

// z99 is the 99th percentile of the standard normal distribution.
const z99 = 2.3263478740408408

// zClamp bounds the normal draw of the log-normal latency, so that no
// request waits absurdly long (|Z| > 4.5 has a probability of 7e-6).
const zClamp = 4.5

// latency is the delay before answering a request: Config.Latency, or with
// Config.LatencyP99 a log-normal draw with median Latency and 99th
// percentile LatencyP99, plus the uniform jitter.
func (s *Simulator) latency(d draws) time.Duration {
	return logNormal(s.cfg.Latency, s.cfg.LatencyP99, d.z) + d.jitter
}

// logNormal maps a standard normal z to median·exp(σ·z), where σ =
// ln(p99/median)/z99 puts the 99th percentile at p99. p99 ≤ 0 (off)
// returns median.
func logNormal(median, p99 time.Duration, z float64) time.Duration {
	if p99 <= 0 || median <= 0 {
		return median
	}
	sigma := math.Log(float64(p99)/float64(median)) / z99
	z = min(max(z, -zClamp), zClamp)
	return time.Duration(float64(median) * math.Exp(sigma*z))
}

// timeMap is a time per recipient, sharded so that concurrent requests
// for different recipients rarely contend. It holds the last inbound
// message (the window) and the last accept (the pair limit).
type timeMap struct {
	seed   maphash.Seed
	shards [shardCount]timeShard
}

type timeShard struct {
	mu sync.Mutex
	m  map[string]time.Time
	_  [40]byte // keep shards on separate cache lines
}

func newTimeMap() *timeMap {
	t := &timeMap{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = make(map[string]time.Time)
	}
	return t
}

func (t *timeMap) shard(k string) *timeShard {
	return &t.shards[maphash.String(t.seed, k)%shardCount]
}

func (t *timeMap) get(k string) (time.Time, bool) {
	sh := t.shard(k)
	sh.mu.Lock()
	v, ok := sh.m[k]
	sh.mu.Unlock()
	return v, ok
}

func (t *timeMap) set(k string, at time.Time) {
	sh := t.shard(k)
	sh.mu.Lock()
	sh.m[k] = at
	sh.mu.Unlock()
}

// setLater stores at unless a later time is stored already.
func (t *timeMap) setLater(k string, at time.Time) {
	sh := t.shard(k)
	sh.mu.Lock()
	if v, ok := sh.m[k]; !ok || at.After(v) {
		sh.m[k] = at
	}
	sh.mu.Unlock()
}

// reserve claims k at now unless k was claimed less than interval before:
// then ok is false and wait is how long until it may be claimed again.
// undo gives the claim back (the request was not accepted after all),
// unless another claim came in meanwhile.
func (t *timeMap) reserve(k string, now time.Time, interval time.Duration) (wait time.Duration, ok bool, undo func()) {
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	prev, had := sh.m[k]
	if had {
		if since := now.Sub(prev); since >= 0 && since < interval {
			return interval - since, false, nil
		}
	}
	sh.m[k] = now
	return 0, true, func() {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		if cur, ok := sh.m[k]; ok && cur.Equal(now) {
			if had {
				sh.m[k] = prev
			} else {
				delete(sh.m, k)
			}
		}
	}
}

func (t *timeMap) reset() {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]time.Time)
		sh.mu.Unlock()
	}
}
