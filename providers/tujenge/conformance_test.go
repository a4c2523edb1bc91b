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

func TestConformance(t *testing.T) {
	const key = "tj-conformance-key-0001"
	onprem := func(code int, title string) string {
		return `{"errors":[{"code":` + strconv.Itoa(code) + `,"title":"` + title + `"}],"meta":{"api_status":"stable","version":"2.45.1"}}`
	}
	providertest.Run(t, providertest.Harness{
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
			{Name: "2001", Reply: providertest.Reply{Status: 400, Body: onprem(2001, "Template name does not exist in the translation")}, Class: providers.Permanent, Reason: providers.ReasonTemplate, Code: "2001"},
			{Name: "401", Reply: providertest.Reply{Status: 401, Body: `{"meta":{"success":false,"http_code":401,"developer_message":"Invalid API key"}}`}, Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
		},
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: onprem(429, "Too many requests")},
		ParseCallback: func(h http.Header, body []byte) ([]providers.Event, error) {
			c, _ := tujenge.New(tujenge.Config{APIKey: key})
			return c.ParseCallback(h, body)
		},
		Callbacks: callbackCases(),
	})
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
		{Name: "system error notification", Body: `{"errors":[{"code":1014,"title":"Internal error"}]}`, Want: nil},
		{Name: "not an object", Body: `[{"statuses":[]}]`, WantErr: true},
	}
}
