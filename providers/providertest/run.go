package providertest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// Harness describes one adapter to the suite.
type Harness struct {
	// New returns the adapter configured against baseURL (as its base URL
	// or endpoint) with Secret as its credential.
	New func(t *testing.T, baseURL string) providers.Provider
	// Secret is the credential; it must appear in no error text.
	Secret string
	// Message returns a message the adapter can send. Defaults to a
	// template message to +255712345678.
	Message func() *message.Message
	// Accept is the provider's success answer, carrying AcceptID.
	Accept   Reply
	AcceptID string
	// AcceptStatus is the status the receipt must carry; defaults to
	// message.Accepted.
	AcceptStatus message.Status
	// CheckRequest, when set, inspects the send request of the success
	// case (path, auth, body shape): r as the fake recorded it
	// (Recorded.Request) and its body.
	CheckRequest func(t *testing.T, r *http.Request, body []byte)
	// Errors are the documented failures: include every class the
	// provider documents.
	Errors []ErrorCase
	// Throttle is the provider's rate-limit answer; it must carry
	// "Retry-After: 7" (header or the provider's own field) and classify
	// Transient with RetryAfter 7 s.
	Throttle Reply
	// Unsupported lists content the provider cannot carry: each must be
	// refused with ReasonUnsupported before any request is made.
	Unsupported []message.Content
	// ParseCallback reads callbacks; nil when the provider documents none.
	ParseCallback func(h http.Header, body []byte) ([]providers.Event, error)
	Callbacks     []CallbackCase
}

// Run runs the conformance suite against h: every area in turn, each as
// subtests of t (see the package doc), then checks that no error the
// suite saw shows h.Secret.
func Run(t *testing.T, h Harness) {
	t.Helper()
	s := newSuite(t, h)
	t.Run("success", s.success)
	s.errorClasses(t)
	t.Run("retry-after", s.retryAfter)
	t.Run("not-written-is-retryable", s.notWritten)
	t.Run("written-then-timeout-is-ambiguous", s.writtenThenTimeout)
	t.Run("malformed-success-is-ambiguous", s.malformedSuccess)
	t.Run("non-json-5xx-is-transient", s.nonJSON5xx)
	t.Run("oversized-answers", s.oversized)
	t.Run("unsupported-content-is-refused-before-sending", s.unsupported)
	t.Run("callbacks", s.callbacks)
}

// suite is one Run: the harness with its defaults filled in, and every
// error text the areas saw.
type suite struct {
	h    Harness
	errs errorLog
}

// newSuite checks h, fills in its defaults, and registers the final check
// that no error showed the secret.
func newSuite(t *testing.T, h Harness) *suite {
	t.Helper()
	if h.New == nil || h.Secret == "" || h.AcceptID == "" {
		t.Fatal("providertest: Harness needs New, Secret and AcceptID")
	}
	if h.Message == nil {
		h.Message = defaultMessage
	}
	if h.AcceptStatus == "" {
		h.AcceptStatus = message.Accepted
	}
	s := &suite{h: h}
	t.Cleanup(func() { s.errs.checkSecret(t, h.Secret) })
	return s
}

// sendErr sends the harness's message to an adapter against url and
// returns the *SendError it must fail with.
func (s *suite) sendErr(t *testing.T, url string) *providers.SendError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.h.New(t, url).Send(ctx, s.h.Message())
	s.errs.add(err)
	return AsSendError(t, err)
}

// errorLog collects every error text the suite saw, to check for the secret.
type errorLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *errorLog) add(err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	l.errs = append(l.errs, err.Error())
	l.mu.Unlock()
}

func (l *errorLog) checkSecret(t *testing.T, secret string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errs {
		if strings.Contains(e, secret) {
			t.Errorf("an error shows the credential: %q", e)
		}
	}
}
