package providertest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/providers"
)

// CallbackCase is one callback body and the events it must yield.
type CallbackCase struct {
	Name    string
	Header  http.Header
	Body    string
	Want    []providers.Event
	WantErr bool // the body must be refused (the receiver answers 400)
}

// callbacks: every CallbackCase yields its events (or is refused), and
// bodies that are no callback at all are refused. Skipped when the
// provider documents no callbacks.
func (s *suite) callbacks(t *testing.T) {
	h := s.h
	if h.ParseCallback == nil {
		if len(h.Callbacks) > 0 {
			t.Fatal("Callbacks given without ParseCallback")
		}
		t.Skip("the provider documents no callbacks")
	}
	for _, c := range h.Callbacks {
		t.Run(c.Name, func(t *testing.T) { s.callback(t, c) })
	}
	t.Run("garbage-is-refused", func(t *testing.T) {
		for _, body := range []string{"", "not json", "[1,2", `"just a string"`} {
			if evs, err := h.ParseCallback(http.Header{}, []byte(body)); err == nil {
				t.Errorf("body %q: no error (events %+v); the receiver must answer 400", body, evs)
			}
		}
	})
}

// callback checks one CallbackCase.
func (s *suite) callback(t *testing.T, c CallbackCase) {
	got, err := s.h.ParseCallback(c.Header, []byte(c.Body))
	if c.WantErr {
		if err == nil {
			t.Fatalf("want an error, got events %+v", got)
		}
		s.errs.add(err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
