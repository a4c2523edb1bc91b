package providertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/providers"
)

// ErrorCase is one documented failure and how the adapter must classify it.
type ErrorCase struct {
	Name   string
	Reply  Reply
	Class  providers.Class
	Reason providers.Reason // checked as given: ReasonNone means "no reason"
	Code   string           // the SendError.Code the adapter must report
}

// errorClasses runs one subtest per Harness.Errors case ("error/<name>"),
// then fails t unless the cases cover every class.
func (s *suite) errorClasses(t *testing.T) {
	classes := map[providers.Class]bool{}
	for _, c := range s.h.Errors {
		classes[c.Class] = true
		t.Run("error/"+c.Name, func(t *testing.T) {
			se := s.sendErr(t, serve(t, c.Reply).URL)
			want := Outcome{Class: c.Class, Reason: c.Reason, Code: c.Code}
			if diff := cmp.Diff(want, OutcomeOf(se), cmpopts.IgnoreFields(Outcome{}, "HTTPStatus")); diff != "" {
				t.Errorf("%q (-want +got):\n%s", se, diff)
			}
		})
	}
	for _, c := range []providers.Class{providers.Transient, providers.Permanent, providers.Account} {
		if !classes[c] {
			t.Errorf("Harness.Errors has no %s case: every class the provider documents needs one", c)
		}
	}
}

// retryAfter: Harness.Throttle is Transient with RetryAfter 7 s.
func (s *suite) retryAfter(t *testing.T) {
	se := s.sendErr(t, serve(t, s.h.Throttle).URL)
	if se.Class != providers.Transient || se.RetryAfter != 7*time.Second {
		t.Errorf("%q: class %s, RetryAfter %v; want transient with 7s", se, se.Class, se.RetryAfter)
	}
}

// SendFunc sends one message through the adapter under test, configured
// against baseURL (a Fake's URL, to which it may add the provider's base
// path), and returns what Send returned. The table runners call it once
// per case, each case with its own Fake.
type SendFunc func(t *testing.T, baseURL string) error

// StatusCase is an answer that carries no code of the provider's (an
// empty body, a proxy's HTML page, JSON in no documented shape): its HTTP
// status alone decides.
type StatusCase struct {
	Status int
	Body   string // answered as Respond answers it
	Class  providers.Class
	Reason providers.Reason // checked as given: ReasonNone means "no reason"
}

// StatusClasses runs one parallel subtest per case, named by its status:
// a Fake answers with the case's status and body, and the send must fail
// with a *providers.SendError of the case's Class and Reason, whose Code
// and HTTPStatus are the status, that is not Ambiguous, and whose Message
// is not empty (the body, or the status text).
func StatusClasses(t *testing.T, send SendFunc, cases []StatusCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(fmt.Sprint(c.Status), func(t *testing.T) {
			t.Parallel()
			f := NewFake(t, Respond(c.Status, c.Body))
			se := AsSendError(t, send(t, f.URL))
			want := Outcome{Class: c.Class, Reason: c.Reason, Code: fmt.Sprint(c.Status), HTTPStatus: c.Status}
			if diff := cmp.Diff(want, OutcomeOf(se)); diff != "" {
				t.Errorf("%d %q: error %q (-want +got):\n%s", c.Status, c.Body, se, diff)
			}
			if se.Message == "" {
				t.Errorf("%d %q: Message is empty, want the body or the status text", c.Status, c.Body)
			}
		})
	}
}

// RetryAfterCase is a failure carrying (or not) a wait, and the
// SendError.RetryAfter it must yield.
type RetryAfterCase struct {
	Name   string
	Status int    // defaults to 429
	Body   string // answered as Respond answers it
	// RetryAfter is the Retry-After header; none is sent when it is "".
	RetryAfter string
	// Header holds further header pairs, as Respond takes them
	// ("X-Business-Use-Case-Usage", "{...}").
	Header []string
	// Min and Max bound RetryAfter: equal for an exact wait, a range for
	// an HTTP date (one-second resolution, and the clock moves on between
	// writing and reading it).
	Min, Max time.Duration
	// Reason, when set, is the Reason the error must carry too.
	Reason providers.Reason
}

// RetryAfter runs one parallel subtest per case, named by it: a Fake
// answers with the case's status, body and headers, and the send must
// fail with a Transient *providers.SendError whose RetryAfter lies in
// [Min, Max] (and whose Reason is the case's, when it names one).
func RetryAfter(t *testing.T, send SendFunc, cases []RetryAfterCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			status := c.Status
			if status == 0 {
				status = 429
			}
			var header []string
			if c.RetryAfter != "" {
				header = append(header, "Retry-After", c.RetryAfter)
			}
			header = append(header, c.Header...)
			f := NewFake(t, Respond(status, c.Body, header...))
			se := AsSendError(t, send(t, f.URL))
			if se.Class != providers.Transient {
				t.Errorf("Class = %v, want transient", se.Class)
			}
			if c.Reason != providers.ReasonNone && se.Reason != c.Reason {
				t.Errorf("Reason = %q, want %q", se.Reason, c.Reason)
			}
			if se.RetryAfter < c.Min || se.RetryAfter > c.Max {
				t.Errorf("RetryAfter = %v, want in [%v, %v]", se.RetryAfter, c.Min, c.Max)
			}
		})
	}
}
