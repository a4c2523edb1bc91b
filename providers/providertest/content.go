package providertest

import (
	"context"
	"testing"

	"github.com/wabulk/wabulk/providers"
)

// unsupported: each content in Harness.Unsupported is refused, Permanent
// with ReasonUnsupported, before any request is made.
func (s *suite) unsupported(t *testing.T) {
	h := s.h
	for _, c := range h.Unsupported {
		srv := serve(t, h.Accept)
		m := h.Message()
		m.Content = c
		_, err := h.New(t, srv.URL).Send(context.Background(), m)
		s.errs.add(err)
		se := AsSendError(t, err)
		if se.Class != providers.Permanent || se.Reason != providers.ReasonUnsupported {
			t.Errorf("%s: %q; want permanent with reason unsupported", c.Kind(), se)
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%s: %d requests made, want none", c.Kind(), n)
		}
	}
}
