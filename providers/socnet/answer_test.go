package socnet_test

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
	"github.com/wabulk/wabulk/providers/socnet"
)

// TestSendReadsSuccess: the API "chooses one of the two channels", so both
// documented shapes must read, in the variants a PHP API plausibly sends.
func TestSendReadsSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Receipt
	}{
		{"channel 1: sent", 200, channel1, providers.Receipt{ProviderMessageID: "3EB002BAE9545124A5B7B2", Status: message.Sent}},
		{"channel 1: sent as a boolean", 200, `{"sent":true,"messageId":"3EB0AA","cost":90}`, providers.Receipt{ProviderMessageID: "3EB0AA", Status: message.Sent}},
		{"channel 1: sent in capitals", 200, `{"sent":"TRUE","messageId":"3EB0AB"}`, providers.Receipt{ProviderMessageID: "3EB0AB", Status: message.Sent}},
		{"channel 1 with status 0", 200, `{"sent":"true","messageId":"3EB0AC","status":0}`, providers.Receipt{ProviderMessageID: "3EB0AC", Status: message.Sent}},
		{"channel 1 under 201", 201, channel1, providers.Receipt{ProviderMessageID: "3EB002BAE9545124A5B7B2", Status: message.Sent}},
		{"channel 2: accepted", 200, channel2, providers.Receipt{ProviderMessageID: "wamid.HBgMMjU2NzAxMjM0NTY3FQIAERgSQjE0", Status: message.Accepted}},
		{"channel 2: messages as an object", 200, `{"messaging_product":"whatsapp","messages":{"id":"wamid.2","message_status":"accepted"},"cost":"0"}`,
			providers.Receipt{ProviderMessageID: "wamid.2", Status: message.Accepted}},
		{"channel 2 with status \"0\"", 200, `{"messages":[{"id":"wamid.3"}],"status":"0"}`, providers.Receipt{ProviderMessageID: "wamid.3", Status: message.Accepted}},
		{"a numeric id", 200, `{"sent":"true","messageId":12345}`, providers.Receipt{ProviderMessageID: "12345", Status: message.Sent}},
		{"an id without sent", 200, `{"messageId":"3EB0AD"}`, providers.Receipt{ProviderMessageID: "3EB0AD", Status: message.Accepted}},
		// "status" is typed loosely (Int/ Str, "status/sent"): beside an
		// id, only a failure code or word is a failure.
		{"an id with status 200", 200, `{"status":200,"messageId":"3EB0"}`, providers.Receipt{ProviderMessageID: "3EB0", Status: message.Accepted}},
		{"an id with status \"201\"", 201, `{"status":"201","messages":[{"id":"wamid.4"}]}`, providers.Receipt{ProviderMessageID: "wamid.4", Status: message.Accepted}},
		{"an id with status submitted", 200, `{"status":"submitted","messageId":"3EB0","message":"Message submitted successfully."}`, providers.Receipt{ProviderMessageID: "3EB0", Status: message.Accepted}},
		{"an id with status Queued", 200, `{"status":"Queued","messages":[{"id":"wamid.5"}]}`, providers.Receipt{ProviderMessageID: "wamid.5", Status: message.Accepted}},
		{"an id with status 2", 200, `{"status":2,"messageId":"3EB0"}`, providers.Receipt{ProviderMessageID: "3EB0", Status: message.Accepted}},
		{"an id with status valid and sent", 200, `{"status":"valid","sent":"true","messageId":"3EB0"}`, providers.Receipt{ProviderMessageID: "3EB0", Status: message.Sent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
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

// TestSendGeneralSuccessWithoutID: the document's "General Success
// Response" names no message. Socnet sends no callbacks, so no later event
// needs Socnet's id: the receipt keys on our own message id.
func TestSendGeneralSuccessWithoutID(t *testing.T) {
	t.Parallel()
	const id = "socnet:camp-1:" + ugandan
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Receipt
	}{
		{"the document's general success", 200, `{"message":"Message submitted successfully.","status":0}`, providers.Receipt{ProviderMessageID: id, Status: message.Accepted}},
		{"status \"0\"", 200, `{"status":"0"}`, providers.Receipt{ProviderMessageID: id, Status: message.Accepted}},
		{"under 201", 201, `{"message":"Message submitted successfully.","status":0}`, providers.Receipt{ProviderMessageID: id, Status: message.Accepted}},
		{"status 200", 200, `{"message":"Message submitted successfully.","status":200}`, providers.Receipt{ProviderMessageID: id, Status: message.Accepted}},
		{"status success", 200, `{"status":"Success"}`, providers.Receipt{ProviderMessageID: id, Status: message.Accepted}},
		{"channel 1 without an id", 200, `{"sent":"true","from":"256701234567@c.us","message_type":"chat","cost":"90"}`, providers.Receipt{ProviderMessageID: id, Status: message.Sent}},
		{"sent as a boolean, status 0", 200, `{"sent":true,"status":0}`, providers.Receipt{ProviderMessageID: id, Status: message.Sent}},
		{"sent, with an id we cannot read", 200, `{"sent":"true","messageId":{"id":"x"}}`, providers.Receipt{ProviderMessageID: id, Status: message.Sent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
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

// TestSendClassifiesErrors covers every documented failure, with its code
// as the HTTP status, in the body (int or string) under a 200, or both.
func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	const (
		P = providers.Permanent
		T = providers.Transient
		A = providers.Account
	)
	tests := []struct {
		name   string
		code   int // the body's status, and the HTTP status in the "http" variant
		text   string
		class  providers.Class
		reason providers.Reason
	}{
		{"1 FAIL", 1, "FAIL", P, providers.ReasonNone},
		{"400 missing parameter", 400, "The msisdn field is required.", P, providers.ReasonInvalidRecipient},
		{"400 missing api_key", 400, "The api_key field is required.", A, providers.ReasonAuth},
		{"401 credentials", 401, "Invalid user credentials", A, providers.ReasonAuth},
		{"403 credit", 403, "Insufficient credit (0) for transaction charge of 90", A, providers.ReasonBalance},
		{"404 no text in the image", 404, "There is no text in the image", P, providers.ReasonNone},
		{"404 resource not found", 404, "Contact not found", P, providers.ReasonNone},
		{"404 template not found", 404, "Template not found", P, providers.ReasonTemplate},
		{"404 route not found", 404, "Route not found", A, providers.ReasonConfig},
		{"405 method", 405, "Method is not allowed for the requested route", A, providers.ReasonConfig},
		{"422 missing msg", 422, "The msg field is required.", P, providers.ReasonNone},
		{"422 wrong msisdn", 422, "The msisdn field must be 12 digits.", P, providers.ReasonInvalidRecipient},
		{"422 wrong template", 422, "The template field must be an approved template.", P, providers.ReasonTemplate},
		{"422 wrong api_key", 422, "The api_key field must be 32 characters.", A, providers.ReasonAuth},
		{"429", 429, "Too many requests", T, providers.ReasonThrottled},
		{"500 server error", 500, "Unexpected failure", T, providers.ReasonNone},
		{"503 unavailable", 503, "Service unavailable", T, providers.ReasonNone},
		{"other 4xx", 409, "Conflict", P, providers.ReasonNone},
		{"other 5xx", 502, "Bad gateway", T, providers.ReasonNone},
	}
	variants := map[string]func(code int) (status int, body any){
		"http+int":    func(code int) (int, any) { return httpOf(code), code },
		"http+string": func(code int) (int, any) { return httpOf(code), fmt.Sprint(code) },
		"200+int":     func(code int) (int, any) { return 200, code },
		"200+string":  func(code int) (int, any) { return 200, fmt.Sprint(code) },
	}
	for _, tt := range tests {
		for vname, variant := range variants {
			t.Run(vname+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				status, code := variant(tt.code)
				f := providertest.NewFake(t, providertest.Respond(status, general(code, tt.text)))
				c := newClient(t, socnet.Config{URL: endpoint(f)})
				se := sendErr(t, c, msg(textMsg))
				want := providertest.Outcome{Class: tt.class, Reason: tt.reason, Code: fmt.Sprint(tt.code), HTTPStatus: status}
				if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
					t.Errorf("error %q (-want +got):\n%s", se, diff)
				}
				if !strings.Contains(se.Message, tt.text) {
					t.Errorf("Message = %q, want the provider's words %q", se.Message, tt.text)
				}
			})
		}
	}
}

// httpOf is the HTTP status that carries a body code: FAIL (1) has none.
func httpOf(code int) int {
	if code < 100 {
		return http.StatusOK
	}
	return code
}

// TestSendClassifiesWords covers failures Socnet names with a word.
func TestSendClassifiesWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
		says   string
	}{
		{"unregistered number", 200, `{"status":"invalid"}`,
			providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "invalid", HTTPStatus: 200}, "not registered on WhatsApp"},
		{"unregistered number in capitals, under 404", 404, `{"status":"Invalid"}`,
			providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "invalid", HTTPStatus: 404}, "not registered on WhatsApp"},
		{"channel 1 not sent", 200, `{"sent":"false","from":"256701234567@c.us","message_type":"chat","cost":"0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "not_sent", HTTPStatus: 200}, `"sent": "false"`},
		{"channel 1 not sent, a boolean", 200, `{"sent":false}`,
			providertest.Outcome{Class: providers.Permanent, Code: "not_sent", HTTPStatus: 200}, `"sent": "false"`},
		{"an undocumented word", 200, `{"status":"failed","message":"Could not send"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "failed", HTTPStatus: 200}, "Could not send"},
		{"FAIL without words", 200, `{"status":1}`,
			providertest.Outcome{Class: providers.Permanent, Code: "1", HTTPStatus: 200}, "not successful"},
		{"403 without words", 403, `{"status":403}`,
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonBalance, Code: "403", HTTPStatus: 403}, "insufficient credit"},
		{"status 401 as a float", 200, `{"status":401.0,"message":"Invalid user credentials"}`,
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 200}, "Invalid user credentials"},
		{"missing parameters with data null", 400, `{"data":null,"message":"The msg field is required.","status":400}`,
			providertest.Outcome{Class: providers.Permanent, Code: "400", HTTPStatus: 400}, "The msg field is required."},
		{"message as a list", 422, `{"message":["The msg field is required.","The msisdn field is required."],"status":422}`,
			providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "422", HTTPStatus: 422}, "The msg field is required.: The msisdn field is required."},
		{"HTTP error with status 0 in the body", 500, `{"message":"oops","status":0}`,
			providertest.Outcome{Class: providers.Transient, Code: "500", HTTPStatus: 500}, "oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			se := sendErr(t, c, msg(textMsg))
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Message, tt.says) {
				t.Errorf("Message = %q, want it to say %q", se.Message, tt.says)
			}
		})
	}
}

