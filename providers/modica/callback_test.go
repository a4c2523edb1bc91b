package modica_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
)

// TestParseCallbackLenient covers shapes beyond the document's examples:
// member spellings, types inferred, fallbacks, base64 variants, batches.
func TestParseCallbackLenient(t *testing.T) {
	t.Parallel()
	c := newClient(t, modica.Config{})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	in := func(ev providers.Event) providers.Event { ev.Kind = providers.EventInbound; return ev }
	tests := []struct {
		name string
		body string
		want []providers.Event
	}{
		{
			name: "content as a plain string",
			body: `{"id":"77","source":"+64211234567","destination":"2432","content":"Kia ora"}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "2432", Text: "Kia ora"})},
		},
		{
			name: "base64 text content",
			body: `{"id":"77","source":"64211234567","Destination":"6498870000","encoding":"base64","content":"` + b64("Tēnā koe") + `"}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "Tēnā koe"})},
		},
		{
			name: "base64 text inside a content object",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","encoding":"BASE64","content":{"type":"text","text":{"body":"` + b64("Kia ora") + `"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "Kia ora"})},
		},
		{
			name: "base64 flag on text that is not base64 keeps the text",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","encoding":"base64","content":{"type":"text","text":{"body":"hello there!"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "hello there!"})},
		},
		{
			name: "binary base64 content gives no text",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","encoding":"base64","content":"` + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0x00}) + `"}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000"})},
		},
		{
			name: "content given as a JSON string",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","content":"{\"type\":\"text\",\"text\":{\"body\":\"hi\"}}"}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "hi"})},
		},
		{
			name: "type inferred, text as a string, id, from and time from the content",
			body: `{"content":{"from":"64211234567","id":"wamid.A1","timestamp":1718000000,"text":"hi"},"Destination":"+6498870000"}`,
			want: []providers.Event{in(providers.Event{InboundID: "wamid.A1", From: "+64211234567", To: "+6498870000", Text: "hi", Time: time.Unix(1718000000, 0).UTC()})},
		},
		{
			name: "content that is a whole Cloud API notification value: its first message, not its contacts",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","content":{"messaging_product":"whatsapp",
				"metadata":{"display_phone_number":"6498870000","phone_number_id":"1"},
				"contacts":[{"profile":{"name":"Aroha"},"wa_id":"64211234567"}],
				"messages":[{"from":"64211234567","id":"wamid.A2","timestamp":"1718000000","type":"text","text":{"body":"STOP"}}]}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "STOP", Time: time.Unix(1718000000, 0).UTC()})},
		},
		{
			name: "content that is a whole Cloud API envelope",
			body: `{"id":"77","source":"+64211234567","Destination":"+6498870000","content":{"object":"whatsapp_business_account",
				"entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"from":"64211234567","id":"wamid.A3","timestamp":"1718000000","type":"button","button":{"text":"STOP","payload":"stop"}}]}}]}]}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", To: "+6498870000", Text: "STOP", Time: time.Unix(1718000000, 0).UTC()})},
		},
		{
			name: "content that is a notification of statuses only is no message",
			body: `[{"id":"77","source":"+64211234567","Destination":"+6498870000","content":{"statuses":[{"id":"wamid.S","status":"read","recipient_id":"64211234567"}]}},
				{"id":"78","source":"+64211234567","Destination":"+6498870000","content":{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.S","status":"read"}]}}]}]}}]`,
		},
		{
			name: "millisecond and RFC 3339 timestamps",
			body: `[{"id":"1","source":"+64211234567","content":{"type":"text","text":{"body":"a"},"timestamp":"1718000000123"}},
				{"id":"2","source":"+64211234567","timestamp":"2024-06-10T06:13:20+12:00","content":"b"}]`,
			want: []providers.Event{
				in(providers.Event{InboundID: "1", From: "+64211234567", Text: "a", Time: time.UnixMilli(1718000000123).UTC()}),
				in(providers.Event{InboundID: "2", From: "+64211234567", Text: "b", Time: time.Date(2024, 6, 9, 18, 13, 20, 0, time.UTC)}),
			},
		},
		{
			name: "text keeps its spaces",
			body: `{"id":"77","source":"+64211234567","content":{"type":"text","text":{"body":"  two  spaces \n"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", Text: "  two  spaces \n"})},
		},
		{
			name: "image by link",
			body: `{"id":"77","source":"+64211234567","content":{"type":"image","image":{"link":"https://media.example/a.jpg"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", MediaKind: message.KindImage, MediaRef: "https://media.example/a.jpg"})},
		},
		{
			name: "voice note",
			body: `{"id":"77","source":"+64211234567","content":{"type":"voice","voice":{"id":"991"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", MediaKind: message.KindAudio, MediaRef: "991"})},
		},
		{
			name: "location",
			body: `{"id":"77","source":"+64211234567","content":{"type":"location","location":{"latitude":-36.8485,"longitude":174.7633,"name":"Sky Tower","address":"Auckland"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", MediaKind: message.KindLocation, MediaRef: "-36.8485,174.7633", Text: "Sky Tower: Auckland"})},
		},
		{
			name: "contacts",
			body: `{"id":"77","source":"+64211234567","content":{"type":"contacts","contacts":[{"name":{"formatted_name":"Aroha"}}]}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", MediaKind: message.KindContacts})},
		},
		{
			name: "button without text uses the payload",
			body: `{"id":"77","source":"+64211234567","content":{"type":"button","button":{"payload":"STOP"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", Text: "STOP"})},
		},
		{
			name: "flow reply",
			body: `{"id":"77","source":"+64211234567","content":{"type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{}"}}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567", Text: "Sent"})},
		},
		{
			name: "reaction still opens the window",
			body: `{"id":"77","source":"+64211234567","content":{"type":"reaction","reaction":{"message_id":"wamid.out","emoji":"👍"}}}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567"})},
		},
		{
			name: "null content",
			body: `{"id":"77","source":"+64211234567","content":null}`,
			want: []providers.Event{in(providers.Event{InboundID: "77", From: "+64211234567"})},
		},
		{
			name: "frozen DLR",
			body: `{"id":"4815162342","status":"frozen","reference":"c:+64211234567"}`,
			want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "4815162342", Status: message.Failed, ProviderStatus: "frozen", ErrorCode: "frozen"}},
		},
		{
			// The seed lists four DLR statuses; a fake may send the words
			// WhatsApp and other gateways use.
			name: "DLR status aliases",
			body: `[{"id":"1","status":"delivered"},{"id":"2","status":"Read"},{"id":"3","status":"failed"},{"id":"4","status":"UNDELIVERED"},
				{"id":"5","status":"accepted"},{"id":"6","status":"queued"},{"id":"7","status":"submitted"}]`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "1", Status: message.Delivered, ProviderStatus: "delivered"},
				{Kind: providers.EventStatus, ProviderMessageID: "2", Status: message.Read, ProviderStatus: "Read"},
				{Kind: providers.EventStatus, ProviderMessageID: "3", Status: message.Failed, ProviderStatus: "failed", ErrorCode: "failed"},
				{Kind: providers.EventStatus, ProviderMessageID: "4", Status: message.Failed, ProviderStatus: "UNDELIVERED", ErrorCode: "undelivered"},
				{Kind: providers.EventStatus, ProviderMessageID: "5", Status: message.Accepted, ProviderStatus: "accepted"},
				{Kind: providers.EventStatus, ProviderMessageID: "6", Status: message.Accepted, ProviderStatus: "queued"},
				{Kind: providers.EventStatus, ProviderMessageID: "7", Status: message.Accepted, ProviderStatus: "submitted"},
			},
		},
		{name: "an unknown DLR status", body: `{"id":"1","status":"buffered","reference":"r"}`},
		{
			name: "a batch of a DLR and an MO",
			body: `[{"id":"1","status":"sent","reference":"r"},{"id":"2","source":"+64211234567","content":"yes"}]`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "1", Status: message.Sent, ProviderStatus: "sent"},
				in(providers.Event{InboundID: "2", From: "+64211234567", Text: "yes"}),
			},
		},
		{name: "an object that is neither", body: `{"hello":"world"}`},
		{name: "an empty batch", body: `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.ParseCallback(http.Header{"Content-Type": {"application/json"}}, []byte(tt.body))
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCallbackRefuses(t *testing.T) {
	t.Parallel()
	c := newClient(t, modica.Config{})
	for _, body := range []string{
		"", "   ", "null", "42", `"content"`, "[1,2]", `[{"id":"1","status":"sent"},"x"]`,
		`{"id":"1","status":"sent"}{"id":"2","status":"sent"}`,
		`{"status":"sent","reference":"r"}`,
		`{"id":"","status":"sent"}`,
		`{"id":"77","content":"hi"}`,
		`[{"id":"1","status":"sent"},{"status":"sent"}]`,
	} {
		if evs, err := c.ParseCallback(http.Header{}, []byte(body)); err == nil {
			t.Errorf("body %q: no error (events %+v)", body, evs)
		}
	}
}
