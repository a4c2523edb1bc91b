package worker

import (
	"time"

	"go.uber.org/zap"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// Config configures a worker. Zero fields take the defaults named.
type Config struct {
	// Prefix is the store/queue key prefix. Defaults to "wabulk:".
	Prefix string
	// Concurrency is how many tasks run at once. Defaults to 20.
	Concurrency int
	// LaneWeights weighs the lanes' queues. Defaults to high 6, normal 3, low 1.
	LaneWeights map[message.Lane]int
	// QueueShards is how many queues each lane is split into
	// (message.LaneQueues); the worker consumes all of them. It must be
	// at least the producers' producer.Config.QueueShards, or the tasks
	// of the higher shards are never taken (Run logs an error naming
	// them). Defaults to 1.
	QueueShards int
	// EventsWeight weighs the queue of provider callback events
	// (receipts.Queue) against the lanes, so receipts and inbound
	// messages never wait behind a campaign. Defaults to 5.
	EventsWeight int
	// EventHoldDelay is how long a receipt waits before it is tried again
	// when its provider message id is not recorded yet (the callback beat
	// the send's own write). Defaults to 2s.
	EventHoldDelay time.Duration
	// EventHoldFor is how long after the callback was received such a
	// receipt is held before it is dropped with a warning. Defaults to 2m.
	EventHoldFor time.Duration
	// OptOutKeywords are the inbound texts that put the contact on the
	// account's suppression list (store.OptOut); OptInKeywords take it off
	// again. A text matches when, trimmed, it equals a keyword ignoring
	// case: the whole message, never a word within it. Default to
	// DefaultOptOutKeywords and DefaultOptInKeywords.
	OptOutKeywords, OptInKeywords []string
	// AccountKinds names each provider account's kind ("tujenge", "meta",
	// ...). A receipt whose provider message id is not in its own
	// account's index is looked up in the other accounts of the same kind
	// (two accounts of one provider whose callbacks reach one account's
	// endpoint), and applied to the record it finds there. Defaults to
	// none: an account's receipts match its own index only.
	AccountKinds map[string]string
	// StrictPriority drains higher lanes completely first. Defaults to false.
	StrictPriority bool
	// TaskCheckInterval is how long an idle worker waits before it looks at
	// empty queues again: the pickup delay of a message enqueued while the
	// worker has nothing to do. Defaults to 100ms (asynq's own default is
	// 1s, which alone puts a reminder up to a second late).
	TaskCheckInterval time.Duration
	// DelayedTaskCheckInterval is how often due retries and scheduled tasks
	// move back to their queue: a scheduled send goes out up to this late.
	// Defaults to 250ms (asynq's own default is 5s; at 1s the lateness p99
	// was 1.1 s, at 250ms 0.36 s, for about 40 more Redis calls/s per
	// worker: BENCHMARKS.md).
	DelayedTaskCheckInterval time.Duration
	// ShutdownTimeout is how long a graceful shutdown waits for in-flight
	// sends. Defaults to 30s; keep it above the provider timeout plus
	// MaxLimiterWait so no request is cut off mid-way.
	ShutdownTimeout time.Duration
	// LeaseCheckInterval is how often the worker looks for tasks whose
	// worker died (their asynq lease expired) and puts them back at the
	// head of their queue, attempts uncounted (lease.go). Defaults to 5s;
	// negative turns it off (asynq's own recoverer then hands them back
	// after 60–120 s).
	LeaseCheckInterval time.Duration
	// LeaseGrace is how long after its lease expired a task is put back:
	// room for the clocks of the worker that wrote the lease and of the one
	// that reads it to differ. Defaults to 5s.
	LeaseGrace time.Duration
	// MaxAttempts bounds transient failures per message before it ends
	// failed. Defaults to 10.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff. Default 2s and 10m.
	RetryBase, RetryMax time.Duration
	// MaxLimiterWait is the longest rate-limit wait a handler sleeps; a longer
	// one becomes a deferral. Defaults to 5s.
	MaxLimiterWait time.Duration
	// AccountRetryDelay is how long messages wait after an account-level
	// failure (bad credentials, no credit) before trying again. Defaults to 1m.
	AccountRetryDelay time.Duration
	// BreakerMinRequests, BreakerFailureRatio: a provider account's breaker
	// opens when, within BreakerWindow, at least BreakerMinRequests sends
	// were made and at least BreakerFailureRatio of them failed transiently.
	// Default 20, 0.5, 10s.
	BreakerMinRequests  int
	BreakerFailureRatio float64
	BreakerWindow       time.Duration
	// BreakerOpenFor is how long an open breaker makes every pod wait
	// before trying again. Defaults to 30s.
	BreakerOpenFor time.Duration
	// AccountStateTTL is how long a pod trusts its copy of an account's
	// shared state (pause, open breaker). Defaults to 1s.
	AccountStateTTL time.Duration
	// MaxInFlight caps the sends in flight to one provider account from
	// this worker process (the provider's concurrency limit, divided by the
	// number of workers). 0: no cap beyond Concurrency.
	MaxInFlight int
	// CampaignPausedRecheck is how long a paused campaign's message waits
	// before it looks again (no attempt burned). Defaults to 5s.
	CampaignPausedRecheck time.Duration
	// PollFirstAfter is how long after a provider without push receipts
	// (providers.StatusPoller) accepted a message its status is first
	// polled (store.SchedulePoll; receipts.Poller polls). Defaults to 10s.
	PollFirstAfter time.Duration
	// Windows is each provider account's 24-hour window policy, by account
	// name. Under providers.WindowEnforce a free-form message goes out only
	// within store.Window of the contact's last inbound message wabulk
	// received; under providers.WindowProvider it goes out unless the
	// provider refused one to the contact for the window (store.CloseWindow)
	// less than store.Window ago with no inbound message since, and the
	// provider's refusal decides. An account not in it enforces the window.
	Windows map[string]providers.WindowPolicy
	// ResendAmbiguous resends a message whose earlier attempt may have
	// reached the provider (a worker killed mid-request, a timeout after the
	// request was written). Defaults to false: such a message ends failed
	// with code "ambiguous" and is never sent twice.
	ResendAmbiguous bool
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
}

// DefaultOptOutKeywords are the opt-out keywords when Config gives none:
// English, Arabic, Swahili and Russian.
var DefaultOptOutKeywords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
	"إلغاء", "توقف", "ACHA", "SITISHA", "СТОП", "ОТПИСАТЬСЯ"}

