package socnet_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/socnet"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) { providertest.FuzzCallbacks(f, harness(f)) }

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	const key = "0123456789abcdef0123456789abcdef"
	media := &message.Media{URL: "https://cdn.example/a.jpg"}
	return providertest.Harness{
		New: func(t *testing.T, url string) providers.Provider {
			c, err := socnet.New(socnet.Config{URL: url, APIKey: key})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Secret: key,
		// The default message goes to Tanzania, which Socnet refuses.
		Message: func() *message.Message {
			return &message.Message{ID: "c:+256701234567", CampaignID: "c", Account: "acct", To: "+256701234567",
				Content: message.Content{Template: &message.Template{Name: "otp", Language: "en", Body: []string{"1234"}}}}
		},
		Accept:       providertest.Reply{Status: 200, Body: channel1},
		AcceptID:     "3EB002BAE9545124A5B7B2",
		AcceptStatus: message.Sent,
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s Content-Type %q, want POST application/json", r.Method, r.Header.Get("Content-Type"))
			}
			var got map[string]string
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			want := map[string]string{"api_key": key, "msisdn": "256701234567", "msg": "1234", "template": "otp"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "401 credentials", Reply: providertest.Reply{Status: 401, Body: `{"message":"Invalid user credentials","status":401}`},
				Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "403 credit in a 200", Reply: providertest.Reply{Status: 200, Body: `{"message":"Insufficient credit (0) for transaction charge of 90","status":"403"}`},
				Class: providers.Account, Reason: providers.ReasonBalance, Code: "403"},
			{Name: "422 missing parameter", Reply: providertest.Reply{Status: 422, Body: `{"message":"The msg field is required.","status":422}`},
				Class: providers.Permanent, Code: "422"},
			{Name: "422 wrong format", Reply: providertest.Reply{Status: 200, Body: `{"message":"The msg field must be a string.","status":422}`},
				Class: providers.Permanent, Code: "422"},
			{Name: "1 FAIL", Reply: providertest.Reply{Status: 200, Body: `{"message":"Something went wrong with the request","status":1}`},
				Class: providers.Permanent, Code: "1"},
			// Socnet names no window error: WhatsApp's refusal comes as a
			// FAIL (or another refusal) in WhatsApp's words.
			{Name: "1 FAIL window", Reply: providertest.Reply{Status: 200, Body: `{"message":"Message failed to send because more than 24 hours have passed since the customer last replied to this number.","status":1}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "1"},
			{Name: "1 FAIL re-engagement", Reply: providertest.Reply{Status: 200, Body: `{"message":"(#131047) Re-engagement message","status":"1"}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "1"},
			{Name: "422 window", Reply: providertest.Reply{Status: 422, Body: `{"message":"Message failed to send because more than 24 hours have passed since the customer last replied to this number.","status":422}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "422"},
			{Name: "404 no text in the image", Reply: providertest.Reply{Status: 404, Body: `{"message":"There is no text in the image","status":404}`},
				Class: providers.Permanent, Code: "404"},
			{Name: "unregistered number", Reply: providertest.Reply{Status: 200, Body: `{"status":"invalid"}`},
				Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "invalid"},
			{Name: "500 server error", Reply: providertest.Reply{Status: 500, Body: `{"message":"Database unavailable","status":500}`},
				Class: providers.Transient, Code: "500"},
			{Name: "503 in a 200", Reply: providertest.Reply{Status: 200, Body: `{"message":"Service unavailable","status":"503"}`},
				Class: providers.Transient, Code: "503"},
			{Name: "405 wrong route", Reply: providertest.Reply{Status: 405, Body: `{"message":"Method is not allowed for the requested route","status":405}`},
				Class: providers.Account, Reason: providers.ReasonConfig, Code: "405"},
		},
		// Socnet documents no rate limit; the HTTP Retry-After is honoured.
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"message":"Too many requests","status":429}`},
		Unsupported: []message.Content{
			{Image: media},
			{Video: &message.Media{URL: "https://cdn.example/v.mp4"}},
			{Audio: &message.Media{URL: "https://cdn.example/a.ogg"}},
			{Document: &message.Media{URL: "https://cdn.example/d.pdf", Filename: "d.pdf"}},
			{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}},
			{Location: &message.Location{Latitude: 0.3476, Longitude: 32.5825, Name: "Kampala"}},
			{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Okello"}}}},
			{Template: &message.Template{Name: "hello_world", Language: "en"}},
			{Template: &message.Template{Name: "order", Language: "en", Body: []string{"Okello", "42"}}},
			{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"x"}, Header: &message.TemplateHeader{Image: media}}},
			{Template: &message.Template{Name: "otp", Language: "en", Body: []string{"1234"},
				Buttons: []message.TemplateButton{{SubType: "url", Index: 0, Param: "1234"}}}},
		},
		// Socnet documents no callbacks: ParseCallback is nil.
	}
}
