package ratelimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a rate in events per second with a burst. A zero Rate means
// unlimited.
type Limit struct {
	Rate  float64
	Burst int
}

// Reservation is a limiter's answer.
type Reservation struct {
	// OK means a slot is reserved: wait Wait, then send.
	OK bool
	// Wait is how long to wait before sending (OK), or how long until a
	// slot would be free (not OK): the natural deferral.
	Wait time.Duration
}

// Local is a process-local limiter keyed by account, on golang.org/x/time/rate.
type Local struct {
	now    func() time.Time
	mu     sync.Mutex
	limits map[string]Limit
	lims   map[string]*rate.Limiter
}

// NewLocal returns a limiter with one bucket per key of limits; keys not in
// limits are unlimited. now defaults to time.Now.
func NewLocal(limits map[string]Limit, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	return &Local{now: now, limits: limits, lims: map[string]*rate.Limiter{}}
}

func (l *Local) limiter(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim, ok := l.lims[key]; ok {
		return lim
	}
	lm, ok := l.limits[key]
	var lim *rate.Limiter
	if !ok || lm.Rate <= 0 {
		lim = rate.NewLimiter(rate.Inf, 1)
	} else {
		b := lm.Burst
		if b < 1 {
			b = 1
		}
		lim = rate.NewLimiter(rate.Limit(lm.Rate), b)
	}
	l.lims[key] = lim
	return lim
}

// Reserve reserves one send for key if it can go within maxWait.
func (l *Local) Reserve(_ context.Context, key string, maxWait time.Duration) (Reservation, error) {
	now := l.now()
	r := l.limiter(key).ReserveN(now, 1)
	if !r.OK() {
		return Reservation{Wait: maxWait}, nil
	}
	d := r.DelayFrom(now)
	if d > maxWait {
		r.CancelAt(now)
		return Reservation{Wait: d}, nil
	}
	return Reservation{OK: true, Wait: d}, nil
}
