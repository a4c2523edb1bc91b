package worker

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/store"
)

// The worker's Prometheus metrics, on the default registry (cmd serves
// it). Labels are bounded: accounts come from the configuration, outcomes
// and reasons from the lists below, and provider codes are capped per
// account (maxCodes, then "other"); never a label per message or
// recipient.
var (
	sendsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_sends_total",
		Help: "Messages given an outcome by the send pipeline, by account, outcome (accepted, failed, expired, window_closed, opted_out, invalid, cancelled, ambiguous) and provider error code (\"\" when none).",
	}, []string{"account", "outcome", "code"})
	providerSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wabulk_provider_request_duration_seconds",
		Help:    "Time of each send request to the provider, by account and result (ok, error, timeout).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"account", "result"})
	limiterWaitSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wabulk_limiter_wait_seconds",
		Help:    "Time a send waited for its account's rate limit before going out (0 when a slot was free).",
		Buckets: []float64{0, .001, .01, .05, .1, .25, .5, 1, 2, 5},
	}, []string{"account"})
	deferralsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_deferrals_total",
		Help: "Messages put back to wait without burning an attempt (asynq shows them as retries), by account and reason (rate_limit, provider_throttled, breaker_open, account_paused, campaign_paused, quiet_hours, concurrency_cap, unconfirmed, window_fallback, unknown_account).",
	}, []string{"account", "reason"})
	leaseRecovered = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_lease_recovered_total",
		Help: "Tasks put back to their queue because the worker that held them stopped renewing their lease (it died), by queue.",
	}, []string{"queue"})
	retriesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_retries_total",
		Help: "Sends that failed transiently and will be tried again, burning an attempt, by account and reason (timeout, server_error, connection, other).",
	}, []string{"account", "reason"})
	inflightSends = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wabulk_inflight_sends",
		Help: "Send requests to the provider in progress in this process, by account.",
	}, []string{"account"})
	breakerOpen = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wabulk_breaker_open",
		Help: "1 while this process's circuit breaker of the account is open (sends wait), else 0.",
	}, []string{"account"})
	accountPaused = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wabulk_account_paused",
		Help: "1 while the account is paused fleet-wide (credentials, credit, a ban: `wabulk provider resume`), else 0, as this process last read it.",
	}, []string{"account"})
	eventsProcessed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "wabulk_events_processed_total",
		Help: "Provider callback events processed, by account, kind (status, inbound, preference, account, other) and result (applied; held: its message's provider id is not recorded yet, tried again; dropped: held too long; group: a group chat's message, no window, no keyword; paused, resumed, logged: an account notice; ignored; error: tried again).",
	}, []string{"account", "kind", "result"})
	budgetTrips = promauto.NewCounter(prometheus.CounterOpts{
		Name: "wabulk_error_budget_trips_total",
		Help: "Campaigns this process paused because their error budget was spent.",
	})
)

// Deferral reasons (wabulk_deferrals_total's reason label).
const (
	deferRateLimit    = "rate_limit"
	deferThrottled    = "provider_throttled"
	deferBreaker      = "breaker_open"
	deferAccount      = "account_paused"
	deferCampaign     = "campaign_paused"
	deferQuiet        = "quiet_hours"
	deferCap          = "concurrency_cap"
	deferUnconfirmed  = "unconfirmed"
	deferFallback     = "window_fallback"
	deferUnknownAcct  = "unknown_account"
	outcomeAmbiguous  = "ambiguous"
	maxCodesPerOutput = 50
)

// codes caps the distinct provider codes labelled per account.
var codes = struct {
	sync.Mutex
	seen map[string]map[string]bool
}{seen: map[string]map[string]bool{}}

// codeLabel is code, or "other" once the account has maxCodesPerOutput
// others.
func codeLabel(account, code string) string {
	if code == "" {
		return ""
	}
	codes.Lock()
	defer codes.Unlock()
	m := codes.seen[account]
	if m == nil {
		m = map[string]bool{}
		codes.seen[account] = m
	}
	if m[code] {
		return code
	}
	if len(m) >= maxCodesPerOutput {
		return "other"
	}
	m[code] = true
	return code
}

// countOutcome counts one recorded outcome.
func countOutcome(account string, to message.Status, u store.Update) {
	outcome := string(to)
	if u.ErrorCode == store.AmbiguousCode {
		outcome = outcomeAmbiguous
	}
	code := u.ErrorCode
	if to.ProviderTook() || code == store.AmbiguousCode {
		code = ""
	}
	sendsTotal.WithLabelValues(account, outcome, codeLabel(account, code)).Inc()
}

func countEvent(account, kind, result string) {
	eventsProcessed.WithLabelValues(account, kind, result).Inc()
}

// observeRequest times one provider request.
func observeRequest(account string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
		if se := providers.AsSendError(err); se.Ambiguous {
			result = "timeout"
		}
	}
	providerSeconds.WithLabelValues(account, result).Observe(d.Seconds())
}

// retryReason is the retries_total reason of a transient failure.
func retryReason(se *providers.SendError) string {
	switch {
	case se.HTTPStatus == 408 || se.Ambiguous:
		return "timeout"
	case se.HTTPStatus >= 500:
		return "server_error"
	case se.HTTPStatus == 0:
		return "connection"
	}
	return "other"
}
