package decisiontelecom_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestPollStatusRequest(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"message_id":554,"status":1}`))
	c := newClient(t, decisiontelecom.Config{BaseURL: f.URL + "/v1/api", CallbackURL: "https://hooks.example/dt"})
	if _, err := c.PollStatus(context.Background(), "554"); err != nil {
		t.Fatalf("PollStatus: %v", err)
	}
	req := f.Only(t)
	got := map[string]string{"method": req.Method, "path": req.Path, "auth": req.Header.Get("Authorization"), "type": req.Header.Get("Content-Type")}
	want := map[string]string{"method": "POST", "path": "/v1/api/receive-whatsapp", "auth": wantAuth, "type": "application/json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if got, want := string(req.Body), `{"message_id":554}`; got != want {
		t.Errorf("body = %s, want %s (the id as a number)", got, want)
	}
}

// TestPollStatusSendsTheIDBack: the id goes back as DecisionTelecom gave
// it: a JSON number when it is a whole number in decimal digits, else a
// JSON string; the event carries it.
func TestPollStatusSendsTheIDBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id     string // as passed to PollStatus
		answer string // the message_id in the answer
		body   string // the request body
		event  string // the event's ProviderMessageID
	}{
		{"554", `554`, `{"message_id":554}`, "554"},
		{"0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60", `"0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60"`,
			`{"message_id":"0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60"}`, "0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60"},
		{"wamid.HBgM", `"wamid.HBgM"`, `{"message_id":"wamid.HBgM"}`, "wamid.HBgM"},
		{"99999999999999999999", `99999999999999999999`, `{"message_id":99999999999999999999}`, "99999999999999999999"},
		{"554.5", `554.5`, `{"message_id":"554.5"}`, "554.5"},
		{" 0554 ", `554`, `{"message_id":554}`, "554"}, // a whole number is read as its decimal form, as in answers
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"message_id":`+tt.answer+`,"status":1}`))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			ev, err := c.PollStatus(context.Background(), tt.id)
			if err != nil {
				t.Fatalf("PollStatus: %v", err)
			}
			if got := string(f.Only(t).Body); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
			want := providers.Event{Kind: providers.EventStatus, ProviderMessageID: tt.event, Status: message.Delivered, ProviderStatus: "delivered"}
			if diff := cmp.Diff(want, ev); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPollStatusMapsEveryStatus covers the document's status table.
func TestPollStatusMapsEveryStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string // as answered
		want   providers.Event
	}{
		{"0", providers.Event{Status: message.Sent, ProviderStatus: "sent"}},
		{"1", providers.Event{Status: message.Delivered, ProviderStatus: "delivered"}},
		{"2", providers.Event{Status: message.Failed, ProviderStatus: "rejected", ErrorCode: "rejected"}},
		{"3", providers.Event{Status: message.Failed, ProviderStatus: "error", ErrorCode: "error"}},
		{"4", providers.Event{Status: message.Failed, ProviderStatus: "failed", ErrorCode: "failed"}},
		{"5", providers.Event{Status: message.Delivered, ProviderStatus: "deleted"}},
		{"6", providers.Event{Status: message.Accepted, ProviderStatus: "pending"}},
		{"7", providers.Event{Status: message.Read, ProviderStatus: "seen"}},
		{`"7"`, providers.Event{Status: message.Read, ProviderStatus: "seen"}},
		{`"sent"`, providers.Event{Status: message.Sent, ProviderStatus: "sent"}},
		{`"delivered"`, providers.Event{Status: message.Delivered, ProviderStatus: "delivered"}},
		{`"rejected"`, providers.Event{Status: message.Failed, ProviderStatus: "rejected", ErrorCode: "rejected"}},
		{`"failed"`, providers.Event{Status: message.Failed, ProviderStatus: "failed", ErrorCode: "failed"}},
		{`"pending"`, providers.Event{Status: message.Accepted, ProviderStatus: "pending"}},
		{`"seen"`, providers.Event{Status: message.Read, ProviderStatus: "seen"}},
		{`"read"`, providers.Event{Status: message.Read, ProviderStatus: "seen"}}, // WhatsApp's word for 7
		{`"READ"`, providers.Event{Status: message.Read, ProviderStatus: "seen"}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"message_id":554,"status":`+tt.status+`}`))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			ev, err := c.PollStatus(context.Background(), "554")
			if err != nil {
				t.Fatalf("PollStatus: %v", err)
			}
			tt.want.Kind, tt.want.ProviderMessageID = providers.EventStatus, "554"
			if diff := cmp.Diff(tt.want, ev); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPollStatusReadsVariants(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"message_id":"554","status":"1"}`,
		`{"status":1}`, // no id: it is the one asked about
		`{"message_id":554.0,"status":1.0}`,
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, body))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			ev, err := c.PollStatus(context.Background(), "554")
			if err != nil {
				t.Fatalf("PollStatus: %v", err)
			}
			want := providers.Event{Kind: providers.EventStatus, ProviderMessageID: "554", Status: message.Delivered, ProviderStatus: "delivered"}
			if diff := cmp.Diff(want, ev); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPollStatusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
	}{
		{"rate limit", 429, dtError("Too Many Requests", "Rate limit exceeded", 0, 429),
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonThrottled, Code: "429", HTTPStatus: 429}},
		{"invalid parameter in a 200", 200, dtError("Invalid Parameter: message_id", "Empty parameter or parameter validation error", 1, 4),
			providertest.Outcome{Class: providers.Permanent, Code: "1", HTTPStatus: 200}},
		{"credentials", 401, dtError("Unauthorized", "Your request was made with invalid credentials.", 0, 401),
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 401}},
		{"internal", 500, dtError("Internal server error", "oops", 2, 500),
			providertest.Outcome{Class: providers.Transient, Code: "2", HTTPStatus: 500}},
		{"not JSON", 200, "<html>OK</html>",
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"no status", 200, `{"message_id":554}`,
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"unknown status", 200, `{"message_id":554,"status":8}`,
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"another message", 200, `{"message_id":555,"status":1}`,
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"another message by a word", 200, `{"message_id":"abc","status":1}`,
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"an empty message id", 200, `{"message_id":"","status":1}`,
			providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: "200", HTTPStatus: 200}},
		{"error object naming the id is still not ambiguous", 200, `{"message_id":554,"name":"Internal server error","message":"oops","code":2,"status":500}`,
			providertest.Outcome{Class: providers.Transient, Code: "2", HTTPStatus: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			ev, err := c.PollStatus(context.Background(), "554")
			if err == nil {
				t.Fatalf("PollStatus = %+v, want an error", ev)
			}
			se := providertest.AsSendError(t, err)
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

// TestPollStatusRefusesNonIDs: only an empty, zero or negative id is not
// one DecisionTelecom can have given.
func TestPollStatusRefusesNonIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "  ", "0", "000", "-5", "-0.5"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(http.StatusOK, `{"message_id":554,"status":1}`))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			_, err := c.PollStatus(context.Background(), id)
			if se := providertest.AsSendError(t, err); se.Class != providers.Permanent {
				t.Errorf("error %q: class %s, want permanent", se, se.Class)
			}
			if n := len(f.Requests()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

// TestPollStatusTimeoutIsNotAmbiguous: a status query changes nothing, so a
// timeout after it was written is simply transient.
func TestPollStatusTimeoutIsNotAmbiguous(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newClient(t, decisiontelecom.Config{BaseURL: f.URL, HTTP: providers.HTTPConfig{Timeout: 150 * time.Millisecond}})
	_, err := c.PollStatus(context.Background(), "554")
	se := providertest.AsSendError(t, err)
	if diff := cmp.Diff(providertest.Outcome{Class: providers.Transient}, providertest.OutcomeOf(se)); diff != "" {
		t.Errorf("error %q (-want +got):\n%s", se, diff)
	}
	if se.Err == nil {
		t.Error("Err is nil, want the transport error")
	}
}
