package meta_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
)

// TestParseCallbackWithoutAppSecret: with no AppSecret the Client trusts
// the receiver to have checked the signature and parses any body.
func TestParseCallbackWithoutAppSecret(t *testing.T) {
	t.Parallel()
	c := newClient(t, meta.Config{})
	at := time.Unix(1739321024, 0).UTC()
	tests := []struct {
		name string
		body string
		want []providers.Event
	}{
		{
			name: "numeric timestamp and a display number with punctuation",
			body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
				"metadata":{"display_phone_number":"+1 555-078-3881","phone_number_id":"1"},
				"messages":[{"from":"+255712345678","id":"wamid.n","timestamp":1739321024,"type":"text","text":{"body":"hi"}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventInbound, InboundID: "wamid.n", From: "+255712345678", To: "+15550783881", Text: "hi", Time: at}},
		},
		{
			name: "no metadata: To stays empty; no timestamp: Time stays zero",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"messages":[{"from":"255712345678","id":"wamid.m","type":"text","text":{"body":"hi"}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventInbound, InboundID: "wamid.m", From: "+255712345678", Text: "hi"}},
		},
		{
			name: "interactive flow reply",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"metadata":{"display_phone_number":"15550783881"},
				"messages":[{"from":"255712345678","id":"wamid.f","timestamp":"1739321024","type":"interactive",
				  "interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"a\":1}"}}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventInbound, InboundID: "wamid.f", From: "+255712345678", To: "+15550783881", Text: "Sent", Time: at}},
		},
		{
			name: "location sent as strings",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"messages":[{"from":"255712345678","id":"wamid.l","timestamp":"1739321024","type":"location","location":{"latitude":"-6.8161","longitude":"39.2803"}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventInbound, InboundID: "wamid.l", From: "+255712345678", MediaKind: message.KindLocation, MediaRef: "geo:-6.8161,39.2803", Time: at}},
		},
		{
			name: "group status has no individual recipient",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"statuses":[{"id":"wamid.g","status":"DELIVERED","timestamp":"1739321024","recipient_id":"120363025343","recipient_type":"group"}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "wamid.g", Status: message.Delivered, ProviderStatus: "DELIVERED", Time: at}},
		},
		{
			name: "failed without errors, status without id, message without sender",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"statuses":[{"id":"wamid.x","status":"failed","timestamp":"1739321024","recipient_id":"255712345678"},{"status":"sent"}],
				"messages":[{"id":"wamid.nofrom","timestamp":"1739321024","type":"text","text":{"body":"?"}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "wamid.x", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345678", Time: at}},
		},
		{
			name: "a sender that is not a phone number is skipped",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
				"metadata":{"display_phone_number":"15550783881"},
				"messages":[{"from":"US.13491208655302741918","id":"wamid.b","timestamp":"1739321024","type":"text","text":{"body":"hi"}},
				            {"from":"12","id":"wamid.short","timestamp":"1739321024","type":"text","text":{"body":"hi"}}]}}]}]}`,
		},
		{
			name: "the on-premises API's shape: statuses and messages at the top level",
			body: `{"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"255712345678"}],
				"messages":[{"from":"255712345678","id":"ABGGFlA5FpafAgo6EhoL2ZR7Nr0y","timestamp":"1739321024","text":{"body":"STOP"},"type":"text"}],
				"statuses":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","recipient_id":"255712345678","status":"read","timestamp":"1739321024"},
				            {"errors":[{"code":470,"title":"Message failed to send because more than 24 hours have passed since the customer last replied to this number"}],
				             "id":"gBEGkYiEB1VXAglK1ZEqA1YKPrV","recipient_id":"255712345678","status":"failed","timestamp":"1739321024"}]}`,
			want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Read, ProviderStatus: "read", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrV", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345678", Time: at,
					ErrorCode: "470", Error: "Message failed to send because more than 24 hours have passed since the customer last replied to this number"},
				{Kind: providers.EventInbound, InboundID: "ABGGFlA5FpafAgo6EhoL2ZR7Nr0y", From: "+255712345678", Text: "STOP", Time: at},
			},
		},
		{name: "empty object", body: `{}`},
		{name: "no entries", body: `{"object":"whatsapp_business_account","entry":[]}`},
		{
			name: "change without a field is a messages change",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"wamid.x","status":"sent"}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: "wamid.x", Status: message.Sent, ProviderStatus: "sent"}},
		},
		{
			name: "change with an empty field is a messages change",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"","value":{
				"metadata":{"display_phone_number":"15550783881"},
				"messages":[{"from":"255712345678","id":"wamid.e","timestamp":"1739321024","type":"text","text":{"body":"hi"}}]}}]}]}`,
			want: []providers.Event{{Kind: providers.EventInbound, InboundID: "wamid.e", From: "+255712345678", To: "+15550783881", Text: "hi", Time: at}},
		},
		{
			name: "template status update is skipped even with statuses in it",
			body: `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"message_template_status_update","value":{
				"event":"APPROVED","message_template_id":12345,"statuses":[{"id":"wamid.t","status":"sent"}]}}]}]}`,
		},
		{name: "account update", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","time":1739321024,"changes":[{"field":"account_update","value":{"phone_number":"15550783881","event":"VERIFIED_ACCOUNT"}}]}]}`},
		{name: "phone number quality update", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","time":1739321024,"changes":[{"field":"phone_number_quality_update","value":{"display_phone_number":"15550783881","event":"FLAGGED","current_limit":"TIER_10K"}}]}]}`},
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

func TestParseCallbackRefusesUnreadableBodies(t *testing.T) {
	t.Parallel()
	c := newClient(t, meta.Config{})
	for _, body := range []string{
		"", "   ", "not json", "[1,2", `"just a string"`, `[{"object":"whatsapp_business_account"}]`, "{",
		`{"object":"whatsapp_business_account","entry":{"changes":[]}}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":"sent"}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","timestamp":true}]}}]}]}`,
	} {
		if evs, err := c.ParseCallback(http.Header{}, []byte(body)); err == nil {
			t.Errorf("body %q: no error (events %+v)", body, evs)
		}
	}
}

func TestParseCallbackChecksTheSignatureWhenConfigured(t *testing.T) {
	t.Parallel()
	c := newClient(t, meta.Config{AppSecret: testSecret})
	body := `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
		"statuses":[{"id":"wamid.s","status":"read","timestamp":"1739321024","recipient_id":"255712345678"}]}}]}]}`
	tests := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"valid", signed(body), nil},
		{"valid, canonical header spelling", http.Header{"X-Hub-Signature-256": {sign(testSecret, body)}}, nil},
		{"missing", http.Header{}, meta.ErrSignatureMissing},
		{"only the SHA-1 header", http.Header{"X-Hub-Signature": {"sha1=0123456789abcdef0123456789abcdef01234567"}}, meta.ErrSignatureMissing},
		{"malformed", http.Header{"X-Hub-Signature-256": {"sha256=zz"}}, meta.ErrSignatureMalformed},
		{"another secret", http.Header{"X-Hub-Signature-256": {sign("not-the-secret", body)}}, meta.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs, err := c.ParseCallback(tt.header, []byte(body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCallback error = %v, want %v", err, tt.want)
			}
			if err != nil {
				if containsSecret(err.Error()) {
					t.Errorf("error %q carries the app secret", err)
				}
				return
			}
			if len(evs) != 1 || evs[0].Status != message.Read {
				t.Errorf("events = %+v, want one read status", evs)
			}
		})
	}
	// A signature over other bytes (re-encoded JSON, trimmed whitespace)
	// does not match: the raw body is what Meta signed.
	if _, err := c.ParseCallback(signed(strings.TrimSpace(body)+"\n"), []byte(body)); !errors.Is(err, meta.ErrSignatureMismatch) {
		t.Errorf("signature over different bytes: error = %v, want ErrSignatureMismatch", err)
	}
}
