package providers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Class decides what happens after a failed send.
type Class int

const (
	// Transient failures retry with backoff (timeouts before the request was
	// written, connection errors, 408, 429, 5xx, throttling codes).
	Transient Class = iota + 1
	// Permanent failures end the message as failed with the provider's code.
	Permanent
	// Account failures are about the account, not the message (bad
	// credentials, no credit, spam blocks): the message waits, it does not fail.
	Account
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case Account:
		return "account"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Reason refines a failure where the outcome depends on it.
type Reason string

// Reasons the worker acts on.
const (
	ReasonNone             Reason = ""
	ReasonWindowClosed     Reason = "window_closed"     // outside the 24 h customer-service window (470, 131047)
	ReasonThrottled        Reason = "throttled"         // the provider's rate limit (429, 130429, 131056)
	ReasonInvalidRecipient Reason = "invalid_recipient" // not a WhatsApp number, bad number
	ReasonTemplate         Reason = "template"          // template missing or malformed
	ReasonMedia            Reason = "media"             // media could not be fetched or is unsupported
	ReasonUnsupported      Reason = "unsupported"       // the adapter cannot carry this content kind
	ReasonAuth             Reason = "auth"              // credentials refused
	ReasonBalance          Reason = "balance"           // no credit left
	ReasonBlocked          Reason = "blocked"           // spam block, account restricted
	ReasonMalformed        Reason = "malformed"         // the provider's answer could not be read
	ReasonConfig           Reason = "config"            // wrong endpoint (404, 405, a redirect): check base_url
)

// SendError is the one error type adapters return from Send.
type SendError struct {
	Class      Class
	Reason     Reason
	Code       string        // provider's error code ("470", "1014", "131047"), or the HTTP status
	HTTPStatus int           // 0 when no response was received
	RetryAfter time.Duration // from Retry-After or the provider's body; 0 if none
	// Ambiguous is set when the provider may have acted on the request
	// (it was written before the connection failed or timed out, or a 2xx
	// body could not be read). Resending may duplicate the message.
	Ambiguous bool
	Message   string // the provider's words, free of credentials
	Err       error  // underlying transport error, if any
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Class.String())
	if e.Code != "" {
		b.WriteString(" error ")
		b.WriteString(e.Code)
	} else {
		b.WriteString(" error")
	}
	if e.HTTPStatus != 0 && strconv.Itoa(e.HTTPStatus) != e.Code {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Ambiguous {
		b.WriteString(" (the provider may have received it)")
	}
	return b.String()
}

func (e *SendError) Unwrap() error { return e.Err }

// AsSendError returns err's *SendError, or a Transient one wrapping err when
// err is some other error (an adapter bug must not lose a message).
func AsSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Class: Transient, Message: "unclassified error", Err: err}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when the header is absent or unreadable.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 || int64(s) > int64(math.MaxInt64/time.Second) {
			return 0 // negative, or too large for a Duration: unreadable
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// ClassifyHTTPStatus is the default class of an HTTP status with no more
// specific provider code: 408, 425, 429 and 5xx are transient; 401/403
// (credentials), 402 (balance), and 404/405 or a redirect (a wrong
// base_url) are account-level, so messages wait for the operator instead of
// failing one by one; other 4xx are permanent.
func ClassifyHTTPStatus(status int) (Class, Reason) {
	switch {
	case status >= 300 && status < 400, status == http.StatusNotFound, status == http.StatusMethodNotAllowed:
		return Account, ReasonConfig
	case status == http.StatusTooManyRequests:
		return Transient, ReasonThrottled
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status >= 500:
		return Transient, ReasonNone
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Account, ReasonAuth
	case status == http.StatusPaymentRequired:
		return Account, ReasonBalance
	default:
		return Permanent, ReasonNone
	}
}
