package tujenge_test

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
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

var textMsg = message.Content{Text: &message.Text{Body: "Habari"}}

// onPremError is the on-premises error shape.
func onPremError(code any, title string) string {
	b, _ := json.Marshal(map[string]any{
		"errors": []any{map[string]any{"code": code, "title": title, "details": "see the Tujenge FAQ"}},
		"meta":   map[string]any{"api_status": "stable", "version": "2.41.3"},
	})
	return string(b)
}

// gatewayError is the gateway's error shape.
func gatewayError(code any, message string) string {
	b, _ := json.Marshal(map[string]any{"meta": map[string]any{
		"success": false, "http_code": code, "developer_message": message, "details": []string{"see the Tujenge FAQ"},
	}})
	return string(b)
}

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
		code   any // the body's code, a number or a string
		text   string
		class  providers.Class
		reason providers.Reason
	}{
		{"400 bad request", 400, 400, "Bad Request", P, providers.ReasonNone},
		{"408 pending too long", 408, 408, "Message failed to send because it was pending for too long", T, providers.ReasonNone},
		{"code 408 under HTTP 400", 400, 408, "Message failed to send because it was pending for too long", T, providers.ReasonNone},
		{"429", 429, 429, "Too many requests", T, providers.ReasonThrottled},
		{"1015 too many requests", 429, 1015, "Too many requests", T, providers.ReasonThrottled},
		{"1016 system overloaded", 503, 1016, "System overloaded", T, providers.ReasonNone},
		{"1011 service not ready", 503, 1011, "Service not ready", T, providers.ReasonNone},
		{"500", 500, 500, "Internal server error", T, providers.ReasonNone},
		{"502", 502, 502, "Bad gateway", T, providers.ReasonNone},
		{"503", 503, 503, "Service unavailable", T, providers.ReasonNone},
		{"504", 504, 504, "Gateway timeout", T, providers.ReasonNone},
		{"470 window closed", 400, 470, "Message failed to send because more than 24 hours have passed since the customer last replied to this number", P, providers.ReasonWindowClosed},
		{"470 as a string", 400, "470", "Re-engagement message", P, providers.ReasonWindowClosed},
		{"1000 unsupported MIME", 400, 1000, "Image file format (audio/mpeg) is not supported", P, providers.ReasonMedia},
		{"1000 under HTTP 500", 500, 1000, "Failed to generate processed file path", P, providers.ReasonMedia},
		{"1014 media fetch failed", 400, 1014, "Request for https://cdn.example/a.jpg failed", P, providers.ReasonMedia},
		{"1009 invalid latitude", 400, 1009, "Invalid latitude", P, providers.ReasonNone},
		{"2001 template missing", 404, 2001, "Template name does not exist in the translation", P, providers.ReasonTemplate},
		{"2060 other template code", 400, 2060, "Template format mismatch", P, providers.ReasonTemplate},
		{"500 structure unavailable", 500, 500, "structure unavailable: Client could not display highly structured message", P, providers.ReasonTemplate},
		{"1013 user not valid", 400, 1013, "User is not valid", P, providers.ReasonInvalidRecipient},
		{"1026 receiver incapable", 400, 1026, "Receiver Incapable", P, providers.ReasonInvalidRecipient},
		{"401", 401, 401, "Unauthorized", A, providers.ReasonAuth},
		{"403", 403, 403, "Forbidden", A, providers.ReasonAuth},
		{"1005 access denied", 403, 1005, "Access denied", A, providers.ReasonAuth},
		{"471 spam rate limit", 400, 471, "Spam rate limit hit", A, providers.ReasonBlocked},
		{"1031 sender locked", 403, 1031, "Account has been locked", A, providers.ReasonBlocked},
		{"unknown 4xx", 409, 409, "Conflict", P, providers.ReasonNone},
		{"wrong endpoint", 404, 404, "Not found", providers.Account, providers.ReasonConfig},
		{"unknown code under 4xx", 422, 1099, "Something new", P, providers.ReasonNone},
		{"unknown 5xx", 507, 507, "Insufficient storage", T, providers.ReasonNone},
		{"unknown code under 5xx", 500, 1099, "Something new", T, providers.ReasonNone},
		{"470 in a 200", 200, 470, "Re-engagement message", P, providers.ReasonWindowClosed},
		{"structure unavailable in a 200", 200, 500, "structure unavailable: Client could not display highly structured message", P, providers.ReasonTemplate},
	}
	shapes := map[string]func(code any, text string) string{"on-prem": onPremError, "gateway": gatewayError}
	for _, tt := range tests {
		for shape, body := range shapes {
			t.Run(shape+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				f := providertest.NewFake(t, providertest.Respond(tt.status, body(tt.code, tt.text)))
				c := newClient(t, tujenge.Config{BaseURL: f.URL})
				se := sendErr(t, c, msg(textMsg))
				want := providertest.Outcome{Class: tt.class, Reason: tt.reason, Code: fmt.Sprint(tt.code), HTTPStatus: tt.status}
				if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
					t.Errorf("error %q (-want +got):\n%s", se, diff)
				}
				if !strings.Contains(se.Message, tt.text) || !strings.Contains(se.Message, "see the Tujenge FAQ") {
					t.Errorf("Message = %q, want the provider's words %q and details", se.Message, tt.text)
				}
			})
		}
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
		{Status: 302, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 408, Class: providers.Transient},
		{Status: 429, Body: `{"message":"slow down"}`, Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Body: "upstream connect error", Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 599, Class: providers.Transient},
		{Status: 418, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	throttled := onPremError(1015, "Too many requests")
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
		want   string
	}{
		{"200 array", 200, okBody, "gBEGkYiEB1VXAglK1ZEqA1YKPrU"},
		{"201 array", 201, `{"messages":[{"id":"gBEG1"}]}`, "gBEG1"},
		{"messages as an object", 200, `{"messages":{"id":"gBEG2"},"meta":{"api_status":"stable"}}`, "gBEG2"},
		{"meta.success true", 200, `{"messages":[{"id":"gBEG3"}],"meta":{"success":true,"http_code":200}}`, "gBEG3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
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

// TestSendMalformedSuccessIsAmbiguous: a 2xx Tujenge sent but we cannot read
// may mean the message went out.
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
		{"no messages", 200, `{"meta":{"api_status":"stable","version":"2.41.3"}}`},
		{"empty messages", 201, `{"messages":[]}`},
		{"message without id", 200, `{"messages":[{"id":""}]}`},
		{"messages of the wrong type", 200, `{"messages":"gBEG1"}`},
		{"truncated JSON", 200, `{"messages":[{"id":"gBEG1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
			se := sendErr(t, c, msg(textMsg))
			want := providertest.Outcome{Class: providers.Transient, Reason: providers.ReasonMalformed, Code: fmt.Sprint(tt.status), HTTPStatus: tt.status, Ambiguous: true}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
		})
	}
}

// TestSendErrorsInSuccessWithID: an answer that names an error and a message
// id is contradictory; the error wins but the message may have gone out.
func TestSendErrorsInSuccessWithID(t *testing.T) {
	t.Parallel()
	body := `{"messages":[{"id":"gBEG9"}],"errors":[{"code":1016,"title":"System overloaded"}]}`
	f := providertest.NewFake(t, providertest.Respond(http.StatusOK, body))
	c := newClient(t, tujenge.Config{BaseURL: f.URL})
	se := sendErr(t, c, msg(textMsg))
	want := providertest.Outcome{Class: providers.Transient, Code: "1016", HTTPStatus: 200, Ambiguous: true}
	if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
		t.Errorf("error %q (-want +got):\n%s", se, diff)
	}
}

func TestSendErrorsNeverCarryTheKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 190) // providers.Snippet cuts at 200 bytes: mid-key
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"on-prem title", 401, onPremError(1005, "Access denied for key "+testKey)},
		{"on-prem details", 400, `{"errors":[{"code":1009,"title":"Invalid parameter","details":"WA-API-KEY: ` + testKey + `"}]}`},
		{"gateway developer_message", 401, gatewayError(401, "Invalid WA-API-KEY "+testKey)},
		{"gateway details", 403, `{"meta":{"success":false,"http_code":403,"developer_message":"Forbidden","details":["key=` + testKey + `"]}}`},
		{"long text cut at the key", 401, gatewayError(401, long+testKey)},
		{"plain text body", 500, "upstream rejected WA-API-KEY=" + testKey},
		{"long plain text body", 500, long + testKey},
		{"non-JSON 200", 200, "accepted for " + testKey},
		{"JSON 200 without id", 200, `{"meta":{"echo":"` + testKey + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClient(t, tujenge.Config{BaseURL: f.URL})
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
