package meta_test

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
)

var textMsg = message.Content{Text: &message.Text{Body: "Habari"}}

func TestSendClassifiesErrors(t *testing.T) {
	t.Parallel()
	const (
		P = providers.Permanent
		T = providers.Transient
		A = providers.Account
	)
	tests := []struct {
		status int
		code   any // the body's code, a number or a string
		class  providers.Class
		reason providers.Reason
	}{
		// Throttling.
		{400, 4, T, providers.ReasonThrottled},
		{400, 17, T, providers.ReasonThrottled},
		{400, 32, T, providers.ReasonThrottled},
		{400, 613, T, providers.ReasonThrottled},
		{400, 80007, T, providers.ReasonThrottled},
		{400, 130429, T, providers.ReasonThrottled},
		{400, "130429", T, providers.ReasonThrottled},
		{400, 131056, T, providers.ReasonThrottled},
		{400, 133016, T, providers.ReasonThrottled},
		// Meta-side trouble.
		{400, 1, T, providers.ReasonNone},
		{503, 2, T, providers.ReasonNone},
		{500, 131000, T, providers.ReasonNone},
		{503, 131016, T, providers.ReasonNone},
		{500, 131057, T, providers.ReasonNone},
		{503, 133004, T, providers.ReasonNone},
		// Window.
		{400, 131047, P, providers.ReasonWindowClosed},
		{200, 131047, P, providers.ReasonWindowClosed},
		// Integrity.
		{400, 131048, A, providers.ReasonBlocked},
		{403, 368, A, providers.ReasonBlocked},
		{403, 131031, A, providers.ReasonBlocked},
		{400, 131064, A, providers.ReasonBlocked},
		{403, 130497, P, providers.ReasonBlocked},
		// Credentials.
		{401, 0, A, providers.ReasonAuth},
		{500, 3, A, providers.ReasonAuth},
		{403, 10, A, providers.ReasonAuth},
		{401, 190, A, providers.ReasonAuth},
		{400, 190, A, providers.ReasonAuth},
		{403, 200, A, providers.ReasonAuth},
		{403, 299, A, providers.ReasonAuth},
		{403, 131005, A, providers.ReasonAuth},
		// Payment and configuration.
		{400, 131042, A, providers.ReasonBalance},
		{400, 33, A, providers.ReasonConfig},
		{400, 131037, A, providers.ReasonConfig},
		{500, 131045, A, providers.ReasonConfig},
		{400, 133010, A, providers.ReasonConfig},
		{405, 131055, A, providers.ReasonConfig},
		// This message or recipient.
		{400, 131026, P, providers.ReasonInvalidRecipient},
		{400, 131021, P, providers.ReasonInvalidRecipient},
		{400, 131030, P, providers.ReasonInvalidRecipient},
		{400, 131051, P, providers.ReasonUnsupported},
		{400, 131052, P, providers.ReasonMedia},
		{400, 131053, T, providers.ReasonMedia},
		{400, 132000, P, providers.ReasonTemplate},
		{404, 132001, P, providers.ReasonTemplate},
		{400, 132005, P, providers.ReasonTemplate},
		{400, 132007, P, providers.ReasonTemplate},
		{400, 132012, P, providers.ReasonTemplate},
		{400, 132015, P, providers.ReasonTemplate},
		{400, 132016, P, providers.ReasonTemplate},
		{400, 100, P, providers.ReasonNone},
		{400, 131008, P, providers.ReasonNone},
		{400, 131009, P, providers.ReasonNone},
		{400, 130472, P, providers.ReasonNone},
		{400, 131049, P, providers.ReasonNone},
		{400, 131050, P, providers.ReasonNone},
		{400, 135000, P, providers.ReasonNone},
		// Unknown codes: the HTTP status decides.
		{400, 139999, P, providers.ReasonNone},
		{500, 139999, T, providers.ReasonNone},
		{429, 139999, T, providers.ReasonThrottled},
		{403, 139999, A, providers.ReasonAuth},
		{200, 139999, P, providers.ReasonNone},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v under %d", tt.code, tt.status), func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, graphError(tt.code, "(#"+fmt.Sprint(tt.code)+") Meta's title", "Meta's details")))
			se := sendErr(t, clientFor(t, f), msg(textMsg))
			want := providertest.Outcome{Class: tt.class, Reason: tt.reason, Code: fmt.Sprint(tt.code), HTTPStatus: tt.status}
			if diff := cmp.Diff(want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			for _, w := range []string{"Meta's title", "Meta's details", "fbtrace_id AazLKqW9Rp0CEZYOcdIw6Jd"} {
				if !strings.Contains(se.Message, w) {
					t.Errorf("Message = %q, want it to carry %q", se.Message, w)
				}
			}
		})
	}
}

