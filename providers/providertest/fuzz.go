package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
)

// FuzzAnswers fuzzes how the adapter reads the answer to a send: the
// status, a Retry-After header and the body, seeded with h.Accept,
// h.Throttle and every h.Errors reply. Whatever the answer, Send returns
// either a receipt with a provider message id and no error, or a
// *providers.SendError of a known class; a status outside 2xx is never a
// success; the same answer is read the same way twice; and no error text
// shows h.Secret.
func FuzzAnswers(f *testing.F, h Harness) {
	add := func(r Reply) {
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		f.Add(status, r.Header.Get("Retry-After"), r.Body)
	}
	add(h.Accept)
	add(h.Throttle)
	for _, c := range h.Errors {
		add(c.Reply)
	}
	if h.Message == nil {
		h.Message = defaultMessage
	}

	// One server and one adapter per fuzzing process: the adapter's own
	// connection pool then serves every input.
	var current atomic.Pointer[Reply]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		current.Load().handler(w, nil)
	}))
	f.Cleanup(srv.Close)
	var (
		once sync.Once
		p    providers.Provider
	)
	send := func(t *testing.T) (providers.Receipt, error) {
		once.Do(func() { p = h.New(t, srv.URL) })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return p.Send(ctx, h.Message())
	}

	f.Fuzz(func(t *testing.T, status int, retryAfter, body string) {
		// Statuses a server can answer with as a final status.
		status = 200 + (status%400+400)%400
		rep := Reply{Status: status, Body: body, Header: http.Header{}}
		if retryAfter != "" && validHeaderValue(retryAfter) {
			rep.Header.Set("Retry-After", retryAfter)
		}
		current.Store(&rep)

		rc, err := send(t)
		if err == nil {
			if rc.ProviderMessageID == "" {
				t.Fatalf("status %d body %q: a receipt without a provider message id", status, body)
			}
			if status/100 != 2 {
				t.Fatalf("status %d body %q: accepted as %+v", status, body, rc)
			}
			if rc.Status == "" {
				t.Fatalf("status %d body %q: a receipt without a status", status, body)
			}
		} else {
			var se *providers.SendError
			if !errors.As(err, &se) {
				t.Fatalf("status %d body %q: error %T (%v), want a *providers.SendError", status, body, err, err)
			}
			switch se.Class {
			case providers.Transient, providers.Permanent, providers.Account:
			default:
				t.Fatalf("status %d body %q: class %d", status, body, se.Class)
			}
			if rc != (providers.Receipt{}) {
				t.Fatalf("status %d body %q: receipt %+v with error %v", status, body, rc, err)
			}
			if strings.Contains(err.Error(), h.Secret) {
				t.Fatalf("status %d body %q: the error shows the credential: %q", status, body, err)
			}
		}

		rc2, err2 := send(t)
		if rc2 != rc || (err == nil) != (err2 == nil) {
			t.Fatalf("status %d body %q: read twice, %+v, %v then %+v, %v", status, body, rc, err, rc2, err2)
		}
		if err != nil {
			a, b := providers.AsSendError(err), providers.AsSendError(err2)
			if a.Class != b.Class || a.Reason != b.Reason || a.Code != b.Code || a.Ambiguous != b.Ambiguous {
				t.Fatalf("status %d body %q: read twice, %v then %v", status, body, err, err2)
			}
		}
	})
}

// FuzzCallbacks fuzzes h.ParseCallback with bodies, seeded with every
// h.Callbacks body (each with its header). Whatever the body, the parser
// either refuses it or returns events of a known kind, status events with
// a status a receipt may carry; the same body gives the same events twice
// (no map order decides anything); and the events survive the events
// task's JSON encoding unchanged.
func FuzzCallbacks(f *testing.F, h Harness) {
	if h.ParseCallback == nil {
		f.Skip("the provider documents no callbacks")
	}
	// The header each seed came with, by body: a fuzzed body keeps the
	// header of the seed it grew from when it is one.
	headers := map[string]http.Header{}
	for _, c := range h.Callbacks {
		f.Add(c.Body)
		if c.Header != nil {
			headers[c.Body] = c.Header
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		hdr := headers[body]
		if hdr == nil {
			hdr = http.Header{}
		}
		evs, err := h.ParseCallback(hdr.Clone(), []byte(body))
		if err != nil {
			if evs != nil {
				t.Fatalf("body %q: events %+v with error %v", body, evs, err)
			}
			return
		}
		for i, ev := range evs {
			checkEvent(t, body, i, ev)
		}
		again, err := h.ParseCallback(hdr.Clone(), []byte(body))
		if err != nil {
			t.Fatalf("body %q: parsed once, refused the second time: %v", body, err)
		}
		if diff := cmp.Diff(evs, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("body %q: parsed twice, the events differ (-first +second):\n%s", body, diff)
		}
		b, err := json.Marshal(evs)
		if err != nil {
			t.Fatalf("body %q: encode events: %v", body, err)
		}
		var decoded []providers.Event
		if err := json.Unmarshal(b, &decoded); err != nil {
			t.Fatalf("body %q: decode events %s: %v", body, b, err)
		}
		if diff := cmp.Diff(evs, decoded, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("body %q: events changed through JSON (-parsed +decoded):\n%s", body, diff)
		}
	})
}

// checkEvent checks what every parsed event must be, whatever the body.
func checkEvent(t *testing.T, body string, i int, ev providers.Event) {
	t.Helper()
	switch ev.Kind {
	case providers.EventStatus:
		switch ev.Status {
		case message.Accepted, message.Sent, message.Delivered, message.Read, message.Failed:
		default:
			t.Fatalf("body %q: event %d: status %q, want accepted, sent, delivered, read or failed", body, i, ev.Status)
		}
	case providers.EventInbound, providers.EventPreference, providers.EventAccount:
	default:
		t.Fatalf("body %q: event %d: kind %q", body, i, ev.Kind)
	}
	if !ev.Time.IsZero() && ev.Time.Location() != time.UTC {
		t.Fatalf("body %q: event %d: time %v is not UTC", body, i, ev.Time)
	}
}

// validHeaderValue reports whether v can be sent as a header value.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// defaultMessage is the message Run sends when the harness names none.
func defaultMessage() *message.Message {
	return &message.Message{ID: "c:+255712345678", CampaignID: "c", Account: "acct", To: "+255712345678",
		Content: message.Content{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"Amina"}}}}
}
