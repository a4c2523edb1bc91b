package decisiontelecom_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/decisiontelecom"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) { providertest.FuzzCallbacks(f, harness(f)) }

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	const (
		T = providers.Transient
		P = providers.Permanent
		A = providers.Account
	)
	reply := func(status int, body string) providertest.Reply {
		return providertest.Reply{Status: status, Body: body}
	}
	internal := "The server encountered an unexpected condition which prevented it from fulfilling the request"
	window := "Message failed to send because more than 24 hours have passed since the customer last replied to this number. In this case, you can only send a template message"
	invalidParam := "Empty parameter or parameter validation error"
	status := func(id string, s message.Status, word string) providers.Event {
		ev := providers.Event{Kind: providers.EventStatus, ProviderMessageID: id, Status: s, ProviderStatus: word}
		if s == message.Failed {
			ev.ErrorCode = word
		}
		return ev
	}
	c := newClient(t, decisiontelecom.Config{})

	return providertest.Harness{
		New: func(t *testing.T, baseURL string) providers.Provider {
			return newClient(t, decisiontelecom.Config{BaseURL: baseURL})
		},
		Secret:   testKey,
		Accept:   reply(200, okBody),
		AcceptID: "554",
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			got := map[string]string{"method": r.Method, "path": r.URL.Path, "auth": r.Header.Get("Authorization"), "type": r.Header.Get("Content-Type")}
			want := map[string]string{"method": "POST", "path": "/send-whatsapp", "auth": wantAuth, "type": "application/json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			var req struct {
				TemplateParams string `json:"template_params"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			wantBody := `{"source_addr":"Custom Company","destination_addr":255712345678,"message_type":4,
				"template_name":"promo","template_params":` + mustQuote(req.TemplateParams) + `}`
			if diff := providertest.JSONDiff(t, wantBody, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			wantParams := `{"to":"255712345678","type":"template","template":{"language":{"policy":"deterministic","code":"en"},
				"name":"promo","components":[{"type":"body","parameters":[{"type":"text","text":"Amina"}]}]}}`
			if diff := providertest.JSONDiff(t, wantParams, []byte(req.TemplateParams)); diff != "" {
				t.Errorf("template_params (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "0 too many requests", Reply: reply(429, dtError("Too Many Requests", "Rate limit exceeded", 0, 429)), Class: T, Reason: providers.ReasonThrottled, Code: "429"},
			{Name: "0 too many requests in a 200", Reply: reply(200, dtError("Too Many Requests", "Rate limit exceeded", 0, 429)), Class: T, Reason: providers.ReasonThrottled, Code: "429"},
			{Name: "1 invalid parameter text, status 4 as documented", Reply: reply(200, dtError("Invalid Parameter: text", invalidParam, 1, 4)), Class: P, Code: "1"},
			{Name: "1 invalid parameter destination_addr", Reply: reply(400, dtError("Invalid Parameter: destination_addr", invalidParam, 1, 400)), Class: P, Reason: providers.ReasonInvalidRecipient, Code: "1"},
			{Name: "1 invalid parameter template_params", Reply: reply(400, dtError("Invalid Parameter: [template_params]", invalidParam, 1, 400)), Class: P, Reason: providers.ReasonTemplate, Code: "1"},
			{Name: "1 invalid parameter file_url", Reply: reply(400, dtError("Invalid Parameter: file_url", invalidParam, 1, 400)), Class: P, Reason: providers.ReasonMedia, Code: "1"},
			{Name: "1 invalid parameter source_addr", Reply: reply(400, dtError("Invalid Parameter: source_addr", invalidParam, 1, 400)), Class: A, Reason: providers.ReasonConfig, Code: "1"},
			{Name: "2 internal server error", Reply: reply(500, dtError("Internal server error", internal, 2, 500)), Class: T, Code: "2"},
			{Name: "3 topup balance", Reply: reply(402, dtError("Topup balance is required", "User balance is empty", 3, 402)), Class: A, Reason: providers.ReasonBalance, Code: "3"},
			{Name: "3 topup balance in a 200", Reply: reply(200, dtError("Topup balance is required", "User balance is empty", 3, 402)), Class: A, Reason: providers.ReasonBalance, Code: "3"},
			{Name: "4 internal server error", Reply: reply(500, dtError("Internal server error", internal, 4, 500)), Class: T, Code: "4"},
			{Name: "5 internal server error", Reply: reply(500, dtError("Internal server error", internal, 5, 500)), Class: T, Code: "5"},
			{Name: "6 internal server error", Reply: reply(500, dtError("Internal server error", internal, 6, 500)), Class: T, Code: "6"},
			{Name: "7 outside the 24h window", Reply: reply(503, dtError("Service Unavailable", window, 7, 503)), Class: P, Reason: providers.ReasonWindowClosed, Code: "7"},
			{Name: "7 outside the 24h window in a 200", Reply: reply(200, dtError("Service Unavailable", window, 7, 503)), Class: P, Reason: providers.ReasonWindowClosed, Code: "7"},
			{Name: "window words under another code", Reply: reply(400, dtError("Bad Request", window, 1, 400)), Class: P, Reason: providers.ReasonWindowClosed, Code: "1"},
			{Name: "8 invalid MIME type is not an auth error", Reply: reply(401, dtError("Invalid credintals for file_url", "Invalid MIME type file_url", 8, 401)), Class: P, Reason: providers.ReasonMedia, Code: "8"},
			{Name: "9 invalid file extension is not an auth error", Reply: reply(401, dtError("Invalid credintals for file_url", "Invalid file extension", 9, 401)), Class: P, Reason: providers.ReasonMedia, Code: "9"},
			{Name: "other 503", Reply: reply(503, dtError("Service Unavailable", "The server is temporarily unable to handle the request", 0, 503)), Class: T, Code: "503"},
			{Name: "credentials refused", Reply: reply(401, dtError("Unauthorized", "Your request was made with invalid credentials.", 0, 401)), Class: A, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "wrong base url", Reply: reply(404, dtError("Not Found", "Page not found.", 0, 404)), Class: A, Reason: providers.ReasonConfig, Code: "404"},
		},
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: dtError("Too Many Requests", "Rate limit exceeded", 0, 429)},
		Unsupported: []message.Content{
			{Video: &message.Media{URL: "https://cdn.example/v.mp4"}},
			{Audio: &message.Media{URL: "https://cdn.example/a.ogg"}},
			{Document: &message.Media{URL: "https://cdn.example/i.pdf"}},
			{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}},
			{Location: &message.Location{Latitude: 50.45, Longitude: 30.52}},
			{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Olena"}}}},
			{Image: &message.Media{URL: "https://cdn.example/images/offer"}},      // no extension
			{Image: &message.Media{URL: "https://cdn.example/images/offer.webp"}}, // not jpg, jpeg or png
			{Image: &message.Media{URL: "https://cdn.example/images/offer.gif"}},
			{Image: &message.Media{URL: "https://cdn.example/offer?name=a.jpg"}}, // the extension must be the path's
		},
		ParseCallback: c.ParseCallback,
		Callbacks: []providertest.CallbackCase{
			{Name: "0 sent", Body: `{"message_id":554,"status":0}`, Want: []providers.Event{status("554", message.Sent, "sent")}},
			{Name: "1 delivered", Body: `{"message_id":554,"status":1}`, Want: []providers.Event{status("554", message.Delivered, "delivered")}},
			{Name: "2 rejected", Body: `{"message_id":554,"status":2}`, Want: []providers.Event{status("554", message.Failed, "rejected")}},
			{Name: "3 error", Body: `{"message_id":554,"status":3}`, Want: []providers.Event{status("554", message.Failed, "error")}},
			{Name: "4 failed", Body: `{"message_id":554,"status":4}`, Want: []providers.Event{status("554", message.Failed, "failed")}},
			{Name: "5 deleted", Body: `{"message_id":554,"status":5}`, Want: []providers.Event{status("554", message.Delivered, "deleted")}},
			{Name: "6 pending", Body: `{"message_id":554,"status":6}`, Want: []providers.Event{status("554", message.Accepted, "pending")}},
			{Name: "7 seen", Body: `{"message_id":554,"status":7}`, Want: []providers.Event{status("554", message.Read, "seen")}},
			{Name: "trailing comma as in the document", Body: "{\n\"message_id\":554,\n\"status\":1,\n}",
				Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "554", Status: message.Delivered, ProviderStatus: "delivered"}}},
			{Name: "numbers as strings", Body: `{"message_id":"554","status":"1"}`, Want: []providers.Event{status("554", message.Delivered, "delivered")}},
			{Name: "status as the document's word", Body: `{"message_id":554,"status":"Seen"}`, Want: []providers.Event{status("554", message.Read, "seen")}},
			{Name: "status as WhatsApp's word read", Body: `{"message_id":554,"status":"read"}`, Want: []providers.Event{status("554", message.Read, "seen")}},
			{Name: "a uuid message id", Body: `{"message_id":"0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60","status":"delivered"}`,
				Want: []providers.Event{status("0f8e2b4c-6d1a-4c3e-9b7f-2a5d8c1e4f60", message.Delivered, "delivered")}},
			{Name: "with the recipient", Body: `{"message_id":554,"status":1,"destination_addr":380631234567}`,
				Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "554", Status: message.Delivered, ProviderStatus: "delivered", Recipient: "+380631234567"}}},
			{Name: "an array of notifications", Body: `[{"message_id":554,"status":0},{"message_id":555,"status":4}]`,
				Want: []providers.Event{status("554", message.Sent, "sent"), status("555", message.Failed, "failed")}},
			{Name: "unknown status", Body: `{"message_id":554,"status":42}`},
			{Name: "unknown status word", Body: `{"message_id":554,"status":"bounced"}`},
			{Name: "no message id", Body: `{"status":1}`},
			{Name: "message id zero", Body: `{"message_id":0,"status":1}`},
			{Name: "message id negative", Body: `{"message_id":"-5","status":1}`},
			{Name: "message id empty", Body: `{"message_id":"","status":1}`},
			{Name: "no status", Body: `{"message_id":554}`},
			{Name: "empty object", Body: `{}`},
			{Name: "empty array", Body: `[]`},
			{Name: "an array of numbers", Body: `[1,2]`, WantErr: true},
			{Name: "truncated", Body: `{"message_id":554,"status":`, WantErr: true},
		},
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
