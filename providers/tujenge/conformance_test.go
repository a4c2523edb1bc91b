package tujenge_test

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wabulk/wabulk/message"
	"testing"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/providertest"
	"github.com/wabulk/wabulk/providers/tujenge"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) { providertest.FuzzCallbacks(f, harness(f)) }

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	const key = "tj-conformance-key-0001"
	onprem := func(code int, title string) string {
		return `{"errors":[{"code":` + strconv.Itoa(code) + `,"title":"` + title + `"}],"meta":{"api_status":"stable","version":"2.45.1"}}`
	}
	return providertest.Harness{
		New: func(t *testing.T, baseURL string) providers.Provider {
			c, err := tujenge.New(tujenge.Config{BaseURL: baseURL, APIKey: key})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Secret:   key,
		Accept:   providertest.Reply{Status: 200, Body: `{"messages":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}],"meta":{"api_status":"stable"}}`},
		AcceptID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU",
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			if r.URL.Path != "/v1/messages" || r.Header.Get("WA-API-KEY") != key {
				t.Errorf("request %s %s WA-API-KEY=%q", r.Method, r.URL.Path, r.Header.Get("WA-API-KEY"))
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "408", Reply: providertest.Reply{Status: 408, Body: onprem(408, "Message failed to send because it was pending for too long")}, Class: providers.Transient, Code: "408"},
			{Name: "470", Reply: providertest.Reply{Status: 400, Body: onprem(470, "Message failed to send because more than 24 hours have passed")}, Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "470"},
			{Name: "131047", Reply: providertest.Reply{Status: 400, Body: onprem(131047, "Re-engagement message")}, Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "window words without a code", Reply: providertest.Reply{Status: 400, Body: `{"meta":{"success":false,"http_code":400,"developer_message":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}`}, Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "400"},
			{Name: "2001", Reply: providertest.Reply{Status: 400, Body: onprem(2001, "Template name does not exist in the translation")}, Class: providers.Permanent, Reason: providers.ReasonTemplate, Code: "2001"},
			{Name: "401", Reply: providertest.Reply{Status: 401, Body: `{"meta":{"success":false,"http_code":401,"developer_message":"Invalid API key"}}`}, Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "401 naming another code", Reply: providertest.Reply{Status: 401, Body: `{"errors":[{"code":1000,"title":"Generic user error"}]}`}, Class: providers.Account, Reason: providers.ReasonAuth, Code: "1000"},
		},
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: onprem(429, "Too many requests")},
		ParseCallback: func(h http.Header, body []byte) ([]providers.Event, error) {
			c, _ := tujenge.New(tujenge.Config{APIKey: key})
			return c.ParseCallback(h, body)
		},
		Callbacks: callbackCases(),
	}
}

