// Package providertest is the conformance suite every provider adapter
// passes, like river's driver test suite: one Run call replays success,
// each documented error class, Retry-After, a failure before the request
// was written (retryable) and after it (ambiguous), malformed, non-JSON and
// oversized answers, content the provider cannot carry, callback golden
// cases, and checks that the credential appears in no error.
//
// An adapter's test supplies a Harness: how to build the adapter against a
// test server, and the provider's own answers (from its document) with the
// classification each must get. The suite owns the servers and the checks.
//
// The package also holds what the adapters' own tests share: Fake, a
// stand-in provider that records every request (with Respond, Hang and
// Drop to answer; RefusedURL where no server should answer at all), and
// the checks JSONDiff, OutcomeOf, AsSendError and Leaks.
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, providertest.Harness{
//			New:    func(t *testing.T, baseURL string) providers.Provider { ... },
//			Secret: "the-api-key",
//			Accept: providertest.Reply{Status: 200, Body: `{"messages":[{"id":"wamid.1"}]}`},
//			AcceptID: "wamid.1",
//			Errors: []providertest.ErrorCase{ ... },
//			...
//		})
//	}
package providertest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// Reply is a canned HTTP answer from the provider.
type Reply struct {
	Status int
	Header http.Header // optional
	Body   string
}

// ErrorCase is one documented failure and how the adapter must classify it.
type ErrorCase struct {
	Name   string
	Reply  Reply
	Class  providers.Class
	Reason providers.Reason // checked as given: ReasonNone means "no reason"
	Code   string           // the SendError.Code the adapter must report
}

// CallbackCase is one callback body and the events it must yield.
type CallbackCase struct {
	Name    string
	Header  http.Header
	Body    string
	Want    []providers.Event
	WantErr bool // the body must be refused (the receiver answers 400)
}

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

// Run runs the conformance suite against h.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Secret == "" || h.AcceptID == "" {
		t.Fatal("providertest: Harness needs New, Secret and AcceptID")
	}
	if h.Message == nil {
		h.Message = func() *message.Message {
			return &message.Message{ID: "c:+255712345678", CampaignID: "c", Account: "acct", To: "+255712345678",
				Content: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"Amina"}}}}
		}
	}
	if h.AcceptStatus == "" {
		h.AcceptStatus = message.Accepted
	}
	var errs errorLog
	t.Cleanup(func() { errs.checkSecret(t, h.Secret) })

	t.Run("success", func(t *testing.T) {
		srv := serve(t, h.Accept)
		rcpt, err := h.New(t, srv.URL).Send(context.Background(), h.Message())
		if err != nil {
			errs.add(err)
			t.Fatalf("Send: %v", err)
		}
		if rcpt.ProviderMessageID != h.AcceptID || rcpt.Status != h.AcceptStatus {
			t.Errorf("receipt = %+v, want id %q status %s", rcpt, h.AcceptID, h.AcceptStatus)
		}
		req := srv.Only(t)
		if h.CheckRequest != nil {
			h.CheckRequest(t, req.Request(), req.Body)
		}
		if strings.Contains(req.RawQuery, h.Secret) {
			t.Errorf("the credential travels in the URL query: %s", req.RawQuery)
		}
	})

	classes := map[providers.Class]bool{}
	for _, c := range h.Errors {
		classes[c.Class] = true
		t.Run("error/"+c.Name, func(t *testing.T) {
			se := sendErr(t, h, serve(t, c.Reply).URL, &errs)
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

	t.Run("retry-after", func(t *testing.T) {
		se := sendErr(t, h, serve(t, h.Throttle).URL, &errs)
		if se.Class != providers.Transient || se.RetryAfter != 7*time.Second {
			t.Errorf("%q: class %s, RetryAfter %v; want transient with 7s", se, se.Class, se.RetryAfter)
		}
	})

	t.Run("not-written-is-retryable", func(t *testing.T) {
		se := sendErr(t, h, RefusedURL(t), &errs)
		if se.Class != providers.Transient || se.Ambiguous {
			t.Errorf("%q: class %s ambiguous %v; want transient, not ambiguous", se, se.Class, se.Ambiguous)
		}
	})

	t.Run("written-then-timeout-is-ambiguous", func(t *testing.T) {
		srv := NewFake(t, Hang)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := h.New(t, srv.URL).Send(ctx, h.Message())
		errs.add(err)
		se := AsSendError(t, err)
		if se.Class != providers.Transient || !se.Ambiguous {
			t.Errorf("%q: class %s ambiguous %v; want transient and ambiguous", se, se.Class, se.Ambiguous)
		}
	})

	t.Run("malformed-success-is-ambiguous", func(t *testing.T) {
		for _, body := range []string{"<html>gateway says hi</html>", "{", `{"unexpected": true}`} {
			se := sendErr(t, h, serve(t, Reply{Status: 200, Body: body}).URL, &errs)
			if !se.Ambiguous || se.Class != providers.Transient {
				t.Errorf("200 %q: %q; want transient and ambiguous (the provider may have sent it)", body, se)
			}
		}
	})

	t.Run("non-json-5xx-is-transient", func(t *testing.T) {
		se := sendErr(t, h, serve(t, Reply{Status: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>503 Service Unavailable</h1>"}).URL, &errs)
		if se.Class != providers.Transient || se.Ambiguous {
			t.Errorf("%q: want transient, not ambiguous", se)
		}
	})

	t.Run("oversized-answers", func(t *testing.T) {
		// Reading stops at MaxBodyBytes: a 2xx that large may still have
		// been a success (ambiguous); an oversized error is still
		// classified by its status.
		pad := strings.Repeat(" ", providers.MaxBodyBytes+10)
		status := h.Accept.Status
		if status == 0 {
			status = http.StatusOK
		}
		se := sendErr(t, h, serve(t, Reply{Status: status, Body: pad + h.Accept.Body}).URL, &errs)
		if !se.Ambiguous || se.Class != providers.Transient || se.Reason != providers.ReasonMalformed {
			t.Errorf("oversized %d: %q; want transient, malformed, ambiguous", status, se)
		}
		se = sendErr(t, h, serve(t, Reply{Status: http.StatusBadGateway, Header: http.Header{"Content-Type": {"text/plain"}}, Body: pad + "x"}).URL, &errs)
		if se.Class != providers.Transient || se.Ambiguous || se.HTTPStatus != http.StatusBadGateway {
			t.Errorf("oversized 502: %q; want transient, not ambiguous", se)
		}
		se = sendErr(t, h, serve(t, Reply{Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"text/plain"}}, Body: pad + "x"}).URL, &errs)
		if se.Class == providers.Transient || se.Ambiguous || se.HTTPStatus != http.StatusBadRequest {
			t.Errorf("oversized 400: %q; want a refusal by its status, not a retry", se)
		}
	})

	t.Run("unsupported-content-is-refused-before-sending", func(t *testing.T) {
		for _, c := range h.Unsupported {
			srv := serve(t, h.Accept)
			m := h.Message()
			m.Content = c
			_, err := h.New(t, srv.URL).Send(context.Background(), m)
			errs.add(err)
			se := AsSendError(t, err)
			if se.Class != providers.Permanent || se.Reason != providers.ReasonUnsupported {
				t.Errorf("%s: %q; want permanent with reason unsupported", c.Kind(), se)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%s: %d requests made, want none", c.Kind(), n)
			}
		}
	})

	t.Run("callbacks", func(t *testing.T) {
		if h.ParseCallback == nil {
			if len(h.Callbacks) > 0 {
				t.Fatal("Callbacks given without ParseCallback")
			}
			t.Skip("the provider documents no callbacks")
		}
		for _, c := range h.Callbacks {
			t.Run(c.Name, func(t *testing.T) {
				got, err := h.ParseCallback(c.Header, []byte(c.Body))
				if c.WantErr {
					if err == nil {
						t.Fatalf("want an error, got events %+v", got)
					}
					errs.add(err)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(c.Want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		}
		t.Run("garbage-is-refused", func(t *testing.T) {
			for _, body := range []string{"", "not json", "[1,2", `"just a string"`} {
				if evs, err := h.ParseCallback(http.Header{}, []byte(body)); err == nil {
					t.Errorf("body %q: no error (events %+v); the receiver must answer 400", body, evs)
				}
			}
		})
	})
}

func sendErr(t *testing.T, h Harness, url string, errs *errorLog) *providers.SendError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.New(t, url).Send(ctx, h.Message())
	errs.add(err)
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

// serve starts a Fake that answers every request with rep.
func serve(t *testing.T, rep Reply) *Fake {
	t.Helper()
	return NewFake(t, rep.handler)
}

// handler answers with rep: its status (200 when 0), its header, and
// Content-Type application/json unless the header names another.
func (rep Reply) handler(w http.ResponseWriter, _ *http.Request) {
	for k, vs := range rep.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rep.Body)
}