// TestSendClassifiesBareStatuses covers answers not in Socnet's format: the
// HTTP status decides and Code is the status.
func TestSendClassifiesBareStatuses(t *testing.T) {
	t.Parallel()
	providertest.StatusClasses(t, sendText, []providertest.StatusCase{
		{Status: 400, Body: "Bad Request", Class: providers.Permanent},
		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 403, Body: "<html>Forbidden</html>", Class: providers.Account, Reason: providers.ReasonBalance},
		{Status: 404, Body: "<html><h1>Not Found</h1>The requested URL was not found on this server.</html>", Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 404, Body: `{"error":"not found"}`, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 301, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 405, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 408, Class: providers.Transient},
		{Status: 429, Body: "slow down", Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 418, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	providertest.RetryAfter(t, sendText, []providertest.RetryAfterCase{
		{Name: "seconds on 429", Status: 429, Body: general(429, "Too many requests"), RetryAfter: "7", Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "seconds on 503", Status: 503, Body: general(503, "Service unavailable"), RetryAfter: "120", Min: 2 * time.Minute, Max: 2 * time.Minute},
		{Name: "seconds on a 503 in the body of a 200", Status: 200, Body: general("503", "Service unavailable"), RetryAfter: "30", Min: 30 * time.Second, Max: 30 * time.Second},
		// An HTTP date has one-second resolution and the clock moves on
		// between writing and reading it: anything in (1m, 2m] is right.
		{Name: "HTTP date", Status: 429, Body: general(429, "Too many requests"), RetryAfter: time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat), Min: time.Minute + time.Nanosecond, Max: 2 * time.Minute},
		{Name: "date in the past", Status: 429, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", Min: 0, Max: 0},
		{Name: "absent", Status: 503, Min: 0, Max: 0},
		{Name: "garbage", Status: 429, RetryAfter: "soon", Min: 0, Max: 0},
	})
}

// TestSendMalformedSuccessIsAmbiguous: a 2xx Socnet sent but we cannot read
// may mean the message went out.
func TestSendMalformedSuccessIsAmbiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		says   string
	}{
		{"not JSON", 200, "<html>OK</html>", "not JSON"},
		{"empty", 200, "", "not JSON"},
		{"204", 204, "", "not JSON"},
		{"truncated JSON", 200, `{"sent":"true","messageId":"3EB0`, "not JSON"},
		{"authentication success", 200, `{"status":"valid"}`, "no message id"},
		{"an unknown word without an id", 200, `{"status":"submitted","message":"Request received"}`, "no message id"},
		{"status 2 without an id", 200, `{"status":2}`, "no message id"},
		{"no status, sent or id", 200, `{"unexpected":true}`, "no message id"},
		{"JSON array", 200, `[{"messageId":"3EB0"}]`, "not JSON"},
		{"empty messages", 200, `{"messaging_product":"whatsapp","messages":[]}`, "no message id"},
		{"message without id", 200, `{"messages":[{"id":"","message_status":"accepted"}]}`, "no message id"},
		{"messages of the wrong type", 200, `{"messages":"wamid.1"}`, "no message id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			se := sendErr(t, c, msg(textMsg))
			want := providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: fmt.Sprint(tt.status), HTTPStatus: tt.status, Ambiguous: true}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Message, tt.says) {
				t.Errorf("Message = %q, want it to say %q", se.Message, tt.says)
			}
		})
	}
}