// TestSendClassifiesGraphVariants covers the less usual error bodies.
func TestSendClassifiesGraphVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   providertest.Outcome
		text   string // in Message
	}{
		{
			name:   "100 with subcode 33: wrong phone number id",
			status: 400,
			body:   `{"error":{"message":"Unsupported post request. Object with ID '1' does not exist","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"x"}}`,
			want:   providertest.Outcome{Class: providers.Account, Reason: providers.ReasonConfig, Code: "100", HTTPStatus: 400},
			text:   "[subcode 33]",
		},
		{
			name:   "100 with another subcode",
			status: 400,
			body:   `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_subcode":2494010}}`,
			want:   providertest.Outcome{Class: providers.Permanent, Code: "100", HTTPStatus: 400},
			text:   "(#100) Invalid parameter [subcode 2494010]",
		},
		{
			name:   "190 with subcode 463 (expired session)",
			status: 401,
			body:   `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`,
			want:   providertest.Outcome{Class: providers.Account, Reason: providers.ReasonAuth, Code: "190", HTTPStatus: 401},
			text:   "Session has expired",
		},
		{
			name:   "unknown code marked is_transient",
			status: 400,
			body:   `{"error":{"message":"Please retry","type":"OAuthException","code":139998,"is_transient":true}}`,
			want:   providertest.Outcome{Class: providers.Transient, Code: "139998", HTTPStatus: 400},
			text:   "Please retry",
		},
		{
			name:   "is_transient does not override a documented code",
			status: 400,
			body:   `{"error":{"message":"Re-engagement message","code":131047,"is_transient":true}}`,
			want:   providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047", HTTPStatus: 400},
		},
		{
			name:   "user title and message",
			status: 400,
			body:   `{"error":{"message":"Invalid parameter","code":100,"error_user_title":"Bad number","error_user_msg":"The number is not valid"}}`,
			want:   providertest.Outcome{Class: providers.Permanent, Code: "100", HTTPStatus: 400},
			text:   "Invalid parameter: Bad number: The number is not valid",
		},
		{
			name:   "error as a bare string from a proxy",
			status: 502,
			body:   `{"error":"upstream timed out"}`,
			want:   providertest.Outcome{Class: providers.Transient, Code: "502", HTTPStatus: 502},
			text:   "upstream timed out",
		},
		{
			name:   "error_data as a string",
			status: 400,
			body:   `{"error":{"message":"(#131026) Message Undeliverable","code":131026,"error_data":"oops"}}`,
			want:   providertest.Outcome{Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "131026", HTTPStatus: 400},
			text:   "Message Undeliverable",
		},
		{
			name:   "error inside a 200",
			status: 200,
			body:   `{"error":{"message":"(#131048) Spam rate limit hit","code":131048}}`,
			want:   providertest.Outcome{Class: providers.Account, Reason: providers.ReasonBlocked, Code: "131048", HTTPStatus: 200},
		},
		{
			name:   "error and a message id in a 200: the error wins, but it may have gone out",
			status: 200,
			body:   `{"messages":[{"id":"wamid.9"}],"error":{"message":"Service unavailable","code":131016}}`,
			want:   providertest.Outcome{Class: providers.Transient, Code: "131016", HTTPStatus: 200, Ambiguous: true},
		},
		{
			name:   "no error object under 400",
			status: 400,
			body:   `{"message":"bad"}`,
			want:   providertest.Outcome{Class: providers.Permanent, Code: "400", HTTPStatus: 400},
			text:   `{"message":"bad"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			se := sendErr(t, clientFor(t, f), msg(textMsg))
			if diff := cmp.Diff(tt.want, providertest.OutcomeOf(se)); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", se, diff)
			}
			if !strings.Contains(se.Message, tt.text) {
				t.Errorf("Message = %q, want it to carry %q", se.Message, tt.text)
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
		{Status: 302, Class: providers.Account, Reason: providers.ReasonConfig},
		{Status: 408, Class: providers.Transient},
		{Status: 429, Body: `{"message":"slow down"}`, Class: providers.Transient, Reason: providers.ReasonThrottled},
		{Status: 500, Body: `{"error":null}`, Class: providers.Transient},
		{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", Class: providers.Transient},
		{Status: 503, Body: "upstream connect error", Class: providers.Transient},
		{Status: 504, Class: providers.Transient},
		{Status: 418, Class: providers.Permanent},
	})
}

func TestSendRetryAfter(t *testing.T) {
	t.Parallel()
	usage := func(minutes string) string {
		return `{"102290129340398":[{"type":"whatsapp","call_count":100,"total_cputime":12,"total_time":30,"estimated_time_to_regain_access":` + minutes + `}]}`
	}
	// Every case is Meta's rate-limit error, which is transient and
	// throttled whatever the headers say.
	throttled := graphError(80007, "(#80007) Rate limit issues", "WABA rate limit")
	const limit = providers.ReasonThrottled
	providertest.RetryAfter(t, sendText, []providertest.RetryAfterCase{
		{Name: "Retry-After seconds", Status: 400, Body: throttled, Reason: limit, RetryAfter: "7", Min: 7 * time.Second, Max: 7 * time.Second},
		// An HTTP date has one-second resolution and the clock moves on
		// between writing and reading it: anything in (1m, 2m] is right.
		{Name: "Retry-After HTTP date", Status: 400, Body: throttled, Reason: limit, RetryAfter: time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat),
			Min: time.Minute + time.Nanosecond, Max: 2 * time.Minute},
		{Name: "X-Business-Use-Case-Usage minutes", Status: 400, Body: throttled, Reason: limit, Header: []string{"X-Business-Use-Case-Usage", usage("5")},
			Min: 5 * time.Minute, Max: 5 * time.Minute},
		{Name: "the longest estimate wins", Status: 400, Body: throttled, Reason: limit, Header: []string{"X-Business-Use-Case-Usage",
			`{"1":[{"type":"whatsapp","estimated_time_to_regain_access":2}],"2":[{"type":"whatsapp","estimated_time_to_regain_access":9},{"estimated_time_to_regain_access":0}]}`},
			Min: 9 * time.Minute, Max: 9 * time.Minute},
		{Name: "Retry-After wins over the usage header", Status: 400, Body: throttled, Reason: limit, RetryAfter: "7", Header: []string{"X-Business-Use-Case-Usage", usage("5")},
			Min: 7 * time.Second, Max: 7 * time.Second},
		{Name: "usage estimate of zero", Status: 400, Body: throttled, Reason: limit, Header: []string{"X-Business-Use-Case-Usage", usage("0")}, Min: 0, Max: 0},
		{Name: "unreadable usage header", Status: 400, Body: throttled, Reason: limit, Header: []string{"X-Business-Use-Case-Usage", "{"}, Min: 0, Max: 0},
		{Name: "Retry-After in the past", Status: 400, Body: throttled, Reason: limit, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", Min: 0, Max: 0},
		{Name: "absent", Status: 400, Body: throttled, Reason: limit, Min: 0, Max: 0},
		{Name: "garbage", Status: 400, Body: throttled, Reason: limit, RetryAfter: "soon", Min: 0, Max: 0},
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
		{"documented answer", 200, okBody, testWamid},
		{"template pacing message_status", 200, okBodyPacing, testWamid},
		{"201", 201, `{"messages":[{"id":"wamid.1"}]}`, "wamid.1"},
		{"messages as an object", 200, `{"messaging_product":"whatsapp","messages":{"id":"wamid.2"}}`, "wamid.2"},
		{"error null beside the id", 200, `{"messages":[{"id":"wamid.3"}],"error":null}`, "wamid.3"},
		{"first non-empty id", 200, `{"messages":[{"id":" "},{"id":"wamid.4"}]}`, "wamid.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			r, err := clientFor(t, f).Send(context.Background(), msg(textMsg))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if diff := cmp.Diff(providers.Receipt{ProviderMessageID: tt.want, Status: message.Accepted}, r); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendMalformedSuccessIsAmbiguous: a 2xx Meta sent but we cannot read
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
		{"no messages", 200, `{"messaging_product":"whatsapp","contacts":[{"input":"+255712345678","wa_id":"255712345678"}]}`},
		{"empty messages", 200, `{"messages":[]}`},
		{"message without id", 200, `{"messages":[{"message_status":"accepted"}]}`},
		{"messages of the wrong type", 200, `{"messages":"wamid.1"}`},
		{"truncated JSON", 200, `{"messages":[{"id":"wamid.1"}`},
		{"JSON array", 200, `[{"id":"wamid.1"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			se := sendErr(t, clientFor(t, f), msg(textMsg))
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
		{"message", 401, graphError(190, "Invalid OAuth access token - Cannot parse access token "+testToken, "")},
		{"details", 400, graphError(100, "(#100) Invalid parameter", "access_token="+testToken)},
		{"app secret in details", 400, graphError(100, "(#100) Invalid parameter", "appsecret_proof for "+testSecret)},
		{"long message cut at the token", 401, graphError(190, long+testToken, "")},
		{"plain text body", 500, "upstream rejected Bearer " + testToken},
		{"long plain text body", 500, long + testToken},
		{"non-JSON 200", 200, "accepted for " + testToken},
		{"JSON 200 without id", 200, `{"echo":"` + testToken + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := providertest.NewFake(t, providertest.Respond(tt.status, tt.body))
			c := newClientWithSecret(t, f)
			se := sendErr(t, c, msg(textMsg))
			if containsSecret(se.Error()) {
				t.Errorf("error text carries a secret: %q", se.Error())
			}
			if !strings.Contains(se.Error(), "[redacted]") && !strings.Contains(se.Error(), "…") {
				t.Errorf("error text %q shows neither a redaction nor a cut", se.Error())
			}
		})
	}
}
