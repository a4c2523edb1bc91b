package providertest

import (
	"context"
	"strings"
	"testing"
)

// success: the provider's success answer becomes a receipt with its id
// and status; the request passes CheckRequest and keeps the credential out
// of the URL's query.
func (s *suite) success(t *testing.T) {
	h := s.h
	srv := serve(t, h.Accept)
	rcpt, err := h.New(t, srv.URL).Send(context.Background(), h.Message())
	if err != nil {
		s.errs.add(err)
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
}
