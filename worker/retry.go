package worker

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// retryError asks asynq to run the task again after delay. failure says
// whether asynq counts it as a failed attempt; deferrals (rate limits,
// paused accounts) are not failures.
type retryError struct {
	delay   time.Duration
	failure bool
	err     error
}

func (e *retryError) Error() string {
	kind := "retry"
	if !e.failure {
		kind = "deferred"
	}
	return fmt.Sprintf("%s in %v: %v", kind, e.delay.Round(time.Millisecond), e.err)
}

func (e *retryError) Unwrap() error { return e.err }

func retryIn(delay time.Duration, err error) error {
	return &retryError{delay: delay, failure: true, err: err}
}
func deferFor(delay time.Duration, err error) error {
	return &retryError{delay: delay, failure: false, err: err}
}

// RetryDelay is the asynq RetryDelayFunc: the handler already decided the
// delay; a task whose worker died (asynq.ErrLeaseExpired, from asynq's
// recoverer) runs again at once; other errors (Redis trouble) back off as
// asynq would.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	var re *retryError
	if errors.As(err, &re) {
		return re.delay
	}
	if leaseExpired(err) {
		return 0
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// IsFailure is the asynq IsFailure func: deferrals burn no attempt, and
// neither does a worker's death (asynq.ErrLeaseExpired): the message
// record says whether the provider may have the message (Sender.fromQueued).
func IsFailure(err error) bool {
	var re *retryError
	if errors.As(err, &re) {
		return re.failure
	}
	if leaseExpired(err) {
		return false
	}
	return true
}

// backoff is the delay before transient retry number attempt (1-based):
// base·2^(attempt-1) capped at max, with "equal jitter" (a random point in
// the upper half) so a burst of failures does not retry in lockstep.
func backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
