package modica_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/modica"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) { providertest.FuzzCallbacks(f, harness(f)) }

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	const user, pass = "conformance-app", "mg-conformance-pass-0001"
	newModica := func(t testing.TB, baseURL string) *modica.Client {
		c, err := modica.New(modica.Config{BaseURL: baseURL, Username: user, Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	parser := newModica(t, "https://api.modicagroup.com")
	gwErr := func(code, desc string) string { return `{"error":"` + code + `","error-desc":"` + desc + `"}` }
	return providertest.Harness{
		New:    func(t *testing.T, baseURL string) providers.Provider { return newModica(t, baseURL) },
		Secret: pass,
		// Modica's Mobile Gateway carries text only: templates are refused.
		Message: func() *message.Message {
			return &message.Message{ID: "c:+64211234567", CampaignID: "c", Account: "acct", To: "+64211234567",
				Content: message.Content{Text: &message.Text{Body: "Kia ora Aroha"}}}
		},
		Accept:   providertest.Reply{Status: 201, Body: `[4815162342]`},
		AcceptID: "4815162342",
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			u, p, ok := r.BasicAuth()
			got := map[string]string{"method": r.Method, "path": r.URL.Path, "basic": map[bool]string{true: u + ":" + p}[ok],
				"content-type": r.Header.Get("Content-Type")}
			want := map[string]string{"method": "POST", "path": "/rest/gateway/messages", "basic": user + ":" + pass,
				"content-type": "application/json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := providertest.JSONDiff(t, `{"destination":"+64211234567","content":"Kia ora Aroha","reference":"c:+64211234567"}`, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "send_failed", Reply: providertest.Reply{Status: 500, Body: gwErr("send_failed", "Could not queue message due to an unknown error")},
				Class: providers.Transient, Code: "send_failed"},
			{Name: "invalid_json", Reply: providertest.Reply{Status: 400, Body: gwErr("invalid_json", "Invalid JSON data in the request body")},
				Class: providers.Permanent, Code: "invalid_json"},
			{Name: "missing_attrib", Reply: providertest.Reply{Status: 400, Body: gwErr("missing_attrib", "Missing a required attribute: content")},
				Class: providers.Permanent, Code: "missing_attrib"},
			{Name: "invalid_attrib destination", Reply: providertest.Reply{Status: 400, Body: gwErr("invalid_attrib", "Invalid attribute value: destination")},
				Class: providers.Permanent, Reason: providers.ReasonInvalidRecipient, Code: "invalid_attrib"},
			{Name: "invalid_attrib source", Reply: providertest.Reply{Status: 400, Body: gwErr("invalid_attrib", "Invalid attribute value: source")},
				Class: providers.Permanent, Code: "invalid_attrib"},
			{Name: "401", Reply: providertest.Reply{Status: 401, Body: `{"status": 401, "message": "Unauthorized"}`},
				Class: providers.Account, Reason: providers.ReasonAuth, Code: "401"},
			{Name: "404 wrong base url", Reply: providertest.Reply{Status: 404, Body: `{"status": 404, "message": "Not Found. You have requested this URI [/rest/gateway/mesages]"}`},
				Class: providers.Account, Reason: providers.ReasonConfig, Code: "404"},
			{Name: "503", Reply: providertest.Reply{Status: 503, Body: `{"status": 503, "message": "Service Unavailable"}`},
				Class: providers.Transient, Code: "503"},
			{Name: "131064 quoted by the gateway", Reply: providertest.Reply{Status: 400,
				Body: `{"error":"(#131064) Messaging limit reached after template violations","message":"Whatsapp Cloud API error","statusCode":400}`},
				Class: providers.Account, Reason: providers.ReasonBlocked, Code: "400"},
			{Name: "131053 as the code", Reply: providertest.Reply{Status: 400, Body: `{"errors":[{"code":131053,"description":"Media upload error"}]}`},
				Class: providers.Transient, Reason: providers.ReasonMedia, Code: "131053"},
			{Name: "window closed quoted by the gateway", Reply: providertest.Reply{Status: 400,
				Body: `{"error":"Message failed to send because more than 24 hours have passed (#131047)","message":"Whatsapp Cloud API error","statusCode":400}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "400"},
			// Modica's own window refusal: an invalid_attrib whose words say
			// "more than 24 hours"; the code is kept.
			{Name: "invalid_attrib window", Reply: providertest.Reply{Status: 400, Body: gwErr("invalid_attrib", "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "invalid_attrib"},
			{Name: "invalid_attrib window naming the destination", Reply: providertest.Reply{Status: 400,
				Body: gwErr("invalid_attrib", "Invalid attribute value: destination: more than 24 hours have passed since the customer last replied")},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "invalid_attrib"},
			{Name: "131047 as a code", Reply: providertest.Reply{Status: 400, Body: `{"errors":[{"code":131047,"description":"Re-engagement message"}]}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "470 as a code", Reply: providertest.Reply{Status: 400, Body: `{"errors":[{"code":470,"description":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}]}`},
				Class: providers.Permanent, Reason: providers.ReasonWindowClosed, Code: "470"},
		},
		Throttle: providertest.Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"status": 429, "message": "Too Many Requests"}`},
		Unsupported: []message.Content{
			{Image: &message.Media{URL: "https://cdn.example/a.jpg"}},
			{Video: &message.Media{URL: "https://cdn.example/v.mp4"}},
			{Audio: &message.Media{URL: "https://cdn.example/a.ogg"}},
			{Document: &message.Media{URL: "https://cdn.example/i.pdf", Filename: "i.pdf"}},
			{Sticker: &message.Media{URL: "https://cdn.example/s.webp"}},
			{Location: &message.Location{Latitude: -36.8485, Longitude: 174.7633}},
			{Contacts: []message.Contact{{Name: message.ContactName{FormattedName: "Aroha"}}}},
			{Template: &message.Template{Name: "promo", Language: "en", Body: []string{"Aroha"}}},
		},
		ParseCallback: parser.ParseCallback,
		Callbacks:     documentedCallbacks(),
	}
}

// ts is the content timestamp the MO cases carry, and its time.
const ts = "1718000000"

var tsTime = time.Unix(1718000000, 0).UTC()

// documentedCallbacks are the seed document's callback shapes and states.
func documentedCallbacks() []providertest.CallbackCase {
	status := func(id string, st message.Status, word, code string) []providers.Event {
		return []providers.Event{{Kind: providers.EventStatus, ProviderMessageID: id, Status: st, ProviderStatus: word, ErrorCode: code}}
	}
	inbound := func(ev providers.Event) []providers.Event {
		ev.Kind = providers.EventInbound
		if ev.InboundID == "" {
			ev.InboundID = "88001"
		}
		if ev.From == "" {
			ev.From = "+64211234567"
		}
		if ev.To == "" {
			ev.To = "+6498870000"
		}
		if ev.Time.IsZero() {
			ev.Time = tsTime
		}
		return []providers.Event{ev}
	}
	mo := func(content string) string {
		return `{"id":"88001","source":"+64211234567","Destination":"+6498870000","content":` + content + `}`
	}
	wa := func(typ, part string) string {
		return `{"from":"64211234567","id":"wamid.HBgLNjQyMTEyMzQ1NjcVAgASGBQzQUI0","timestamp":"` + ts + `","type":"` + typ + `",` + part + `}`
	}
	b64 := base64.StdEncoding.EncodeToString
	return []providertest.CallbackCase{
		// DLR callback: every documented status.
		{Name: "dlr sent", Body: `{"id":"4815162342","status":"sent","reference":"c:+64211234567"}`,
			Want: status("4815162342", message.Sent, "sent", "")},
		{Name: "dlr received", Body: `{"id":"4815162342","status":"received","reference":"c:+64211234567"}`,
			Want: status("4815162342", message.Delivered, "received", "")},
		{Name: "dlr rejected", Body: `{"id":"4815162342","status":"rejected","reference":"c:+64211234567"}`,
			Want: status("4815162342", message.Failed, "rejected", "rejected")},
		{Name: "dlr expired", Body: `{"id":"4815162342","status":"expired","reference":"c:+64211234567"}`,
			Want: status("4815162342", message.Failed, "expired", "expired")},
		{Name: "dlr id as a number, no reference", Body: `{"id":4815162342,"status":"received"}`,
			Want: status("4815162342", message.Delivered, "received", "")},
		{Name: "dlr status in capitals", Body: `{"id":"4815162342","status":"Received","reference":""}`,
			Want: status("4815162342", message.Delivered, "Received", "")},
		{Name: "dlr unknown status", Body: `{"id":"4815162342","status":"buffered","reference":"x"}`},
		{Name: "dlr without id", Body: `{"status":"received","reference":"c:+64211234567"}`, WantErr: true},

		// MO callback: the document's shape, content a WhatsApp notification.
		{Name: "mo text", Body: mo(wa("text", `"text":{"body":"Kia ora, is my order ready?"}`)),
			Want: inbound(providers.Event{Text: "Kia ora, is my order ready?"})},
		{Name: "mo lower-case destination", Body: `{"id":"88001","source":"+64211234567","destination":"+6498870000","content":` + wa("text", `"text":{"body":"hi"}`) + `}`,
			Want: inbound(providers.Event{Text: "hi"})},
		{Name: "mo image", Body: mo(wa("image", `"image":{"id":"1479537139650973","mime_type":"image/jpeg","sha256":"abc","caption":"my receipt"}`)),
			Want: inbound(providers.Event{MediaKind: message.KindImage, MediaRef: "1479537139650973", Text: "my receipt"})},
		{Name: "mo audio", Body: mo(wa("audio", `"audio":{"id":"2751392","mime_type":"audio/ogg; codecs=opus","voice":true}`)),
			Want: inbound(providers.Event{MediaKind: message.KindAudio, MediaRef: "2751392"})},
		{Name: "mo document", Body: mo(wa("document", `"document":{"id":"3561","filename":"invoice.pdf","mime_type":"application/pdf","caption":"invoice"}`)),
			Want: inbound(providers.Event{MediaKind: message.KindDocument, MediaRef: "3561", Text: "invoice"})},
		{Name: "mo sticker", Body: mo(wa("sticker", `"sticker":{"id":"4561","mime_type":"image/webp","animated":false}`)),
			Want: inbound(providers.Event{MediaKind: message.KindSticker, MediaRef: "4561"})},
		{Name: "mo video", Body: mo(wa("video", `"video":{"id":"5561","mime_type":"video/mp4","caption":"the damage"}`)),
			Want: inbound(providers.Event{MediaKind: message.KindVideo, MediaRef: "5561", Text: "the damage"})},
		{Name: "mo button", Body: mo(wa("button", `"button":{"payload":"STOP-42","text":"Stop promotions"},"context":{"from":"6498870000","id":"wamid.prev"}`)),
			Want: inbound(providers.Event{Text: "Stop promotions"})},
		{Name: "mo interactive button reply", Body: mo(wa("interactive", `"interactive":{"type":"button_reply","button_reply":{"id":"yes-1","title":"Yes"}}`)),
			Want: inbound(providers.Event{Text: "Yes"})},
		{Name: "mo interactive list reply", Body: mo(wa("interactive", `"interactive":{"type":"list_reply","list_reply":{"id":"slot-3","title":"Thursday 10:30","description":"Ponsonby"}}`)),
			Want: inbound(providers.Event{Text: "Thursday 10:30"})},
		{Name: "mo text with context", Body: mo(wa("text", `"text":{"body":"that one"},"context":{"from":"6498870000","id":"wamid.prev"}`)),
			Want: inbound(providers.Event{Text: "that one"})},
		{Name: "mo text with referral", Body: mo(wa("text", `"text":{"body":"I saw your ad"},"referral":{"source_url":"https://fb.me/x","source_type":"ad","source_id":"1"}`)),
			Want: inbound(providers.Event{Text: "I saw your ad"})},
		{Name: "mo unsupported with errors", Body: mo(wa("unsupported", `"errors":[{"code":131051,"title":"Message type unknown"}]`)),
			Want: inbound(providers.Event{})},
		{Name: "mo group message names the group", Body: mo(`{"from":"64211234567","group_id":"120363040000000000@g.us","id":"wamid.HBgLNjQyMTEyMzQ1NjcVAgASGBQzQUI0","timestamp":"` + ts + `","type":"text","text":{"body":"STOP"}}`),
			Want: inbound(providers.Event{Text: "STOP", Group: "120363040000000000@g.us"})},
		{Name: "mo voice note", Body: mo(wa("voice", `"voice":{"id":"2751393","mime_type":"audio/ogg; codecs=opus"}`)),
			Want: inbound(providers.Event{MediaKind: message.KindAudio, MediaRef: "2751393"})},
		{Name: "mo edit carries the new text", Body: mo(wa("edit", `"edit":{"original_message_id":"wamid.prev","message":{"type":"text","text":{"body":"STOP"}}}`)),
			Want: inbound(providers.Event{Text: "STOP", Edited: true})},
		{Name: "mo system notification", Body: mo(wa("system", `"system":{"body":"User changed number","new_wa_id":"64211234568","type":"user_changed_number"}`))},
		{Name: "mo identity notification", Body: mo(wa("identity", `"identity":{"acknowledged":true,"created_timestamp":"1718000000","hash":"h"}`))},
		{Name: "mo template echo", Body: mo(wa("template", `"template":{"name":"promo","language":{"code":"en"}}`))},
		{Name: "mo whatsapp status on the mo url", Body: mo(`{"id":"wamid.out","status":"delivered","timestamp":"` + ts + `","type":"delivered","recipient_id":"64211234567"}`)},
		{Name: "mo content base64", Body: `{"id":"88001","source":"+64211234567","Destination":"+6498870000","encoding":"base64","content":"` +
			b64([]byte(wa("text", `"text":{"body":"Kia ora — ngā mihi"}`))) + `"}`,
			Want: inbound(providers.Event{Text: "Kia ora — ngā mihi"})},
		{Name: "mo without source", Body: `{"id":"88001","Destination":"+6498870000","content":{"type":"text","text":{"body":"hi"}}}`, WantErr: true},
	}
}
