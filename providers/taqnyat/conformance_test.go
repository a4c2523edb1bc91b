package taqnyat_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) { providertest.FuzzCallbacks(f, harness(f)) }

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	const token = "tq-conformance-token-0001"
	parser, err := taqnyat.New(taqnyat.Config{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return providertest.Harness{
		New: func(t *testing.T, baseURL string) providers.Provider {
			c, err := taqnyat.New(taqnyat.Config{BaseURL: baseURL, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Secret: token,
		// The API the document reproduces answers a send with 201 and a
		// delivery report.
		Accept:   providertest.Reply{Status: 201, Body: `{"type":"whatsapp","statuses":[{"message_id":"01DPNXZ0WCF9XD19MH84XD0P62","recipient":"+255712345678","status":"success","state":"queued"}]}`},
		AcceptID: "01DPNXZ0WCF9XD19MH84XD0P62",
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			if r.Method != http.MethodPost || r.URL.Path != "/messages/" || r.Header.Get("Authorization") != "Bearer "+token {
				t.Errorf("request %s %s Authorization=%q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
			}
			want := `{"to":["255712345678"],"message":{"type":"template","template_name":"promo","language":"en","body_params":["Amina"]}}`
			if diff := providertest.JSONDiff(t, want, body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "401", Reply: providertest.Reply{Status: 401, Body: `{"message":"401","reason":"Unauthorized"}`},
				Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "401-no-body", Reply: providertest.Reply{Status: 401},
				Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "401-in-a-200", Reply: providertest.Reply{Status: 200, Body: `{"message":"401","reason":"Unauthorized bot"}`},
				Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "400", Reply: providertest.Reply{Status: 400, Body: apiError("Validation error", "Field [to] can not be empty.")},
				Class: providers.Permanent, Code: "400"},
			{Name: "no-balance", Reply: providertest.Reply{Status: 400, Body: apiError("Insufficient balance", "Please recharge your balance")},
				Class: providers.Account, Reason: providers.ReasonBalance, Code: "400"},
			{Name: "402", Reply: providertest.Reply{Status: 402, Body: apiError("Payment required", "")},
				Class: providers.Account, Reason: providers.ReasonBalance, Code: "402"},
			{Name: "404-wrong-base-url", Reply: providertest.Reply{Status: 404, Body: "Not Found"},
				Class: providers.Account, Reason: providers.ReasonConfig, Code: "404"},
			{Name: "no_opt_in", Reply: providertest.Reply{Status: 201, Body: report("failure", "no_opt_in", "recipient is not registered to have opted in")},
				Class: providers.Permanent, Code: "no_opt_in"},
			{Name: "no_capability", Reply: providertest.Reply{Status: 201, Body: report("failure", "no_capability", "recipient lacks WhatsApp capability")},
				Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "no_capability"},
			{Name: "failed", Reply: providertest.Reply{Status: 201, Body: report("failure", "failed", "Message has failed")},
				Class: providers.Permanent, Code: "failed"},
			// The window: WhatsApp's code passed on synchronously (in the
			// {"message":"401","reason":...} shape), or a failed report whose
			// details describe it. Either ends window_closed, code kept.
			{Name: "131047-window", Reply: providertest.Reply{Status: 400, Body: `{"message":"131047","reason":"Re-engagement message","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "131047-window-in-a-201", Reply: providertest.Reply{Status: 201, Body: `{"message":"131047","reason":"Re-engagement message"}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "131047-window-as-code", Reply: providertest.Reply{Status: 400, Body: `{"message":"Re-engagement message","code":131047}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "470-window", Reply: providertest.Reply{Status: 400, Body: `{"message":"470","reason":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "470"},
			{Name: "failed-report-window", Reply: providertest.Reply{Status: 201, Body: report("failure", "failed", "Message has failed: the 24-hour customer care session is not open")},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "failed"},
			{Name: "validation-error-window", Reply: providertest.Reply{Status: 400, Body: apiError("Validation error", "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "400"},
			// Not the window: the opt-in lapsed 24 hours after the contact wrote.
			{Name: "no_opt_in-naming-24-hours", Reply: providertest.Reply{Status: 201, Body: report("failure", "no_opt_in", "temporary opt-in expired 24 hours after the last received message")},
				Class: providers.Permanent, Code: "no_opt_in"},
			{Name: "500", Reply: providertest.Reply{Status: 500, Body: apiError("Internal Server Error", "try again later")},
				Class: providers.Transient, Code: "500"},
			{Name: "503", Reply: providertest.Reply{Status: 503, Body: "<html>Service Unavailable</html>"},
				Class: providers.Transient, Code: "503"},
		},
		// The document names no throttling answer; a 429 with Retry-After is
		// honoured whoever sends it.
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: apiError("Too Many Requests", "rate limit exceeded")},
		Unsupported: []message.Content{
			{Template: &message.Template{Name: "promo", Language: "en",
				Buttons: []message.TemplateButton{{SubType: "url", Index: 1, Param: "x"}}}},
			{Template: &message.Template{Name: "promo", Language: "en",
				Header: &message.TemplateHeader{Image: &message.Media{URL: "https://cdn.example/a.jpg", Caption: "no"}}}},
		},
		ParseCallback: parser.ParseCallback,
		Callbacks:     callbackCases(),
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// statusCallback is a delivery report callback with one report.
func statusCallback(state, status, details string) string {
	d := ""
	if details != "" {
		d = `,"details":"` + details + `"`
	}
	return `{"type":"whatsapp","statuses":[{"status":"` + status + `","state":"` + state + `","message_id":"01DPNXZ0WCF9XD19MH84XD0P62","recipient":"966501234567","timestamp":"2020-05-02T18:40:42Z"` + d + `}]}`
}

func statusEvent(state string, st message.Status, code, details string) providers.Event {
	return providers.Event{Kind: providers.EventStatus, ProviderMessageID: "01DPNXZ0WCF9XD19MH84XD0P62", Status: st,
		ProviderStatus: state, ErrorCode: code, Error: details, Recipient: "+966501234567", Time: at("2020-05-02T18:40:42Z")}
}

// inboundCallback is an inbound message callback with one notification
// carrying msg.
func inboundCallback(msg string) string {
	return `{"type":"whatsapp","contacts":[{"profile":{"name":"Amina"},"wa_id":"966501234567"}],"notifications":[{"from":"966501234567","to":"taqnyatbot","message_id":"ABGGFlA5FpafAgo6EhsmGU2lz8rk","message":` + msg + `,"timestamp":"2020-05-02T19:48:42Z"}]}`
}

func inboundEvent(text string, kind message.Kind, ref string) providers.Event {
	return providers.Event{Kind: providers.EventInbound, InboundID: "ABGGFlA5FpafAgo6EhsmGU2lz8rk", From: "+966501234567",
		To: "taqnyatbot", Text: text, MediaKind: kind, MediaRef: ref, Time: at("2020-05-02T19:48:42Z")}
}

func callbackCases() []providertest.CallbackCase {
	cases := []providertest.CallbackCase{
		// Every state of the document's "Message States".
		{Name: "state/queued", Body: statusCallback("queued", "success", ""), Want: []providers.Event{statusEvent("queued", message.Accepted, "", "")}},
		{Name: "state/dispatched", Body: statusCallback("dispatched", "success", ""), Want: []providers.Event{statusEvent("dispatched", message.Accepted, "", "")}},
		{Name: "state/sent", Body: statusCallback("sent", "success", ""), Want: []providers.Event{statusEvent("sent", message.Sent, "", "")}},
		{Name: "state/delivered", Body: statusCallback("delivered", "success", "Message delivered"), Want: []providers.Event{statusEvent("delivered", message.Delivered, "", "")}},
		{Name: "state/read", Body: statusCallback("read", "success", ""), Want: []providers.Event{statusEvent("read", message.Read, "", "")}},
		{Name: "state/deleted", Body: statusCallback("deleted", "failure", "Message expired"), Want: []providers.Event{statusEvent("deleted", message.Failed, "deleted", "Message expired")}},
		{Name: "state/failed", Body: statusCallback("failed", "failure", "Message has failed"), Want: []providers.Event{statusEvent("failed", message.Failed, "failed", "Message has failed")}},
		{Name: "state/no_opt_in", Body: statusCallback("no_opt_in", "failure", "not opted in"), Want: []providers.Event{statusEvent("no_opt_in", message.Failed, "no_opt_in", "not opted in")}},
		{Name: "state/no_capability", Body: statusCallback("no_capability", "failure", ""), Want: []providers.Event{statusEvent("no_capability", message.Failed, "no_capability", "")}},

		// Report variants.
		{Name: "report/recipient-with-plus-and-no-timestamp",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"read","message_id":"m-1","recipient":"+966501234567"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Read, ProviderStatus: "read", Recipient: "+966501234567"}}},
		{Name: "report/state-in-capitals-kept-as-written",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"DELIVERED","message_id":"m-1","recipient":"00966501234567","timestamp":"2020-05-02T21:40:42+03:00"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Delivered, ProviderStatus: "DELIVERED", Recipient: "+966501234567", Time: at("2020-05-02T18:40:42Z")}}},
		{Name: "report/numeric-id-and-zone-less-timestamp",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"sent","message_id":123456,"recipient":966501234567,"timestamp":"2020-05-02T18:40:42"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "123456", Status: message.Sent, ProviderStatus: "sent", Recipient: "+966501234567", Time: at("2020-05-02T18:40:42Z")}}},
		{Name: "report/offset-without-colon",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"sent","message_id":"m-1","timestamp":"2020-05-02T21:40:42+0300"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Sent, ProviderStatus: "sent", Time: at("2020-05-02T18:40:42Z")}}},
		{Name: "report/fraction-and-offset-without-colon",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"sent","message_id":"m-1","timestamp":"2020-05-02T21:40:42.125+0300"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Sent, ProviderStatus: "sent", Time: at("2020-05-02T18:40:42.125Z")}}},
		{Name: "report/fraction-and-z",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"sent","message_id":"m-1","timestamp":"2020-05-02T18:40:42.5Z"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Sent, ProviderStatus: "sent", Time: at("2020-05-02T18:40:42.5Z")}}},
		{Name: "inbound/offset-without-colon",
			Body: `{"type":"whatsapp","notifications":[{"from":"966501234567","to":"taqnyatbot","message_id":"in-5","message":{"type":"text","body":"hi"},"timestamp":"2020-05-02T22:48:42.000-0300"}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "in-5", From: "+966501234567", To: "taqnyatbot", Text: "hi", Time: at("2020-05-03T01:48:42Z")}}},
		{Name: "report/statuses-as-an-object",
			Body: `{"type":"whatsapp","statuses":{"status":"success","state":"delivered","message_id":"m-1","recipient":"966501234567"}}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Delivered, ProviderStatus: "delivered", Recipient: "+966501234567"}}},
		{Name: "report/unknown-state-is-dropped",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"pending_review","message_id":"m-1"}]}`},
		{Name: "report/unknown-state-that-failed",
			Body: `{"type":"whatsapp","statuses":[{"status":"failure","state":"rejected","message_id":"m-1","details":"spam"}]}`,
			Want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Failed, ProviderStatus: "rejected", ErrorCode: "rejected", Error: "spam"}}},
		{Name: "report/without-message-id-is-dropped",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"read","recipient":"966501234567"}]}`},

		// Inbound messages by type.
		{Name: "inbound/text", Body: inboundCallback(`{"type":"text","body":"Hello bot I want to know something!"}`),
			Want: []providers.Event{inboundEvent("Hello bot I want to know something!", "", "")}},
		{Name: "inbound/text-as-a-text-string", Body: inboundCallback(`{"type":"text","text":"Hello bot"}`),
			Want: []providers.Event{inboundEvent("Hello bot", "", "")}},
		{Name: "inbound/text-cloud-style", Body: inboundCallback(`{"type":"text","text":{"body":"Hello bot"}}`),
			Want: []providers.Event{inboundEvent("Hello bot", "", "")}},
		{Name: "inbound/location-lat-lng", Body: inboundCallback(`{"type":"location","lat":24.7136,"lng":46.6753,"name":"Kingdom Centre","address":"Olaya, Riyadh"}`),
			Want: []providers.Event{inboundEvent("Kingdom Centre, Olaya, Riyadh", message.KindLocation, "geo:24.7136,46.6753")}},
		{Name: "inbound/location-latitude-longitude", Body: inboundCallback(`{"type":"location","latitude":"-6.7924","longitude":39.2083}`),
			Want: []providers.Event{inboundEvent("", message.KindLocation, "geo:-6.7924,39.2083")}},
		{Name: "inbound/contacts", Body: inboundCallback(`{"type":"contacts","contacts":[{"name":{"formatted_name":"John Smith","first_name":"John"},"phones":[{"phone":"+1 (650) 555-1234","type":"WORK","wa_id":"16505551234"}]},{"name":{"formatted_name":"Amina Juma"}}]}`),
			Want: []providers.Event{inboundEvent("John Smith, Amina Juma", message.KindContacts, "")}},
		{Name: "inbound/image", Body: inboundCallback(`{"type":"image","url":"https://media.example/img.jpg","mime_type":"image/jpeg","caption":"Fantastic headphones"}`),
			Want: []providers.Event{inboundEvent("Fantastic headphones", message.KindImage, "https://media.example/img.jpg")}},
		{Name: "inbound/video", Body: inboundCallback(`{"type":"video","url":"https://media.example/v.mp4","mime_type":"video/mp4"}`),
			Want: []providers.Event{inboundEvent("", message.KindVideo, "https://media.example/v.mp4")}},
		{Name: "inbound/document", Body: inboundCallback(`{"type":"document","url":"https://media.example/d.pdf","mime_type":"application/pdf","caption":"Invoice","filename":"invoice.pdf"}`),
			Want: []providers.Event{inboundEvent("Invoice", message.KindDocument, "https://media.example/d.pdf")}},
		{Name: "inbound/audio", Body: inboundCallback(`{"type":"audio","url":"https://media.example/a.ogg","mime_type":"audio/ogg"}`),
			Want: []providers.Event{inboundEvent("", message.KindAudio, "https://media.example/a.ogg")}},
		{Name: "inbound/voice-is-audio", Body: inboundCallback(`{"type":"voice","url":"https://media.example/n.ogg","mime_type":"audio/ogg; codecs=opus"}`),
			Want: []providers.Event{inboundEvent("", message.KindAudio, "https://media.example/n.ogg")}},
		{Name: "inbound/sticker", Body: inboundCallback(`{"type":"sticker","url":"https://media.example/s.webp","mime_type":"image/webp","metadata":{"stickerpack-id":"1"}}`),
			Want: []providers.Event{inboundEvent("", message.KindSticker, "https://media.example/s.webp")}},
		{Name: "inbound/quick-reply-button", Body: inboundCallback(`{"type":"button","index":"2","text":"Option 3","payload":"some_payload"}`),
			Want: []providers.Event{inboundEvent("Option 3", "", "")}},
		{Name: "inbound/unknown-type-still-opens-the-window", Body: inboundCallback(`{"type":"reaction","emoji":"👍"}`),
			Want: []providers.Event{inboundEvent("", "", "")}},
		{Name: "inbound/with-replying_to-forwarded-and-referral",
			Body: `{"type":"whatsapp","notifications":[{"from":"+966501234567","to":"966112345678","message_id":"in-2","replying_to":{"from":"966112345678","message_id":"01DPNXZ0WCF9XD19MH84XD0P62"},"forwarded":true,"frequently_forwarded":false,"referral":{"source_url":"https://fb.me/x"},"message":{"type":"text","body":"yes"},"timestamp":"2020-05-02T19:48:42.250Z"}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "in-2", From: "+966501234567", To: "+966112345678", Text: "yes", Time: at("2020-05-02T19:48:42.250Z")}}},
		{Name: "inbound/loose-shapes",
			Body: `{"type":"whatsapp","notifications":{"from":966501234567,"to":"taqnyatbot","message_id":"in-3","message":{"type":"contacts","contacts":{"name":{"formatted_name":"Amina Juma"}}},"timestamp":1588448922}}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "in-3", From: "+966501234567", To: "taqnyatbot", Text: "Amina Juma", MediaKind: message.KindContacts, Time: at("2020-05-02T19:48:42Z")}}},
		{Name: "inbound/national-number-kept-as-written",
			Body: `{"type":"whatsapp","notifications":[{"from":"0732001122","to":"taqnyatbot","message_id":"in-4","message":{"type":"text","body":"hi"},"timestamp":"not a time"}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "in-4", From: "0732001122", To: "taqnyatbot", Text: "hi"}}},
		{Name: "inbound/group-message-names-the-group",
			Body: `{"type":"whatsapp","messages":[{"from":"966501234567","group_id":"120363040000000000@g.us","id":"in-g","timestamp":"2020-05-02T19:48:42Z","type":"text","text":{"body":"STOP"}}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "in-g", From: "+966501234567", Text: "STOP", Group: "120363040000000000@g.us", Time: at("2020-05-02T19:48:42Z")}}},
		{Name: "inbound/edit-carries-the-new-text", Body: inboundCallback(`{"type":"edit","edit":{"original_message_id":"ABGG0","message":{"type":"text","text":{"body":"إلغاء"}}}}`),
			Want: []providers.Event{func() providers.Event { ev := inboundEvent("إلغاء", "", ""); ev.Edited = true; return ev }()}},
		{Name: "inbound/error-notification-is-dropped",
			Body: `{"type":"whatsapp","notifications":[{"from":"966501234567","message_id":"e-1","message":{"type":"error","details":"Unexpected callback contents received."},"timestamp":"2020-05-08T12:54:07Z","to":"taqnyatbot"}]}`},
		{Name: "inbound/without-sender-is-dropped",
			Body: `{"type":"whatsapp","notifications":[{"to":"taqnyatbot","message_id":"x","message":{"type":"text","body":"?"}}]}`},

		// Both in one callback, as the document allows.
		{Name: "reports-and-inbound-together",
			Body: `{"type":"whatsapp","statuses":[{"status":"success","state":"read","message_id":"m-1","recipient":"966501234567","timestamp":"2020-05-02T18:40:42Z"}],` +
				`"contacts":[{"profile":{"name":"Amina"},"wa_id":"966501234567"}],` +
				`"notifications":[{"from":"966501234567","to":"taqnyatbot","message_id":"in-1","message":{"type":"text","body":"شكرا"},"timestamp":"2020-05-02T18:41:00Z"}]}`,
			Want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Read, ProviderStatus: "read", Recipient: "+966501234567", Time: at("2020-05-02T18:40:42Z")},
				{Kind: providers.EventInbound, InboundID: "in-1", From: "+966501234567", To: "taqnyatbot", Text: "شكرا", Time: at("2020-05-02T18:41:00Z")},
			}},

		// Well-formed bodies with nothing wabulk uses.
		{Name: "empty-object", Body: `{}`},
		{Name: "another-type", Body: `{"type":"sms","statuses":[{"status":"success","state":"delivered","message_id":"m-1"}]}`},
		{Name: "empty-lists", Body: `{"type":"whatsapp","statuses":[],"contacts":[],"notifications":[]}`},

		// Unreadable bodies.
		{Name: "array", Body: `[{"type":"whatsapp"}]`, WantErr: true},
		{Name: "truncated", Body: `{"type":"whatsapp","statuses":[{"state":"read"`, WantErr: true},
		{Name: "trailing-garbage", Body: `{"type":"whatsapp"} and more`, WantErr: true},
	}
	return cases
}
