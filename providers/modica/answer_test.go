package modica_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestSendReadsSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"201 bare array of one number (documented)", 201, `[1234567]`, "1234567"},
		{"200 bare array", 200, `[1234567]`, "1234567"},
		{"202", 202, `[1234567]`, "1234567"},
		{"64-bit id", 201, `[9007199254740993]`, "9007199254740993"},
		{"number written as a float", 201, `[1.234567e6]`, "1234567"},
		{"array of a string", 201, `["1234567"]`, "1234567"},
		{"array of objects (the WhatsApp API's shape)", 202, `[{"id":"b95fc11e-37f0-4770-a082-6ea22d4c4d12","status":"accepted","reference":""}]`, "b95fc11e-37f0-4770-a082-6ea22d4c4d12"},
		{"array of objects, numeric id", 201, `[{"id":1234567}]`, "1234567"},
		{"object", 201, `{"id":1234567,"destination":"+64211234567"}`, "1234567"},
		{"object with a capitalised Id", 201, `{"Id":"1234567"}`, "1234567"},
		{"bare number", 201, `1234567`, "1234567"},
		{"bare string", 201, `"1234567"`, "1234567"},
		{"object whose status is a word", 201, `{"id":"1234567","status":"accepted"}`, "1234567"},
		{"surrounding white space", 201, " \n[1234567]\n ", "1234567"},
		// The seed documents no send API: a fake will invent its success.
		{"messages array (the Cloud API's shape)", 200, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.HBgL","message_status":"accepted"}]}`, "wamid.HBgL"},
		{"messages object", 202, `{"messages":{"id":1234567,"status":"accepted"}}`, "1234567"},
		{"message_id", 201, `{"message_id":1234567,"status":"queued"}`, "1234567"},
		{"messageId", 201, `{"messageId":"1234567"}`, "1234567"},
		{"MessageID in another case", 201, `{"MessageID":"1234567"}`, "1234567"},
		{"data object", 201, `{"data":{"id":1234567,"destination":"+64211234567"}}`, "1234567"},
		{"data array", 201, `{"data":[{"id":"1234567"}],"status":201}`, "1234567"},
		{"data object with message_id", 201, `{"data":{"message_id":"1234567"}}`, "1234567"},
		{"data under success", 200, `{"success":true,"data":{"messages":[{"id":"1234567"}]}}`, "1234567"},
		{"id wins over the rest", 201, `{"id":"1","messages":[{"id":"2"}]}`, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			r, err := c.Send(context.Background(), textMsg("hi"))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: tt.want, Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendMalformedSuccessIsAmbiguous: a 2xx Modica sent but we cannot read
// may mean the message was queued.
func TestSendMalformedSuccessIsAmbiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"not JSON", 201, "<html>Created</html>"},
		{"empty", 201, ""},
		{"204", 204, ""},
		{"empty array", 201, `[]`},
		{"array of null", 201, `[null]`},
		{"object without id", 201, `{"destination":"+64211234567"}`},
		{"empty string id", 201, `[""]`},
		{"boolean", 200, `true`},
		{"truncated JSON", 201, `[1234567`},
		{"two JSON values", 201, `[1][2]`},
		{"id of the wrong type", 201, `{"id":{"value":1}}`},
		{"messages without an id", 200, `{"messages":[{"message_status":"accepted"}]}`},
		{"empty messages", 200, `{"messages":[]}`},
		{"data null", 201, `{"data":null,"message":"Created"}`},
		{"data without an id", 201, `{"data":{"destination":"+64211234567"}}`},
		{"an id only under an unknown member", 201, `{"result":{"id":1234567}}`},
		{"data as prose", 201, `{"data":"Created"}`},
		{"messages as prose", 201, `{"messages":["Message queued"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			se := sendErr(t, c, textMsg("hi"))
			want := providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: fmt.Sprint(tt.status), HTTPStatus: tt.status, Ambiguous: true}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	const (
		P = providers.Permanent
		T = providers.Transient
		A = providers.Account
	)
	gw := func(code, desc string) string { return `{"error":"` + code + `","error-desc":"` + desc + `"}` }
	out := func(c providers.Class, r providers.Reason, code string, status int, ambiguous bool) providertest.Outcome {
		return providertest.Outcome{Class: c, Reason: r, Code: code, HTTPStatus: status, Ambiguous: ambiguous}
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
		words  string // in Message
	}{
		// The Mobile Gateway's documented error codes.
		{"send_failed", 500, gw("send_failed", "Could not queue message due to an unknown error"),
			out(T, providers.ReasonNone, "send_failed", 500, false), "Could not queue message"},
		{"send_failed under 400", 400, gw("send_failed", "Could not queue message due to an unknown error"),
			out(T, providers.ReasonNone, "send_failed", 400, false), "Could not queue message"},
		{"invalid_json", 400, gw("invalid_json", "Invalid JSON data in the request body"),
			out(P, providers.ReasonNone, "invalid_json", 400, false), "Invalid JSON"},
		{"missing_attrib", 400, gw("missing_attrib", "Missing a required attribute: destination"),
			out(P, providers.ReasonNone, "missing_attrib", 400, false), "Missing a required attribute"},
		{"invalid_attrib destination", 400, gw("invalid_attrib", "Invalid attribute value: Destination must be in international format"),
			out(P, providers.ReasonInvalidRecipient, "invalid_attrib", 400, false), "international format"},
		{"invalid_attrib content", 400, gw("invalid_attrib", "Invalid attribute value: content"),
			out(P, providers.ReasonNone, "invalid_attrib", 400, false), "content"},
		{"invalid_attrib with error_description", 400, `{"error":"invalid_attrib","error_description":"invalid destination"}`,
			out(P, providers.ReasonInvalidRecipient, "invalid_attrib", 400, false), "invalid destination"},
		{"broadcast_limit falls to its status", 400, gw("broadcast_limit", "Broadcast limit has been exceeded"),
			out(P, providers.ReasonNone, "broadcast_limit", 400, false), "Broadcast limit"},
		{"scheduled timestamp 422", 422, `{"status":422,"message":"Invalid scheduled timestamp (must not be in the past)"}`,
			out(P, providers.ReasonNone, "422", 422, false), "must not be in the past"},

		// The framework's {"status", "message"} shape.
		{"401", 401, `{"status": 401, "message": "Unauthorized"}`, out(A, providers.ReasonAuth, "401", 401, false), "Unauthorized"},
		{"403", 403, `{"status": 403, "message": "Forbidden"}`, out(A, providers.ReasonAuth, "403", 403, false), "Forbidden"},
		{"402", 402, `{"status": 402, "message": "Payment Required"}`, out(A, providers.ReasonBalance, "402", 402, false), "Payment Required"},
		{"404", 404, `{"status": 404, "message": "Not Found. You have requested this URI [/rest/gateway/mesages]"}`,
			out(A, providers.ReasonConfig, "404", 404, false), "Not Found"},
		{"405", 405, `{"status": 405, "message": "Method Not Allowed"}`, out(A, providers.ReasonConfig, "405", 405, false), "Method Not Allowed"},
		{"429", 429, `{"status": 429, "message": "Too Many Requests"}`, out(T, providers.ReasonThrottled, "429", 429, false), "Too Many"},
		{"500", 500, `{"status": 500, "message": "Internal Server Error"}`, out(T, providers.ReasonNone, "500", 500, false), "Internal"},
		{"status as a string", 401, `{"status": "401", "message": "Unauthorized"}`, out(A, providers.ReasonAuth, "401", 401, false), "Unauthorized"},

		// The WhatsApp API's shape, and WhatsApp codes passed through.
		{"statusCode with prose in error", 400, `{"error":"bad request error message","message":"Whatsapp Cloud API error","statusCode":400}`,
			out(P, providers.ReasonNone, "400", 400, false), "bad request error message: Whatsapp Cloud API error"},
		{"131047 quoted", 400, `{"error":"(#131047) Re-engagement message","message":"Whatsapp Cloud API error","statusCode":400}`,
			out(P, providers.ReasonWindowClosed, "400", 400, false), "Re-engagement"},
		{"131047 in a gateway error", 400, gw("send_failed", "(#131047) Re-engagement message"),
			out(P, providers.ReasonWindowClosed, "send_failed", 400, false), "Re-engagement"},
		{"131047 as a code", 400, `{"errors":[{"field":"","code":131047,"description":"Re-engagement message"}]}`,
			out(P, providers.ReasonWindowClosed, "131047", 400, false), "Re-engagement"},
		{"130429 throughput", 400, `{"error":"(#130429) Rate limit hit","statusCode":400}`,
			out(T, providers.ReasonThrottled, "400", 400, false), "Rate limit"},
		{"131056 pair rate limit", 400, `{"error":"(#131056) (Business Account, Consumer Account) pair rate limit hit","statusCode":400}`,
			out(T, providers.ReasonThrottled, "400", 400, false), "pair rate limit"},
		{"131026 undeliverable", 400, `{"error":"(#131026) Message Undeliverable","statusCode":400}`,
			out(P, providers.ReasonInvalidRecipient, "400", 400, false), "Undeliverable"},
		{"368 policy block", 400, `{"error":"(#368) Temporarily blocked for policies violations","statusCode":400}`,
			out(A, providers.ReasonBlocked, "400", 400, false), "blocked"},
		{"131031 account locked", 400, `{"error":"(#131031) Account has been locked","statusCode":400}`,
			out(A, providers.ReasonBlocked, "400", 400, false), "locked"},
		{"131042 payment issue", 400, `{"error":"(#131042) Business eligibility payment issue","statusCode":400}`,
			out(A, providers.ReasonBalance, "400", 400, false), "payment"},
		{"422 errors array", 422, `{"errors":[{"field":"destination","code":"","description":"Unprocessable Entity"}]}`,
			out(P, providers.ReasonNone, "422", 422, false), "Unprocessable Entity: field destination"},

		// Errors inside a 2xx.
		{"error in a 200", 200, gw("invalid_attrib", "Invalid attribute value: destination"),
			out(P, providers.ReasonInvalidRecipient, "invalid_attrib", 200, false), "destination"},
		{"send_failed in a 201", 201, gw("send_failed", "Could not queue message due to an unknown error"),
			out(T, providers.ReasonNone, "send_failed", 201, false), "Could not queue"},
		{"status 401 in a 200", 200, `{"status": 401, "message": "Unauthorized"}`, out(A, providers.ReasonAuth, "401", 200, false), "Unauthorized"},
		{"unknown code in a 200", 200, gw("content_blocked", "Blocked"), out(P, providers.ReasonNone, "content_blocked", 200, false), "Blocked"},
		{"error and an id in a 201", 201, `{"id":1234567,"error":"send_failed","error-desc":"queue full"}`,
			out(T, providers.ReasonNone, "send_failed", 201, true), "queue full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			se := sendErr(t, c, textMsg("hi"))
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Message, tt.words) {
				t.Errorf("Message = %q, want the provider's words %q", se.Message, tt.words)
			}
		})
	}
}

// TestSendClassifiesBareStatuses covers answers with no readable code: the
// HTTP status decides and Code is the status.
func TestSendClassifiesBareStatuses(t *testing.T) {
	t.Parallel()
	providertest.StatusClasses(t, sendText, []providertest.StatusCase{
		{Status: 400, Body: "Bad Request", Class: providers.Permanent},
		{Status: 401, Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 403, Body: "<html>Forbidden</html>", Class: providers.Account, Reason: providers.ReasonAuth},
		{Status: 404, Body: "404 page not found", Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 301, Class: providers.Account, Reason: providers.ReasonConfig}, // plain HTTP redirected to HTTPS
		{Status: 408, Class: providers.Transient},
		{Status: 429, Body: "slow down", Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Body: `{"unexpected":true}`, Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 418, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	const throttled = `{"status":429,"message":"Too Many Requests"}`
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

// containsSecret reports whether s holds the password or the Basic
// credential, or a piece of either.
func containsSecret(s string) bool {
	return providertest.Leaks(s, testPass, base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
}

func TestSendErrorsNeverCarryTheCredential(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) // providers.Snippet cuts at 200 bytes: mid-password
	basic := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"error-desc", 401, `{"error":"unauthorized","error-desc":"bad password ` + testPass + `"}`},
		{"message", 401, `{"status":401,"message":"Unauthorized: ` + testUser + `:` + testPass + `"}`},
		{"echoed Authorization header", 400, `{"error":"invalid_attrib","error-desc":"Authorization: Basic ` + basic + `"}`},
		{"password in a form echo", 400, `{"error":"invalid_attrib","error-desc":"password=` + testPass + `"}`},
		{"long text cut at the password", 401, `{"status":401,"message":"` + long + testPass + `"}`},
		{"plain text body", 500, "upstream rejected " + testPass},
		{"long plain text body", 500, long + testPass},
		{"non-JSON 201", 201, "queued for " + testPass},
		{"JSON 201 without id", 201, `{"echo":"` + testPass + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, modica.Config{BaseURL: f.URL})
			se := sendErr(t, c, textMsg("hi"))
			if containsSecret(se.Error()) {
				t.Errorf("error text carries the credential: %q", se.Error())
			}
			if !strings.Contains(se.Error(), "[redacted]") && !strings.Contains(se.Error(), "…") {
				t.Errorf("error text %q shows neither a redaction nor a cut", se.Error())
			}
		})
	}
}
