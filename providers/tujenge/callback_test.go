package tujenge_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/tujenge"
)

// TestParseCallbackCloudEnvelopeAndSystemMessages: bodies beyond the
// on-premises ones of the conformance suite. Tujenge's document shows no
// callback body and calls its API "direct-like" WhatsApp's, so a gateway
// on the Cloud API forwards Meta's envelope as it is; those receipts and
// messages must not be answered 200 and dropped. A "system" message (the
// user changed number) is WhatsApp's notice, not the user writing.
func TestParseCallbackCloudEnvelopeAndSystemMessages(t *testing.T) {
	t.Parallel()
	c, err := tujenge.New(tujenge.Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1739321024, 0).UTC()
	tests := []struct {
		name string
		body string
		want []providers.Event
	}{
		{
			name: "cloud envelope: statuses and messages, business number from metadata",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
				"messaging_product":"whatsapp","metadata":{"display_phone_number":"+1 555-078-3881","phone_number_id":"106540352242922"},
				"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"255712345678"}],
				"messages":[{"from":"255712345678","id":"wamid.in","timestamp":"1739321024","text":{"body":"STOP"},"type":"text"}],
				"statuses":[{"id":"wamid.out","status":"failed","timestamp":"1739321024","recipient_id":"255712345678",
				  "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message"}]}]},
				"field":"messages"}]}]}`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "wamid.out", Status: message.Failed, ProviderStatus: "failed",
					Recipient: "+255712345678", ErrorCode: "131047", Error: "Re-engagement message", Time: at},
				{Kind: providers.EventInbound, InboundID: "wamid.in", From: "+255712345678", To: "+15550783881", Text: "STOP", Time: at},
			},
		},
		{
			name: "cloud envelope: several entries and changes, a change without a field",
			body: `{"object":"whatsapp_business_account","entry":[
				{"changes":[{"value":{"statuses":[{"id":"a","status":"delivered","timestamp":"1739321024","recipient_id":"255712345678"}]}}]},
				{"changes":[{"field":"messages","value":{"statuses":[{"id":"b","status":"read","timestamp":1739321024,"recipient_id":"255712345679"}]}}]}]}`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "a", Status: message.Delivered, ProviderStatus: "delivered", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "b", Status: message.Read, ProviderStatus: "read", Recipient: "+255712345679", Time: at},
			},
		},
		{
			name: "cloud envelope: a change naming another field is skipped",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"message_template_status_update",
				"value":{"event":"APPROVED","statuses":[{"id":"t","status":"sent"}]}}]}]}`,
		},
		{
			name: "system message: no inbound event",
			body: `{"messages":[{"from":"255712345678","id":"sys","timestamp":"1739321024","type":"system",
				"system":{"body":"User A changed from 255712345678 to 255712345679","new_wa_id":"255712345679","type":"user_changed_number"}}]}`,
		},
		{
			name: "on-premises body beside an envelope: both read",
			body: `{"statuses":[{"id":"top","status":"sent","timestamp":"1739321024","recipient_id":"255712345678"}],
				"entry":[{"changes":[{"value":{"statuses":[{"id":"in","status":"sent","timestamp":"1739321024","recipient_id":"255712345678"}]}}]}]}`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "top", Status: message.Sent, ProviderStatus: "sent", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "in", Status: message.Sent, ProviderStatus: "sent", Recipient: "+255712345678", Time: at},
			},
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
