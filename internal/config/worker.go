package config

import (
	"cmp"
	"fmt"
	"time"

	"github.com/wabulk/wabulk/message"
)

// WorkerConfig tunes the worker. Zero values take worker.Config's
// defaults.
type WorkerConfig struct {
	Concurrency              int            `yaml:"concurrency"`
	Queues                   map[string]int `yaml:"queues"`
	StrictPriority           bool           `yaml:"strict_priority"`
	DelayedTaskCheckInterval Duration       `yaml:"delayed_task_check_interval"`
	TaskCheckInterval        Duration       `yaml:"task_check_interval"`
	ShutdownTimeout          Duration       `yaml:"shutdown_timeout"`
	MaxAttempts              int            `yaml:"max_attempts"`
	RetryBase                Duration       `yaml:"retry_base"`
	RetryMax                 Duration       `yaml:"retry_max"`
	MaxLimiterWait           Duration       `yaml:"max_limiter_wait"`
	AccountRetryDelay        Duration       `yaml:"account_retry_delay"`
	ResendAmbiguous          bool           `yaml:"resend_ambiguous"`
	BreakerMinRequests       int            `yaml:"breaker_min_requests"`
	BreakerFailureRatio      float64        `yaml:"breaker_failure_ratio"`
	BreakerWindow            Duration       `yaml:"breaker_window"`
	BreakerOpenFor           Duration       `yaml:"breaker_open_for"`
	MaxInFlight              int            `yaml:"max_in_flight"`
	// EventsWeight weighs the callback events queue against the lanes
	// (default 5); EventHoldDelay and EventHoldFor: how often and how long
	// a receipt for a provider id not recorded yet is retried (2s, 2m).
	EventsWeight   int      `yaml:"events_weight"`
	EventHoldDelay Duration `yaml:"event_hold_delay"`
	EventHoldFor   Duration `yaml:"event_hold_for"`
	// PollFirstAfter: how long after acceptance a message of a provider
	// without push receipts (decisiontelecom) is first polled; default 10s.
	PollFirstAfter Duration `yaml:"poll_first_after"`
	// CampaignPausedRecheck: how often a paused campaign's waiting
	// messages look again; default 5s.
	CampaignPausedRecheck Duration `yaml:"campaign_paused_recheck"`
	// OptOutKeywords and OptInKeywords replace worker.DefaultOptOutKeywords
	// and worker.DefaultOptInKeywords when set.
	OptOutKeywords []string `yaml:"opt_out_keywords"`
	OptInKeywords  []string `yaml:"opt_in_keywords"`
	// SweepInterval: how often one worker of the fleet looks for queued
	// messages left without a task (an importer killed mid-batch) and
	// enqueues them again; default 5m, "off" for never.
	SweepInterval Duration `yaml:"sweep_interval"`
	// SweepAfter: how long a queued message must have been left alone
	// before the sweep looks at it; default 15m.
	SweepAfter Duration `yaml:"sweep_after"`
	// LeaseCheckInterval: how often each worker puts back the tasks a dead
	// worker held (their asynq lease expired LeaseGrace ago), attempts
	// uncounted; default 5s, "off" to leave them to asynq's own recoverer
	// (60–120 s after the death). LeaseGrace: default 5s.
	LeaseCheckInterval Duration `yaml:"lease_check_interval"`
	LeaseGrace         Duration `yaml:"lease_grace"`
}

// Sweep returns the sweep's interval (0: off) and age bound, defaults
// applied.
func (w WorkerConfig) Sweep() (interval, after time.Duration) {
	interval, after = 5*time.Minute, 15*time.Minute
	switch {
	case w.SweepInterval == Off:
		interval = 0
	case w.SweepInterval > 0:
		interval = time.Duration(w.SweepInterval)
	}
	if w.SweepAfter > 0 {
		after = time.Duration(w.SweepAfter)
	}
	return interval, after
}

// The worker's defaults that validation needs (worker.Config has them all).
const (
	defaultShutdownTimeout = 30 * time.Second
	defaultMaxLimiterWait  = 5 * time.Second
)

// MaxLimiterWaitOrDefault is max_limiter_wait, or its default when unset.
func (w WorkerConfig) MaxLimiterWaitOrDefault() time.Duration {
	return cmp.Or(time.Duration(w.MaxLimiterWait), defaultMaxLimiterWait)
}

// ValidateSending checks what only a process that sends needs (wabulk
// worker, the demo, the load tests): that worker.shutdown_timeout lets the
// slowest send finish, its rate-limit wait included. Processes that never
// send (serve, import, campaign, scheduler) do not call it, so a config
// tuned for them alone still loads. The error names the file, as Load's do.
func (c *Config) ValidateSending() error {
	var slowest time.Duration
	for _, p := range c.Providers {
		slowest = max(slowest, time.Duration(p.Timeout))
	}
	w := c.Worker
	shutdown := cmp.Or(time.Duration(w.ShutdownTimeout), defaultShutdownTimeout)
	limiterWait := w.MaxLimiterWaitOrDefault()
	if shutdown >= slowest+limiterWait {
		return nil
	}
	err := fmt.Errorf("worker.shutdown_timeout %v is shorter than the slowest provider timeout (%v) plus worker.max_limiter_wait (%v): a shutdown would cut sends off mid-request", shutdown, slowest, limiterWait)
	if c.path != "" {
		err = fmt.Errorf("%s: %w", c.path, err)
	}
	return err
}

func (w *WorkerConfig) validate() error {
	var errs errList
	errs = append(errs, w.validateLanes()...)
	if w.BreakerFailureRatio < 0 || w.BreakerFailureRatio > 1 {
		errs.add("worker.breaker_failure_ratio %v: want a share between 0 and 1 (e.g. 0.5)", w.BreakerFailureRatio)
	}
	if w.EventsWeight < 0 {
		errs.add("worker.events_weight must not be negative")
	}
	if w.CampaignPausedRecheck < 0 {
		errs.add("worker.campaign_paused_recheck cannot be off")
	}
	if w.PollFirstAfter < 0 {
		errs.add("worker.poll_first_after cannot be off (set the account's poll_max_age to limit polling)")
	}
	if w.EventHoldDelay < 0 || w.EventHoldFor < 0 {
		errs.add("worker.event_hold_delay and worker.event_hold_for cannot be off (receipts that beat their send must be held)")
	}
	if w.Concurrency < 0 || w.MaxAttempts < 0 {
		errs.add("worker: concurrency and max_attempts must not be negative")
	}
	return errs.join()
}

func (w *WorkerConfig) validateLanes() errList {
	var errs errList
	sum := 0
	for q, n := range w.Queues {
		if _, err := message.ParseLane(q); err != nil || q == "" {
			errs.add("worker.queues: unknown lane %q (lanes: high, normal, low)", q)
		}
		if n < 0 {
			errs.add("worker.queues.%s: weight must not be negative", q)
		}
		sum += max(n, 0)
	}
	if len(w.Queues) > 0 && sum == 0 {
		errs.add("worker.queues: every lane has weight 0, so the worker would take nothing")
	}
	return errs
}