// DefaultOptInKeywords are the opt-in keywords when Config gives none.
var DefaultOptInKeywords = []string{"START", "UNSTOP", "SUBSCRIBE", "ANZA", "СТАРТ", "اشتراك"}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = "wabulk:"
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 20
	}
	if c.QueueShards <= 0 {
		c.QueueShards = 1
	}
	if len(c.LaneWeights) == 0 {
		c.LaneWeights = map[message.Lane]int{message.LaneHigh: 6, message.LaneNormal: 3, message.LaneLow: 1}
	}
	if c.EventsWeight <= 0 {
		c.EventsWeight = 5
	}
	if c.EventHoldDelay <= 0 {
		c.EventHoldDelay = 2 * time.Second
	}
	if c.EventHoldFor <= 0 {
		c.EventHoldFor = 2 * time.Minute
	}
	if len(c.OptOutKeywords) == 0 {
		c.OptOutKeywords = DefaultOptOutKeywords
	}
	if len(c.OptInKeywords) == 0 {
		c.OptInKeywords = DefaultOptInKeywords
	}
	if c.DelayedTaskCheckInterval <= 0 {
		c.DelayedTaskCheckInterval = 250 * time.Millisecond
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.LeaseCheckInterval == 0 {
		c.LeaseCheckInterval = 5 * time.Second
	}
	if c.LeaseGrace <= 0 {
		c.LeaseGrace = 5 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 2 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 10 * time.Minute
	}
	if c.MaxLimiterWait <= 0 {
		c.MaxLimiterWait = 5 * time.Second
	}
	if c.AccountRetryDelay <= 0 {
		c.AccountRetryDelay = time.Minute
	}
	if c.BreakerMinRequests <= 0 {
		c.BreakerMinRequests = 20
	}
	if c.BreakerFailureRatio <= 0 {
		c.BreakerFailureRatio = 0.5
	}
	if c.BreakerWindow <= 0 {
		c.BreakerWindow = 10 * time.Second
	}
	if c.BreakerOpenFor <= 0 {
		c.BreakerOpenFor = 30 * time.Second
	}
	if c.TaskCheckInterval <= 0 {
		c.TaskCheckInterval = 100 * time.Millisecond
	}
	if c.CampaignPausedRecheck <= 0 {
		c.CampaignPausedRecheck = 5 * time.Second
	}
	if c.AccountStateTTL <= 0 {
		c.AccountStateTTL = time.Second
	}
	if c.PollFirstAfter <= 0 {
		c.PollFirstAfter = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}
