package decisiontelecom_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

// TestSendClassifiesErrors replays every row of the document's error table
// (and the framework errors around it), each both with its own HTTP status
// and inside an HTTP 200, as DecisionTelecom's SDKs expect it too.
func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	const (
		P = providers.Permanent
		T = providers.Transient
		A = providers.Account
	)
	internal := "The server encountered an unexpected condition which prevented it from fulfilling the request"
	window := "Message failed to send because more than 24 hours have passed since the customer last replied to this number. In this case, you can only send a template message"
	invalidParam := "Empty parameter or parameter validation error"
	tests := []struct {
		name, errName, errMessage string
		code                      any // as sent: a number or a string
		status                    any // the object's status
		httpStatus                int // when not sent in a 200
		class                     providers.Class
		reason                    providers.Reason
		wantCode                  string
	}{
		{"0 rate limit", "Too Many Requests", "Rate limit exceeded", 0, 429, 429, T, providers.ReasonThrottled, "429"},
		{"1 text", "Invalid Parameter: text", invalidParam, 1, 4, 400, P, providers.ReasonNone, "1"},
		{"1 message_type", "Invalid Parameter: message_type", invalidParam, 1, 400, 400, P, providers.ReasonNone, "1"},
		{"1 placeholder name", "Invalid Parameter: [param_name]", invalidParam, 1, 4, 400, P, providers.ReasonNone, "1"},
		{"1 destination_addr", "Invalid Parameter: destination_addr", invalidParam, 1, 400, 400, P, providers.ReasonInvalidRecipient, "1"},
		{"1 template_name", "Invalid Parameter: template_name", invalidParam, 1, 400, 400, P, providers.ReasonTemplate, "1"},
		{"1 template_params", "Invalid Parameter: [template_params]", invalidParam, 1, 400, 400, P, providers.ReasonTemplate, "1"},
		{"1 file_url", "Invalid Parameter: file_url", invalidParam, 1, 400, 400, P, providers.ReasonMedia, "1"},
		{"1 source_addr", "Invalid Parameter: source_addr", invalidParam, 1, 400, 400, A, providers.ReasonConfig, "1"},
		{"1 callback_url", "Invalid Parameter: Callback_URL", invalidParam, 1, 400, 400, A, providers.ReasonConfig, "1"},
		{"2 internal", "Internal server error", internal, 2, 500, 500, T, providers.ReasonNone, "2"},
		{"3 balance", "Topup balance is required", "User balance is empty", 3, 402, 402, A, providers.ReasonBalance, "3"},
		{"4 internal", "Internal server error", internal, 4, 500, 500, T, providers.ReasonNone, "4"},
		{"5 internal", "Internal server error", internal, "5", 500, 500, T, providers.ReasonNone, "5"},
		{"6 internal", "Internal server error", internal, 6, "500", 500, T, providers.ReasonNone, "6"},
		{"7 window", "Service Unavailable", window, 7, 503, 503, P, providers.ReasonWindowClosed, "7"},
		{"7 window as strings", "Service Unavailable", window, "7", "503", 503, P, providers.ReasonWindowClosed, "7"},
		{"503 window without a code", "Service Unavailable", window, nil, 503, 503, P, providers.ReasonWindowClosed, "503"},
		{"8 MIME", "Invalid credintals for file_url", "Invalid MIME type file_url", 8, 401, 401, P, providers.ReasonMedia, "8"},
		{"9 extension", "Invalid credintals for file_url", "Invalid file extension", 9, 401, 401, P, providers.ReasonMedia, "9"},
		{"401 about file_url without a code", "Invalid credintals for file_url", "Invalid file extension", nil, 401, 401, P, providers.ReasonMedia, "401"},
		{"other 503", "Service Unavailable", "Try again later", 0, 503, 503, T, providers.ReasonNone, "503"},
		{"401 credentials", "Unauthorized", "Your request was made with invalid credentials.", 0, 401, 401, A, providers.ReasonAuth, "401"},
		{"403", "Forbidden", "You are not allowed to perform this action.", 0, 403, 403, A, providers.ReasonAuth, "403"},
		{"404 wrong base url", "Not Found", "Page not found.", 0, 404, 404, A, providers.ReasonConfig, "404"},
		{"405", "Method Not Allowed", "Method Not Allowed. This URL can only handle the following request methods: POST.", 0, 405, 405, A, providers.ReasonConfig, "405"},
		{"undocumented code under 400", "Bad Request", "Something new", 10, 400, 400, P, providers.ReasonNone, "10"},
		{"undocumented code under 500", "Internal server error", "Something new", 10, 500, 500, T, providers.ReasonNone, "10"},
	}
	for _, tt := range tests {
		for _, status := range []int{tt.httpStatus, http.StatusOK} {
			t.Run(fmt.Sprintf("%s/HTTP %d", tt.name, status), func(t *testing.T) {
				t.Parallel()
				body := map[string]any{"name": tt.errName, "message": tt.errMessage, "status": tt.status}
				if tt.code != nil {
					body["code"] = tt.code
				}
				f := providertest.NewFake(t, providertest.Respond(status, mustJSON(body)))
				c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
				se := sendErr(t, c, msg(textMsg))
				want := providertest.Outcome{Class: tt.class, Reason: tt.reason, Code: tt.wantCode, HTTPStatus: status}
				if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
					t.Errorf("error %q (-want +got):\n%s", se, diff)
				}
				if !strings.Contains(se.Message, tt.errName) || !strings.Contains(se.Message, tt.errMessage[:min(20, len(tt.errMessage))]) {
					t.Errorf("Message = %q, want the provider's name %q and message", se.Message, tt.errName)
				}
			})
		}
	}
}

