package taqnyat_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	const (
		P = providers.Permanent
		T = providers.Transient
		A = providers.Account
	)
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
		words  string // must appear in the error's Message
	}{
		// The document's one error: 401 without authentication.
		{"401 with a code", 401, `{"message":"401","reason":"Unauthorized bot"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 401}, "Unauthorized bot"},
		{"401 with words", 401, apiError("Unauthorized", "invalid bearer token"),
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 401}, "invalid bearer token"},
		{"401 code under HTTP 400", 400, `{"message":401,"reason":"Unauthorized"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 400}, "Unauthorized"},
		{"401 code in a 200", 200, `{"message":"401","reason":"Unauthorized bot"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 200}, "Unauthorized bot"},
		{"403", 403, apiError("Forbidden", "WhatsApp is not enabled for this application"),
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "403", HTTPStatus: 403}, "not enabled"},
		// The API the document reproduces: 400 for a bad request.
		{"400 validation error", 400, apiError("Validation error", "Field [to] can not be empty."),
			providertest.Outcome{Class: P, Code: "400", HTTPStatus: 400}, "Validation error: Field [to] can not be empty."},
		{"400 with title and reason", 400, `{"title":"Bad request","reason":"Unknown template"}`,
			providertest.Outcome{Class: P, Code: "400", HTTPStatus: 400}, "Bad request: Unknown template"},
		// An error code beats a bare id, but the id makes it ambiguous.
		{"401 code in a 200 with an id", 200, `{"message":"401","reason":"Unauthorized bot","id":"req-1"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 200, Ambiguous: true}, "Unauthorized bot"},
		{"400 code in a 200", 200, `{"message":"400","reason":"Template not found"}`,
			providertest.Outcome{Class: P, Code: "400", HTTPStatus: 200}, "Template not found"},
		{"error envelope without a code in a 200", 200, apiError("Validation error", "language is not supported"),
			providertest.Outcome{Class: P, Code: "200", HTTPStatus: 200}, "language is not supported"},
		{"code field", 400, `{"code":"422","error":"Unprocessable"}`,
			providertest.Outcome{Class: P, Code: "422", HTTPStatus: 400}, "Unprocessable"},
		{"a code that is no HTTP status", 400, `{"message":"1009","reason":"Invalid parameter"}`,
			providertest.Outcome{Class: P, Code: "1009", HTTPStatus: 400}, "Invalid parameter"},
		// A prepaid account out of credit.
		{"no balance", 400, apiError("Insufficient Balance", "recharge your account"),
			providertest.Outcome{Class: A, Reason: providers.ReasonBalance, Code: "400", HTTPStatus: 400}, "Insufficient Balance"},
		{"no credit in a 200", 200, `{"message":"402","reason":"not enough credit"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonBalance, Code: "402", HTTPStatus: 200}, "not enough credit"},
		{"402", 402, apiError("Payment Required", ""),
			providertest.Outcome{Class: A, Reason: providers.ReasonBalance, Code: "402", HTTPStatus: 402}, "Payment Required"},
		// Reports in the answer.
		{"no_opt_in", 201, report("failure", "no_opt_in", "Recipient has not opted in"),
			providertest.Outcome{Class: P, Code: "no_opt_in", HTTPStatus: 201}, "Recipient has not opted in"},
		{"no_capability", 201, report("failure", "no_capability", ""),
			providertest.Outcome{Class: P, Reason: providers.ReasonInvalidRecipient, Code: "no_capability", HTTPStatus: 201}, "no_capability"},
		{"failed", 200, report("failure", "failed", "Message has failed"),
			providertest.Outcome{Class: P, Code: "failed", HTTPStatus: 200}, "Message has failed"},
		{"failed state without a status", 201, report("", "failed", ""),
			providertest.Outcome{Class: P, Code: "failed", HTTPStatus: 201}, "failed"},
		{"deleted", 201, report("failure", "deleted", "expired"),
			providertest.Outcome{Class: P, Code: "deleted", HTTPStatus: 201}, "expired"},
		{"failure in an unknown state", 201, report("failure", "rejected", "spam"),
			providertest.Outcome{Class: P, Code: "rejected", HTTPStatus: 201}, "spam"},
		{"failure without a state", 201, report("failure", "", "why not"),
			providertest.Outcome{Class: P, Code: "failure", HTTPStatus: 201}, "why not"},
		{"no_opt_in under HTTP 400", 400, report("failure", "no_opt_in", "not opted in"),
			providertest.Outcome{Class: P, Code: "no_opt_in", HTTPStatus: 400}, "not opted in"},
		// Statuses with nothing more specific.
		{"404 wrong endpoint", 404, `{"message":"Not Found"}`,
			providertest.Outcome{Class: A, Reason: providers.ReasonConfig, Code: "404", HTTPStatus: 404}, "Not Found"},
		{"409", 409, apiError("Conflict", ""), providertest.Outcome{Class: P, Code: "409", HTTPStatus: 409}, "Conflict"},
		{"429", 429, apiError("Too Many Requests", ""),
			providertest.Outcome{Class: T, Reason: providers.ReasonThrottled, Code: "429", HTTPStatus: 429}, "Too Many Requests"},
		{"500", 500, apiError("Internal Server Error", "There was an error with your request"),
			providertest.Outcome{Class: T, Code: "500", HTTPStatus: 500}, "There was an error"},
		{"500 mentioning credit is still transient", 500, apiError("credit service down", ""),
			providertest.Outcome{Class: T, Code: "500", HTTPStatus: 500}, "credit service down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Message, tt.words) {
				t.Errorf("Message = %q, want the provider's words %q", se.Message, tt.words)
			}
		})
	}
}

// TestSendClassifiesBareStatuses covers answers with no readable body: the
// HTTP status decides and Code is the status.
func TestSendClassifiesBareStatuses(t *testing.T) {
	t.Parallel()
	providertest.StatusClasses(t, sendText, []providertest.StatusCase{
		{Status: 400, Body: "Bad Request", Class: providers.Permanent},
		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 403, Body: "<html>Forbidden</html>", Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 404, Body: "404 page not found", Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 405, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 301, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 408, Class: providers.Transient},
		{Status: 429, Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Body: "upstream connect error", Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 418, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	throttled := apiError("Too Many Requests", "")
	providertest.RetryAfter(t, sendText, []providertest.RetryAfterCase{
		{Name: "seconds on 429", Status: 429, Body: throttled, RetryAfter: "7", Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "seconds on 503", Status: 503, Body: throttled, RetryAfter: "120", Min: 2 * time.Minute, Max: 2 * time.Minute},
		// An HTTP date has one-second resolution and the clock moves on
		// between writing and reading it: anything in (1m, 2m] is right.
		{Name: "HTTP date", Status: 429, Body: throttled, RetryAfter: time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat), Min: time.Minute + time.Nanosecond, Max: 2 * time.Minute},
		{Name: "date in the past", Status: 429, Body: throttled, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", Min: 0, Max: 0},
		{Name: "absent", Status: 429, Body: throttled, Min: 0, Max: 0},
		{Name: "garbage", Status: 429, Body: throttled, RetryAfter: "soon", Min: 0, Max: 0},
	})
}

func TestSendReadsSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Receipt
	}{
		{"201 queued", 201, okBody, providers.Receipt{ProviderMessageID: okID, Status: message.Accepted}},
		{"200 dispatched", 200, report("success", "dispatched", ""), providers.Receipt{ProviderMessageID: okID, Status: message.Accepted}},
		{"no status or state", 200, `{"type":"whatsapp","statuses":[{"message_id":"m-1","recipient":"966501234567"}]}`,
			providers.Receipt{ProviderMessageID: "m-1", Status: message.Accepted}},
		{"already sent", 201, report("success", "sent", ""), providers.Receipt{ProviderMessageID: okID, Status: message.Sent}},
		{"statuses as an object", 201, `{"type":"whatsapp","statuses":{"message_id":"m-2","recipient":"+966501234567","status":"success","state":"queued"}}`,
			providers.Receipt{ProviderMessageID: "m-2", Status: message.Accepted}},
		{"statuses as an object of objects", 201, `{"type":"whatsapp","statuses":{"0":{"message_id":"m-3","state":"queued"}}}`,
			providers.Receipt{ProviderMessageID: "m-3", Status: message.Accepted}},
		{"numeric id", 201, `{"statuses":[{"message_id":98765,"state":"queued"}]}`,
			providers.Receipt{ProviderMessageID: "98765", Status: message.Accepted}},
		// WhatsApp-style answers (Cloud and on-premises API), which a
		// gateway or a fake may send instead of a delivery report.
		{"messages array", 200, `{"messaging_product":"whatsapp","contacts":[{"input":"966501234567","wa_id":"966501234567"}],"messages":[{"id":"wamid.HBgM"}]}`,
			providers.Receipt{ProviderMessageID: "wamid.HBgM", Status: message.Accepted}},
		{"messages object", 201, `{"messages":{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}}`,
			providers.Receipt{ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Accepted}},
		{"messages entry without id, then message_id", 201, `{"messages":[{}],"message_id":"m-4"}`,
			providers.Receipt{ProviderMessageID: "m-4", Status: message.Accepted}},
		{"top-level message_id", 201, `{"message_id":"m-5","message":"Message sent"}`,
			providers.Receipt{ProviderMessageID: "m-5", Status: message.Accepted}},
		{"top-level id", 200, `{"id":"m-6","status":"queued"}`,
			providers.Receipt{ProviderMessageID: "m-6", Status: message.Accepted}},
		{"top-level numeric id", 200, `{"id":4711}`,
			providers.Receipt{ProviderMessageID: "4711", Status: message.Accepted}},
		{"a report without id, then an id", 201, `{"statuses":[{"status":"success","state":"queued"}],"id":"m-7"}`,
			providers.Receipt{ProviderMessageID: "m-7", Status: message.Accepted}},
		{"statuses come first", 201, `{"statuses":[{"message_id":"m-s","state":"sent"}],"messages":[{"id":"m-m"}],"message_id":"m-t","id":"m-i"}`,
			providers.Receipt{ProviderMessageID: "m-s", Status: message.Sent}},
		{"messages before message_id before id", 201, `{"id":"m-i","message_id":"m-t","messages":[{"id":"m-m"}]}`,
			providers.Receipt{ProviderMessageID: "m-m", Status: message.Accepted}},
		{"message_id before id", 201, `{"id":"m-i","message_id":"m-t"}`,
			providers.Receipt{ProviderMessageID: "m-t", Status: message.Accepted}},
		{"the recipient's report among others", 201, `{"statuses":[` +
			`{"message_id":"m-other","recipient":"966500000000","status":"failure","state":"no_opt_in"},` +
			`{"message_id":"m-ours","recipient":"966501234567","status":"success","state":"queued"}]}`,
			providers.Receipt{ProviderMessageID: "m-ours", Status: message.Accepted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			r, err := c.Send(context.Background(), msg(textMsg))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(tt.want, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendMalformedSuccessIsAmbiguous: a 2xx we cannot read may mean the
// message went out.
func TestSendMalformedSuccessIsAmbiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"not JSON", 200, "<html>OK</html>"},
		{"empty", 201, ""},
		{"204", 204, ""},
		{"no statuses", 201, `{"type":"whatsapp"}`},
		{"empty statuses", 201, `{"type":"whatsapp","statuses":[]}`},
		{"report without id", 201, `{"type":"whatsapp","statuses":[{"status":"success","state":"queued"}]}`},
		{"statuses as a string", 201, `{"type":"template","statuses":"PENDING"}`},
		{"a bare message", 200, `{"message":"Message sent"}`},
		{"a success code", 200, `{"message":"201","reason":"success"}`},
		{"messages without id", 201, `{"messages":[{"message_status":"accepted"}]}`},
		{"empty ids", 201, `{"messages":[{"id":""}],"message_id":"","id":" "}`},
		{"id in another shape", 201, `{"id":{"value":"m-1"},"messages":"m-2"}`},
		{"truncated JSON", 201, `{"statuses":[{"message_id":"m-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			want := providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: fmt.Sprint(tt.status), HTTPStatus: tt.status, Ambiguous: true}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

func TestSendErrorsNeverCarryTheToken(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) // providers.Snippet cuts at 200 bytes: mid-token
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"reason", 401, `{"message":"401","reason":"Unauthorized bearer ` + testToken + `"}`},
		{"details", 400, apiError("Validation error", "Authorization: Bearer "+testToken)},
		{"report details", 201, report("failure", "failed", "token "+testToken)},
		{"long text cut at the token", 401, apiError("Unauthorized", long+testToken)},
		{"plain text body", 500, "upstream rejected Bearer " + testToken},
		{"long plain text body", 500, long + testToken},
		{"non-JSON 200", 200, "accepted for " + testToken},
		{"JSON 200 without id", 201, `{"type":"whatsapp","echo":"` + testToken + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, taqnyat.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			if containsToken(se.Error()) {
				t.Errorf("error text carries the token: %q", se.Error())
			}
			if !strings.Contains(se.Error(), "[redacted]") && !strings.Contains(se.Error(), "…") {
				t.Errorf("error text %q shows neither a redaction nor a cut", se.Error())
			}
		})
	}
}