// TestSendFailureWithIDIsAmbiguous: an answer that names a failure and a
// message id is contradictory; the failure decides the class, but the
// message may have gone out.
func TestSendFailureWithIDIsAmbiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
	}{
		{"503 with a channel 1 body", 503, channel1, providertest.Outcome{Class: providers.Transient, Code: "503", HTTPStatus: 503, Ambiguous: true}},
		{"status 500 beside an id", 200, `{"messages":[{"id":"wamid.9"}],"status":500,"message":"late failure"}`,
			providertest.Outcome{Class: providers.Transient, Code: "500", HTTPStatus: 200, Ambiguous: true}},
		{"sent false beside an id", 200, `{"sent":"false","messageId":"3EB0AE"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "not_sent", HTTPStatus: 200, Ambiguous: true}},
		{"status 1 beside an id", 200, `{"status":1,"messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "1", HTTPStatus: 200, Ambiguous: true}},
		{"status invalid beside an id", 200, `{"status":"invalid","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "invalid", HTTPStatus: 200, Ambiguous: true}},
		{"status failed beside an id", 200, `{"status":"Failed","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "failed", HTTPStatus: 200, Ambiguous: true}},
		{"status failure beside an id", 200, `{"status":"failure","messages":[{"id":"wamid.6"}]}`,
			providertest.Outcome{Class: providers.Permanent, Code: "failure", HTTPStatus: 200, Ambiguous: true}},
		{"status error beside an id", 200, `{"status":"error","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "error", HTTPStatus: 200, Ambiguous: true}},
		{"status false beside an id", 200, `{"status":false,"messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "false", HTTPStatus: 200, Ambiguous: true}},
		{"status 300 beside an id", 200, `{"status":300,"messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonConfig, Code: "300", HTTPStatus: 200, Ambiguous: true}},
		{"status 401 beside an id", 200, `{"status":"401","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "401", HTTPStatus: 200, Ambiguous: true}},
		{"status 403 beside an id", 200, `{"status":403,"messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Account, Reason: providers.ReasonBalance, Code: "403", HTTPStatus: 200, Ambiguous: true}},
		{"status 404 beside an id", 200, `{"status":404,"message":"Contact not found","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "404", HTTPStatus: 200, Ambiguous: true}},
		{"status 422 beside an id", 200, `{"status":422,"message":"The msg field is required.","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Permanent, Code: "422", HTTPStatus: 200, Ambiguous: true}},
		{"status 503 beside an id", 200, `{"status":"503","messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Transient, Code: "503", HTTPStatus: 200, Ambiguous: true}},
		{"HTTP 500, status 200 beside an id", 500, `{"status":200,"messageId":"3EB0"}`,
			providertest.Outcome{Class: providers.Transient, Code: "500", HTTPStatus: 500, Ambiguous: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
			se := sendErr(t, c, msg(textMsg))
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

// TestSendErrorsNeverCarryTheKey: the key travels in the request body, and a
// PHP API may echo it back; no error may show it, whole or cut.
func TestSendErrorsNeverCarryTheKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) // providers.Snippet cuts at 200 bytes: mid-key
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"401 message", 401, general(401, "Invalid user credentials for api_key "+testKey)},
		{"422 message", 422, general(422, "The api_key field must be 32 characters, got "+testKey+"x")},
		{"message list", 400, `{"message":["bad request","api_key=` + testKey + `"],"status":400}`},
		{"long text cut at the key", 403, general(403, long+testKey)},
		{"request echoed in data", 422, `{"data":{"api_key":"` + testKey + `"},"message":"The msg field is required. api_key=` + testKey + `","status":422}`},
		{"plain text body", 500, "Fatal error: api.php line 12 api_key=" + testKey},
		{"long plain text body", 503, long + testKey},
		{"non-JSON 200", 200, "accepted for " + testKey},
		{"JSON 200 without id", 200, `{"result":"queued","echo":{"api_key":"` + testKey + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, socnet.Config{URL: endpoint(f)})
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
