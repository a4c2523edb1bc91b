package loadtest

import (
	"context"
	"sync"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
	"github.com/wabulk/wabulk/ratelimit"
)

// Learning is judged in windows of this length.
const learnWindow = 5 * time.Second

// The goals a phase is judged by: the fleet settles at ≥ 95 % of the
// limit with ≤ 2 % of the answers 429 from then on, within 30 s.
const (
	learnRateGoal      = 0.95
	learnThrottledGoal = 0.02
	learnWithin        = 30 * time.Second
)

// limitPhase is how the fleet followed one provider limit: the time from
// FromSec (after the import's start) while the provider's real limit was
// ProviderRate, against which the fleet can reach Target = min(the
// provider's limit, the configured rate).
type limitPhase struct {
	FromSec      float64 `json:"from_sec"`
	ProviderRate float64 `json:"provider_rate"`
	Target       float64 `json:"target"`
	// Windows are the phase's whole 5-s windows, aligned at its start,
	// up to 5 s before the last accepted send (the backlog runs dry
	// there).
	Windows []learnWindowReport `json:"windows"`
	// ReachedSec is when, after the phase's start, the first window began
	// from which every window accepted ≥ 95 % of Target; nil: never.
	ReachedSec *float64 `json:"reached_95_sec"`
	// ConvergedSec is when the first window began from which every window
	// accepted ≥ 95 % of Target and ≤ 2 % of all answers from there to the
	// phase's end were 429 (the goal: within 30 s); nil: never.
	ConvergedSec *float64 `json:"converged_sec"`
	// AfterConverged is the rate and 429s from ConvergedSec on; After30s
	// from 30 s into the phase on (comparable between runs that never
	// converge).
	AfterConverged *learnSpan `json:"after_converged,omitempty"`
	After30s       *learnSpan `json:"after_30s,omitempty"`
}

// learnWindowReport is one window: its start (after the phase's), the
// sends accepted per second and the 429s (rate-limit answers).
type learnWindowReport struct {
	AtSec     float64 `json:"at_sec"`
	Rate      float64 `json:"rate"`
	Throttled int64   `json:"throttled"`
	// Learned is the rate the fleet reserved at by the window's end, as
	// this build reads the account's rate hash (ratelimit.Shared.Learned;
	// meaningless for a --worker-bin of a build that kept another state);
	// Measuring: a measurement was open then.
	Learned   float64 `json:"learned_rate"`
	Measuring bool    `json:"measuring,omitempty"`
}

// learnedSamples reads the account's learned rate every second.
type learnedSamples struct {
	mu      sync.Mutex
	at      []time.Time
	learned []ratelimit.Learned
	cancel  context.CancelFunc
	done    chan struct{}
}

func sampleLearned(ctx context.Context, lim *ratelimit.Shared, account string) *learnedSamples {
	ctx, cancel := context.WithCancel(ctx)
	l := &learnedSamples{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				lr, err := lim.Learned(ctx, account)
				if err != nil {
					continue
				}
				l.mu.Lock()
				l.at, l.learned = append(l.at, now), append(l.learned, lr)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

func (l *learnedSamples) stop() {
	l.cancel()
	<-l.done
}

// annotate sets each window's learned rate: the last sample before its
// end.
func (l *learnedSamples) annotate(phases []limitPhase, start time.Time) {
	if l == nil {
		return
	}
	for i := range phases {
		p := &phases[i]
		for j := range p.Windows {
			w := &p.Windows[j]
			end := start.Add(time.Duration((p.FromSec + w.AtSec) * float64(time.Second))).Add(learnWindow)
			for k := len(l.at) - 1; k >= 0; k-- {
				if l.at[k].Before(end) {
					w.Learned, w.Measuring = round(l.learned[k].Rate), l.learned[k].Measuring
					break
				}
			}
		}
	}
}

// learnSpan is the fleet's rate over a span of windows: per second, as a
// share of Target, and the 429s among all answers.
type learnSpan struct {
	Rate           float64 `json:"rate"`
	RatioOfTarget  float64 `json:"ratio_of_target"`
	Throttled      int64   `json:"throttled"`
	ThrottledRatio float64 `json:"throttled_ratio"`
}

// learnPhases judges how the fleet followed the provider's limit: one
// phase per limit, the second starting at change (0: no change).
func learnPhases(ws []simulator.Window, configured, first float64, change time.Duration, then float64) []limitPhase {
	per := int(learnWindow / time.Second)
	perWindow := func(w []simulator.Window) (accepted, limited int64) {
		for _, x := range w {
			accepted, limited = accepted+x.Accepted, limited+x.RateLimited
		}
		return accepted, limited
	}
	phase := func(from, to int, providerRate float64) limitPhase {
		p := limitPhase{FromSec: float64(from), ProviderRate: providerRate, Target: min(providerRate, configured)}
		var acc, lim []int64
		for i := from; i+per <= to; i += per {
			a, l := perWindow(ws[i : i+per])
			acc, lim = append(acc, a), append(lim, l)
			p.Windows = append(p.Windows, learnWindowReport{AtSec: float64(i - from), Rate: round(float64(a) / float64(per)), Throttled: l})
		}
		span := func(k int) *learnSpan {
			if k >= len(acc) {
				return nil
			}
			var a, l int64
			for i := k; i < len(acc); i++ {
				a, l = a+acc[i], l+lim[i]
			}
			rate := float64(a) / float64((len(acc)-k)*per)
			s := &learnSpan{Rate: round(rate), RatioOfTarget: round(rate / p.Target), Throttled: l}
			if a+l > 0 {
				s.ThrottledRatio = roundTo(float64(l)/float64(a+l), 4)
			}
			return s
		}
		good := func(i int) bool { return float64(acc[i]) >= learnRateGoal*p.Target*float64(per) }
		reached, converged := -1, -1
		for k := len(acc) - 1; k >= 0 && good(k); k-- {
			reached = k
			if s := span(k); s.ThrottledRatio <= learnThrottledGoal {
				converged = k
			}
		}
		if reached >= 0 {
			v := float64(reached * per)
			p.ReachedSec = &v
		}
		if converged >= 0 {
			v := float64(converged * per)
			p.ConvergedSec = &v
			p.AfterConverged = span(converged)
		}
		p.After30s = span(int(learnWithin / learnWindow))
		return p
	}
	end := len(ws)
	if change <= 0 {
		return []limitPhase{phase(0, end, first)}
	}
	c := min(int(change/time.Second), end)
	return []limitPhase{phase(0, c, first), phase(c, end, then)}
}

func roundTo(f float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(f*p+0.5)) / p
}