func callbackCases() []providertest.CallbackCase {
	at := time.Unix(1518694700, 0).UTC()
	return []providertest.CallbackCase{
		{Name: "statuses", Body: `{"statuses":[
			{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","recipient_id":"255712345678","status":"sent","timestamp":"1518694700"},
			{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU","recipient_id":"255712345678","status":"read","timestamp":"1518694700"},
			{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrV","recipient_id":"255712345679","status":"failed","timestamp":"1518694700",
			 "errors":[{"code":470,"title":"Message failed to send because more than 24 hours have passed since the customer last replied to this number"}]},
			{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrW","recipient_id":"255712345670","status":"deleted","timestamp":"1518694700"}]}`,
			Want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Sent, ProviderStatus: "sent", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrU", Status: message.Read, ProviderStatus: "read", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "gBEGkYiEB1VXAglK1ZEqA1YKPrV", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345679", Time: at,
					ErrorCode: "470", Error: "Message failed to send because more than 24 hours have passed since the customer last replied to this number"},
			}},
		{Name: "inbound text with contact", Body: `{"contacts":[{"profile":{"name":"Amina"},"wa_id":"255712345678"}],
			"messages":[{"from":"255712345678","id":"ABGGFlA5FpafAgo6EhoL2ZR7Nr0y","timestamp":"1518694700","type":"text","text":{"body":"STOP"}}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "ABGGFlA5FpafAgo6EhoL2ZR7Nr0y", From: "+255712345678", Text: "STOP", Time: at}}},
		{Name: "inbound image and button", Body: `{"messages":[
			{"from":"255712345678","id":"m1","timestamp":"1518694700","type":"image","image":{"id":"b1c68f38-8734-4ad3-b4a1-ef0c10d683","mime_type":"image/jpeg","caption":"my receipt"}},
			{"from":"255712345678","id":"m2","timestamp":"1518694700","type":"button","button":{"text":"Yes please","payload":"YES"}}]}`,
			Want: []providers.Event{
				{Kind: providers.EventInbound, InboundID: "m1", From: "+255712345678", Text: "my receipt", MediaKind: message.KindImage, MediaRef: "b1c68f38-8734-4ad3-b4a1-ef0c10d683", Time: at},
				{Kind: providers.EventInbound, InboundID: "m2", From: "+255712345678", Text: "Yes please", Time: at},
			}},
		// Timestamps: Unix seconds as a string or a number, or RFC 3339.
		{Name: "timestamps in every shape", Body: `{"statuses":[
			{"id":"s1","recipient_id":"255712345678","status":"sent","timestamp":1518694700},
			{"id":"s2","recipient_id":"255712345678","status":"delivered","timestamp":"2018-02-15T11:38:20Z"},
			{"id":"s3","recipient_id":"255712345678","status":"read","timestamp":"2018-02-15T14:38:20.000+03:00"}],
			"messages":[
			{"from":"255712345678","id":"m1","timestamp":" 1518694700 ","type":"text","text":{"body":"a"}},
			{"from":"255712345678","id":"m2","timestamp":"2018-02-15T11:38:20Z","type":"text","text":{"body":"b"}},
			{"from":"255712345678","id":"m3","timestamp":1518694700.0,"type":"text","text":{"body":"c"}}]}`,
			Want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "s1", Status: message.Sent, ProviderStatus: "sent", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "s2", Status: message.Delivered, ProviderStatus: "delivered", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventStatus, ProviderMessageID: "s3", Status: message.Read, ProviderStatus: "read", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventInbound, InboundID: "m1", From: "+255712345678", Text: "a", Time: at},
				{Kind: providers.EventInbound, InboundID: "m2", From: "+255712345678", Text: "b", Time: at},
				{Kind: providers.EventInbound, InboundID: "m3", From: "+255712345678", Text: "c", Time: at},
			}},
		{Name: "location as numbers or numeric strings", Body: `{"messages":[
			{"from":"255712345678","id":"l1","timestamp":"1518694700","type":"location","location":{"latitude":-6.7924,"longitude":39.2083,"name":"Dar","address":"Kivukoni"}},
			{"from":"255712345678","id":"l2","timestamp":"1518694700","type":"location","location":{"latitude":"-6.7924","longitude":" 39.2083"}}]}`,
			Want: []providers.Event{
				{Kind: providers.EventInbound, InboundID: "l1", From: "+255712345678", Text: "Dar Kivukoni", MediaKind: message.KindLocation, MediaRef: "geo:-6.7924,39.2083", Time: at},
				{Kind: providers.EventInbound, InboundID: "l2", From: "+255712345678", MediaKind: message.KindLocation, MediaRef: "geo:-6.7924,39.2083", Time: at},
			}},
		// A value Tujenge should not send drops that value, not the body.
		{Name: "malformed values drop only themselves", Body: `{"statuses":[
			{"id":"s1","recipient_id":255712345678,"status":"sent","timestamp":"yesterday"},
			{"id":"s2","recipient_id":"255712345678","status":"failed","timestamp":{"s":1},"errors":"oops"},
			{"id":"s3","recipient_id":"255712345678","status":"read","timestamp":"1518694700"}],
			"messages":[
			{"from":"255712345678","id":"m1","timestamp":true,"type":"text","text":{"body":5}},
			{"from":"255712345678","id":"m2","timestamp":"1518694700","type":"location","location":{"latitude":"north","longitude":39.2,"name":"Dar"}},
			{"from":"255712345678","id":"m3","timestamp":"1518694700","type":"image","image":"not an object"},
			{"from":"255712345678","id":"m4","timestamp":[1],"type":"button","button":{"text":"Yes","payload":7}}],
			"errors":{"code":1}}`,
			Want: []providers.Event{
				{Kind: providers.EventStatus, ProviderMessageID: "s1", Status: message.Sent, ProviderStatus: "sent"},
				{Kind: providers.EventStatus, ProviderMessageID: "s2", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345678"},
				{Kind: providers.EventStatus, ProviderMessageID: "s3", Status: message.Read, ProviderStatus: "read", Recipient: "+255712345678", Time: at},
				{Kind: providers.EventInbound, InboundID: "m1", From: "+255712345678"},
				{Kind: providers.EventInbound, InboundID: "m2", From: "+255712345678", Text: "Dar", MediaKind: message.KindLocation, Time: at},
				{Kind: providers.EventInbound, InboundID: "m3", From: "+255712345678", MediaKind: message.KindImage, Time: at},
				{Kind: providers.EventInbound, InboundID: "m4", From: "+255712345678", Text: "Yes"},
				// One error object where a list belongs is still read.
				{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "1"},
			}},
		{Name: "system error notification", Body: `{"errors":[{"code":1014,"title":"Internal error","details":"Unknown error"}]}`,
			Want: []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "1014", Error: "Internal error: Unknown error"}}},
		{Name: "group message names the group", Body: `{"messages":[{"from":"255712345678","group_id":"120363040000000000@g.us","id":"g1","timestamp":"1518694700","type":"text","text":{"body":"STOP"}}]}`,
			Want: []providers.Event{{Kind: providers.EventInbound, InboundID: "g1", From: "+255712345678", Text: "STOP", Group: "120363040000000000@g.us", Time: at}}},
		{Name: "voice note and an edit keep their content", Body: `{"messages":[
			{"from":"255712345678","id":"v1","timestamp":"1518694700","type":"voice","voice":{"id":"b1b7b5d4-voice","mime_type":"audio/ogg; codecs=opus"}},
			{"from":"255712345678","id":"e1","timestamp":"1518694700","type":"edit","edit":{"original_message_id":"m0","message":{"type":"text","text":{"body":"ACHA"}}}}]}`,
			Want: []providers.Event{
				{Kind: providers.EventInbound, InboundID: "v1", From: "+255712345678", MediaKind: message.KindAudio, MediaRef: "b1b7b5d4-voice", Time: at},
				{Kind: providers.EventInbound, InboundID: "e1", From: "+255712345678", Text: "ACHA", Edited: true, Time: at},
			}},
		{Name: "Cloud API envelope: marketing stop and an account ban", Body: `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
			{"field":"user_preferences","value":{"messaging_product":"whatsapp","user_preferences":[{"wa_id":"255712345678","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1518694700}]}},
			{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"February 15, 2018"}}}]}]}`,
			Want: []providers.Event{
				{Kind: providers.EventPreference, Preference: providers.MarketingStop, From: "+255712345678", ProviderStatus: "stop", Time: at},
				{Kind: providers.EventAccount, ProviderStatus: "DISABLED_UPDATE", Action: providers.AccountPause,
					Error: "WhatsApp disabled the business account (ban state DISABLE): February 15, 2018"},
			}},
		{Name: "not an object", Body: `[{"statuses":[]}]`, WantErr: true},
		{Name: "truncated", Body: `{"statuses":[{"id":"s1","status":"sent"`, WantErr: true},
	}
}
