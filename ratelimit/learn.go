package ratelimit

import "time"

// Learned is what a limiter has learned of an account's real limit.
type Learned struct {
	// Rate is the rate the account reserves at now, messages/s: Limits.Rate
	// until the provider first answers 429, then the learned rate (never
	// above Limits.Rate). Factor is Rate / Limits.Rate.
	Rate float64
	// Limit is the provider's rate the last measurement found,
	// messages/s: what it accepted while answering 429 (capped at the rate
	// the 429s interrupted). 0 until a measurement is done.
	Limit float64
	// Measuring: 429s came and the limiter is counting what the provider
	// accepts; Rate stays where the first 429 found it until Measure has
	// passed.
	Measuring bool
	// Probing: a measurement set the rate below Limits.Rate and it is
	// climbing back (slowly within Margin of Limit, faster past it).
	Probing bool
}

// learning is an account's learned-rate state as Local keeps it; Shared
// keeps the same fields in the account's rate hash (reserve.lua). Rates are
// factors of Limits.Rate, times Unix nanoseconds.
type learning struct {
	// The last decision: the factor it set (f0), when (since), and the
	// provider's measured rate then (m). decided false: none yet.
	decided bool
	f0      float64
	since   int64
	m       float64

	// An open measurement: since start, q 429s counted (the last at
	// lastQ); sent0 sends had gone out at its start; the rate stays at
	// frozen meanwhile.
	measuring bool
	start     int64
	frozen    float64
	q         int64
	lastQ     int64
	sent0     float64
}

// factor is the effective-rate factor at now.
func (s *learning) factor(now int64, lim Limits) float64 {
	switch {
	case lim.Recovery <= 0:
		return 1
	case s.measuring:
		return s.frozen
	case !s.decided:
		return 1
	}
	return probeAt(s.f0, s.m, time.Duration(now-s.since), lim)
}

// due returns s with the open measurement decided if it has lasted
// Measure by now; sent is how many sends had gone out by now.
func (s learning) due(now int64, sent float64, lim Limits) learning {
	if !s.measuring || now-s.start < int64(lim.Measure) {
		return s
	}
	if float64(s.q) <= lim.Margin/2*(sent-s.sent0) && (!s.decided || s.frozen < s.m) {
		// The provider took nearly everything below the limit measured
		// last: the 429 that opened the measurement was jitter. Probing
		// resumes where it froze. (Above that limit, the 429 is the probe
		// finding it again, and is decided.)
		s.measuring = false
		s.since += now - s.start
		return s
	}
	prev := 0.0
	if s.decided {
		prev = s.m
	}
	f, m := decide(s.frozen, sent-s.sent0-float64(s.q), prev, time.Duration(now-s.start), lim)
	return learning{decided: true, f0: f, since: now, m: m}
}

// throttled is s after a 429 at now: it opens a measurement (unless
// within HoldOff of the last decision, or one is open: then the 429 is
// counted), and decides one that has lasted Measure.
func (s learning) throttled(now int64, sent float64, lim Limits) learning {
	if s.measuring {
		// 429s within half an interval (at the frozen rate) of the last
		// one counted answer sends that arrived bunched (a stalled
		// machine, the network): our jitter, not the provider's rate.
		if float64(now-s.lastQ) >= 0.5e9/(lim.Rate*s.frozen) {
			s.q, s.lastQ = s.q+1, now
		}
		return s.due(now, sent, lim)
	}
	if s.decided && now-s.since < int64(lim.HoldOff) {
		return s
	}
	s.frozen = s.factor(now, lim)
	s.measuring, s.start, s.q, s.lastQ, s.sent0 = true, now, 0, now, sent
	return s
}

// decide is a measurement's outcome: accepted sends went through in span
// while the rate was frozen; prev is the limit the last decision measured
// (0: none). m is the provider's rate (a factor of Rate): what it accepted
// per second — averaged with prev when within Smoothing of it, as one
// measurement is noisy — at most frozen and at least Backoff times frozen
// (one measurement lowers the rate at most that far); f the new factor: m
// less Margin, at least MinFactor.
func decide(frozen, accepted, prev float64, span time.Duration, lim Limits) (f, m float64) {
	m = max(accepted, 0) / span.Seconds() / lim.Rate
	if prev > 0 && m >= prev*(1-Smoothing) && m <= prev*(1+Smoothing) {
		m = (m + prev) / 2
	}
	m = min(max(m, frozen*lim.Backoff), frozen)
	f = m * (1 - lim.Margin)
	return min(max(f, lim.MinFactor), 1), m
}

// probeAt is the factor elapsed after a decision set f0 with the
// provider's rate measured at m: it climbs by 1 every Recovery, but
// ProbeSlowdown times slower until it passes m by Margin (the knee).
func probeAt(f0, m float64, elapsed time.Duration, lim Limits) float64 {
	fast := 1 / lim.Recovery.Seconds()
	slow := fast / ProbeSlowdown
	knee := max(m*(1+lim.Margin), f0)
	t := max(elapsed, 0).Seconds()
	f := f0 + slow*t
	if tk := (knee - f0) / slow; t > tk {
		f = knee + fast*(t-tk)
	}
	return min(f, 1)
}

// sentBy is how many of grants reservations had gone out by now: those
// whose send time is past. A stream's pending sends are the slots between
// now and its theoretical arrival time tat, less the burst tolerance.
func sentBy(grants int64, tat, now int64, interval float64, burst int) float64 {
	if interval <= 0 {
		return float64(grants)
	}
	return float64(grants) - max(0, float64(tat-now)/interval-float64(burst))
}

// learnedOf is Learned from a factor f and the last measured rate m
// (factors of lim.Rate).
func learnedOf(f, m float64, decided, measuring bool, lim Limits) Learned {
	lr := Learned{Rate: lim.Rate * f, Measuring: measuring && lim.Recovery > 0}
	if decided && lim.Recovery > 0 {
		lr.Limit = lim.Rate * m
		lr.Probing = !measuring && f < 1
	}
	return lr
}