// TestSendClassifiesBareStatuses covers answers that are not the error
// object: the HTTP status decides and Code is the status.
func TestSendClassifiesBareStatuses(t *testing.T) {
	t.Parallel()
	providertest.StatusClasses(t, sendText, []providertest.StatusCase{
		{Status: 400, Body: "Bad Request", Class: providers.Permanent},
		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 402, Class: providers.Account, Reason: providers.ReasonBalance},
		{Status: 403, Body: "<html>Forbidden</html>", Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 404, Body: "<h1>Not Found</h1>", Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 301, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 408, Class: providers.Transient},
		{Status: 429, Body: `{"message":"slow down"}`, Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Body: "<h1>503 Service Unavailable</h1>", Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 422, Body: `[{"field":"text","message":"Text cannot be blank."}]`, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	throttled := dtError("Too Many Requests", "Rate limit exceeded", 0, 429)
	providertest.RetryAfter(t, sendText, []providertest.RetryAfterCase{
		{Name: "seconds on 429", Status: 429, Body: throttled, RetryAfter: "7", Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "seconds on a 200 carrying 429", Status: 200, Body: throttled, RetryAfter: "7", Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "seconds on 503", Status: 503, Body: dtError("Service Unavailable", "later", 0, 503), RetryAfter: "120", Min: 2 * time.Minute, Max: 2 * time.Minute},
		// An HTTP date has one-second resolution and the clock moves on.
		{Name: "HTTP date", Status: 429, Body: throttled, RetryAfter: time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat), Min: time.Minute + time.Nanosecond, Max: 2 * time.Minute},
		{Name: "absent, as the document has it", Status: 429, Body: throttled, Min: 0, Max: 0},
		{Name: "garbage", Status: 429, Body: throttled, RetryAfter: "soon", Min: 0, Max: 0},
	})
}

func TestSendReadsSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"number, as documented", 200, `{"message_id":554}`, "554"},
		{"string", 200, `{"message_id":"554"}`, "554"},
		{"string with padding", 200, `{"message_id":" 00554 "}`, "554"},
		{"float", 200, `{"message_id":554.0}`, "554"},
		{"exponent", 200, `{"message_id":5.54e2}`, "554"},
		{"large", 200, `{"message_id":9007199254740993}`, "9007199254740993"},
		{"201 with more fields", 201, `{"message_id":555,"status":6}`, "555"},
		// The document promises only a "unique random identifier": any
		// non-empty id that is not zero or negative is kept as given.
		{"uuid", 200, `{"message_id":"0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60"}`, "0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60"},
		{"word", 200, `{"message_id":"abc"}`, "abc"},
		{"word with padding", 200, `{"message_id":" wamid.HBgM "}`, "wamid.HBgM"},
		{"digits beyond int64, as a string", 200, `{"message_id":"99999999999999999999"}`, "99999999999999999999"},
		{"digits beyond int64, as a number", 200, `{"message_id":99999999999999999999}`, "99999999999999999999"},
		{"fraction", 200, `{"message_id":554.5}`, "554.5"},
		// The document's own examples end with a trailing comma.
		{"trailing comma, as in the document", 200, "{\n\"message_id\":554,\n}", "554"},
		{"comma inside a string kept", 200, `{"message_id":"a,}",}`, "a,}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			r, err := c.Send(context.Background(), msg(textMsg))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: tt.want, Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendMalformedSuccessIsAmbiguous: a 2xx DecisionTelecom sent but we
// cannot read may mean the message went out.
func TestSendMalformedSuccessIsAmbiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"not JSON", 200, "<html>OK</html>"},
		{"empty", 200, ""},
		{"204", 204, ""},
		{"no message_id", 200, `{"result":"ok"}`},
		{"null message_id", 200, `{"message_id":null}`},
		{"zero message_id", 200, `{"message_id":0}`},
		{"negative message_id", 200, `{"message_id":-1}`},
		{"zero message_id as a string", 200, `{"message_id":"0"}`},
		{"negative message_id as a string", 200, `{"message_id":"-5"}`},
		{"negative fraction", 200, `{"message_id":-0.5}`},
		{"empty message_id", 200, `{"message_id":""}`},
		{"blank message_id", 200, `{"message_id":"  "}`},
		{"boolean message_id", 200, `{"message_id":true}`},
		{"object message_id", 200, `{"message_id":{"id":554}}`},
		{"an array", 200, `[{"message_id":554}]`},
		{"truncated", 200, `{"message_id":55`},
		{"comma then nothing", 200, `{"message_id":554,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			want := providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: fmt.Sprint(tt.status), HTTPStatus: tt.status, Ambiguous: true}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

// TestSendErrorWithMessageID: an answer that is the error object and names
// a message id is contradictory; the error wins but the message may have
// gone out.
func TestSendErrorWithMessageID(t *testing.T) {
	t.Parallel()
	body := `{"message_id":554,"name":"Internal server error","message":"oops","code":2,"status":500}`
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, body))
	c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
	se := sendErr(t, c, msg(textMsg))
	want := providertest.Outcome{Class: providers.Transient, Code: "2", HTTPStatus: 200, Ambiguous: true}
	if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
		t.Errorf("error %q (-want +got):\n%s", se, diff)
	}
}

func TestSendErrorsNeverCarryTheKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) // providers.Snippet cuts at 200 bytes: mid-key
	auth := strings.TrimPrefix(wantAuth, "Basic ")
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"name", 401, dtError("Unauthorized: "+testKey, "Your request was made with invalid credentials.", 0, 401)},
		{"message", 401, dtError("Unauthorized", "bad key "+testKey, 0, 401)},
		{"the header echoed", 401, dtError("Unauthorized", "Authorization: Basic "+auth, 0, 401)},
		{"long text cut at the key", 401, dtError("Unauthorized", long+testKey, 0, 401)},
		{"plain text body", 500, "upstream rejected key " + testKey},
		{"long plain text body", 500, long + testKey},
		{"non-JSON 200", 200, "accepted for " + testKey},
		{"JSON 200 without id", 200, `{"echo":"` + auth + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, decisiontelecom.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			if containsKey(se.Error()) {
				t.Errorf("error text carries the API key: %q", se.Error())
			}
			if !strings.Contains(se.Error(), "[redacted]") && !strings.Contains(se.Error(), "…") {
				t.Errorf("error text %q shows neither a redaction nor a cut", se.Error())
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
