package taqnyat_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/taqnyat"
)

// TestParseCallbackReadersShapes: callbacks as a reader of the document
// may write them where the document leaves the shape open. Its "Message
// States" table and "status ... either success or failure" may be merged
// into one field, and it never shows an inbound message object, so one
// may come without a "type", or as a bare string. None of them may lose a
// receipt or an opt-out keyword.
func TestParseCallbackReadersShapes(t *testing.T) {
	t.Parallel()
	c, err := taqnyat.New(taqnyat.Config{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	const ts = "2020-05-02T18:40:42Z"
	text := func(id, s string) providers.Event {
		return providers.Event{Kind: providers.EventInbound, InboundID: id, From: "+966501234567", To: "taqnyatbot", Text: s, Time: at(ts)}
	}
	notification := func(id, msg string) string {
		return `{"from":"966501234567","to":"taqnyatbot","message_id":"` + id + `","message":` + msg + `,"timestamp":"` + ts + `"}`
	}
	tests := []struct {
		name string
		body string
		want []providers.Event
	}{
		{
			name: "the state's word in status, no state",
			body: `{"type":"whatsapp","statuses":[{"status":"delivered","message_id":"m-1","recipient":"966501234567","timestamp":"` + ts + `"},
				{"status":"READ","message_id":"m-2","recipient":"966501234567","timestamp":"` + ts + `"}]}`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "m-1", Status: message.Delivered, ProviderStatus: "delivered", Recipient: "+966501234567", Time: at(ts)},
				{Kind: providers.EventStatus, ProviderMessageID: "m-2", Status: message.Read, ProviderStatus: "READ", Recipient: "+966501234567", Time: at(ts)},
			},
		},
		{
			name: "success without a state still says nothing",
			body: `{"type":"whatsapp","statuses":[{"status":"success","message_id":"m-1"}]}`,
		},
		{
			name: "a message object without a type",
			body: `{"type":"whatsapp","notifications":[` + notification("in-1", `{"text":"STOP"}`) + `,` +
				notification("in-2", `{"body":"إلغاء"}`) + `,` + notification("in-3", `{"text":{"body":"START"}}`) + `]}`,
			want: []providers.Event{text("in-1", "STOP"), text("in-2", "إلغاء"), text("in-3", "START")},
		},
		{
			name: "a location or contacts without a type",
			body: `{"type":"whatsapp","notifications":[` + notification("in-1", `{"lat":24.7136,"lng":46.6753}`) + `,` +
				notification("in-2", `{"contacts":[{"name":{"formatted_name":"Amina Juma"}}]}`) + `]}`,
			want: []providers.Event{
				{Kind: providers.EventInbound, InboundID: "in-1", From: "+966501234567", To: "taqnyatbot", MediaKind: message.KindLocation, MediaRef: "geo:24.7136,46.6753", Time: at(ts)},
				{Kind: providers.EventInbound, InboundID: "in-2", From: "+966501234567", To: "taqnyatbot", Text: "Amina Juma", MediaKind: message.KindContacts, Time: at(ts)},
			},
		},
		{
			name: "a message that is a bare string is its text",
			body: `{"type":"whatsapp","notifications":[` + notification("in-1", `"STOP"`) + `]}`,
			want: []providers.Event{text("in-1", "STOP")},
		},
		{
			name: "messages in the WhatsApp Business API's own shape",
			body: `{"type":"whatsapp","messages":[{"from":"966501234567","to":"taqnyatbot","id":"in-1","timestamp":"` + ts + `","type":"text","text":{"body":"STOP"}},
				{"from":"966501234567","to":"taqnyatbot","id":"in-2","timestamp":"` + ts + `","type":"text","text":{"body":"hello"}}]}`,
			want: []providers.Event{text("in-1", "STOP"), text("in-2", "hello")},
		},
		{
			name: "a message of another JSON type is still the user writing",
			body: `{"type":"whatsapp","notifications":[` + notification("in-1", `42`) + `,` + notification("in-2", `null`) + `]}`,
			want: []providers.Event{text("in-1", ""), text("in-2", "")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.ParseCallback(http.Header{}, []byte(tt.body))
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
