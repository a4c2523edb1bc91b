package tujenge_test

import (
	"net/http"
	"strconv"
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
	})
}
