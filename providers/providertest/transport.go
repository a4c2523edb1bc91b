package providertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/providers"
)

// notWritten: a connection refused before the request was written is
// Transient and not Ambiguous: nothing reached the provider.
func (s *suite) notWritten(t *testing.T) {
	se := s.sendErr(t, RefusedURL(t))
	if se.Class != providers.Transient || se.Ambiguous {
		t.Errorf("%q: class %s ambiguous %v; want transient, not ambiguous", se, se.Class, se.Ambiguous)
	}
}

// writtenThenTimeout: a timeout after the request was written is Transient
// and Ambiguous: the provider may have acted on it.
func (s *suite) writtenThenTimeout(t *testing.T) {
	srv := NewFake(t, Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := s.h.New(t, srv.URL).Send(ctx, s.h.Message())
	s.errs.add(err)
	se := AsSendError(t, err)
	if se.Class != providers.Transient || !se.Ambiguous {
		t.Errorf("%q: class %s ambiguous %v; want transient and ambiguous", se, se.Class, se.Ambiguous)
	}
}

// malformedSuccess: a 2xx the adapter cannot read is Transient and
// Ambiguous: the provider may have sent the message.
func (s *suite) malformedSuccess(t *testing.T) {
	for _, body := range []string{"<html>gateway says hi</html>", "{", `{"unexpected": true}`} {
		se := s.sendErr(t, serve(t, Reply{Status: 200, Body: body}).URL)
		if !se.Ambiguous || se.Class != providers.Transient {
			t.Errorf("200 %q: %q; want transient and ambiguous (the provider may have sent it)", body, se)
		}
	}
}

// nonJSON5xx: a proxy's HTML 503 is Transient, and not Ambiguous.
func (s *suite) nonJSON5xx(t *testing.T) {
	se := s.sendErr(t, serve(t, Reply{Status: 503, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<h1>503 Service Unavailable</h1>"}).URL)
	if se.Class != providers.Transient || se.Ambiguous {
		t.Errorf("%q: want transient, not ambiguous", se)
	}
}

// oversized: reading stops at MaxBodyBytes. A 2xx that large may still
// have been a success (ambiguous); an oversized error is still classified
// by its status.
func (s *suite) oversized(t *testing.T) {
	pad := strings.Repeat(" ", providers.MaxBodyBytes+10)
	status := s.h.Accept.Status
	if status == 0 {
		status = http.StatusOK
	}
	se := s.sendErr(t, serve(t, Reply{Status: status, Body: pad + s.h.Accept.Body}).URL)
	if !se.Ambiguous || se.Class != providers.Transient || se.Reason != providers.ReasonMalformed {
		t.Errorf("oversized %d: %q; want transient, malformed, ambiguous", status, se)
	}
	se = s.sendErr(t, serve(t, Reply{Status: http.StatusBadGateway, Header: http.Header{"Content-Type": {"text/plain"}}, Body: pad + "x"}).URL)
	if se.Class != providers.Transient || se.Ambiguous || se.HTTPStatus != http.StatusBadGateway {
		t.Errorf("oversized 502: %q; want transient, not ambiguous", se)
	}
	se = s.sendErr(t, serve(t, Reply{Status: http.StatusBadRequest, Header: http.Header{"Content-Type": {"text/plain"}}, Body: pad + "x"}).URL)
	if se.Class == providers.Transient || se.Ambiguous || se.HTTPStatus != http.StatusBadRequest {
		t.Errorf("oversized 400: %q; want a refusal by its status, not a retry", se)
	}
}
