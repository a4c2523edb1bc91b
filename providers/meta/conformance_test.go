package meta_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/providers/providertest"
)

func TestConformance(t *testing.T) { providertest.Run(t, harness(t)) }

func FuzzAnswers(f *testing.F) { providertest.FuzzAnswers(f, harness(f)) }

func FuzzCallbacks(f *testing.F) {
	// Bodies are read unsigned here: FuzzVerifySignature fuzzes the
	// signature check on its own.
	h := harness(f)
	unsigned, err := meta.New(meta.Config{Token: testToken, PhoneNumberID: testPhoneID})
	if err != nil {
		f.Fatal(err)
	}
	h.ParseCallback = unsigned.ParseCallback
	providertest.FuzzCallbacks(f, h)
}

// harness describes the adapter to the conformance suite and the fuzz
// targets.
func harness(t testing.TB) providertest.Harness {
	type R = providertest.Reply
	const (
		T = providers.Transient
		P = providers.Permanent
		A = providers.Account
	)
	e := func(status int, code any, message string) R {
		return R{Status: status, Body: graphError(code, message, "see the Cloud API error codes")}
	}
	hook, err := meta.New(meta.Config{Token: testToken, PhoneNumberID: testPhoneID, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return providertest.Harness{
		New: func(t *testing.T, baseURL string) providers.Provider {
			return newClient(t, meta.Config{BaseURL: baseURL + "/v21.0", AppSecret: testSecret})
		},
		Secret:   testToken,
		Accept:   R{Status: 200, Body: okBodyPacing},
		AcceptID: testWamid,
		CheckRequest: func(t *testing.T, r *http.Request, body []byte) {
			if r.Method != http.MethodPost || r.URL.Path != messagesPath {
				t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, messagesPath)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization = %q, want the bearer token", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			want := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"255712345678","type":"template",
				"template":{"name":"promo","language":{"code":"en"},
				"components":[{"type":"body","parameters":[{"type":"text","text":"Amina"}]}]}}`
			if diff := providertest.JSONDiff(t, want, body); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		},
		Errors: []providertest.ErrorCase{
			{Name: "130429 throughput", Reply: e(400, 130429, "(#130429) Rate limit hit"), Class: T, Reason: providers.ReasonThrottled, Code: "130429"},
			{Name: "131056 pair rate limit", Reply: e(400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"), Class: T, Reason: providers.ReasonThrottled, Code: "131056"},
			{Name: "4 app call limit", Reply: e(400, 4, "(#4) Application request limit reached"), Class: T, Reason: providers.ReasonThrottled, Code: "4"},
			{Name: "80007 WABA rate limit", Reply: e(400, 80007, "(#80007) Rate limit issues"), Class: T, Reason: providers.ReasonThrottled, Code: "80007"},
			{Name: "133016 register rate limit", Reply: e(400, 133016, "Account register deregister rate limit exceeded"), Class: T, Reason: providers.ReasonThrottled, Code: "133016"},
			{Name: "131000 something went wrong", Reply: e(500, 131000, "Something went wrong"), Class: T, Code: "131000"},
			{Name: "1 API unknown", Reply: e(400, 1, "An unknown error occurred"), Class: T, Code: "1"},
			{Name: "2 API service", Reply: e(503, 2, "An unexpected error has occurred. Please retry your request later."), Class: T, Code: "2"},
			{Name: "131016 service unavailable", Reply: e(503, 131016, "Service unavailable"), Class: T, Code: "131016"},
			{Name: "502 without a body", Reply: R{Status: 502, Body: "<html>Bad Gateway</html>"}, Class: T, Code: "502"},
			{Name: "131047 re-engagement", Reply: e(400, 131047, "(#131047) Re-engagement message"), Class: P, Reason: providers.ReasonWindowClosed, Code: "131047"},
			{Name: "470 relayed", Reply: e(400, 470, "Message failed to send because more than 24 hours have passed since the customer last replied to this number."), Class: P, Reason: providers.ReasonWindowClosed, Code: "470"},
			{Name: "131026 undeliverable", Reply: e(400, 131026, "(#131026) Message Undeliverable"), Class: P, Reason: providers.ReasonInvalidRecipient, Code: "131026"},
			{Name: "131051 unsupported type", Reply: e(400, 131051, "(#131051) Unsupported message type"), Class: P, Reason: providers.ReasonUnsupported, Code: "131051"},
			{Name: "132000 param count", Reply: e(400, 132000, "(#132000) Number of parameters does not match the expected number of params"), Class: P, Reason: providers.ReasonTemplate, Code: "132000"},
			{Name: "132001 template missing", Reply: e(404, 132001, "(#132001) Template name does not exist in the translation"), Class: P, Reason: providers.ReasonTemplate, Code: "132001"},
			{Name: "100 invalid parameter", Reply: e(400, 100, "(#100) Invalid parameter"), Class: P, Code: "100"},
			{Name: "131021 recipient is sender", Reply: e(400, 131021, "(#131021) Recipient cannot be sender"), Class: P, Reason: providers.ReasonInvalidRecipient, Code: "131021"},
			{Name: "131030 not in allowed list", Reply: e(400, 131030, "(#131030) Recipient phone number not in allowed list"), Class: P, Reason: providers.ReasonInvalidRecipient, Code: "131030"},
			{Name: "131052 media download", Reply: e(400, 131052, "(#131052) Media download error"), Class: P, Reason: providers.ReasonMedia, Code: "131052"},
			{Name: "131053 media upload", Reply: e(400, 131053, "(#131053) Media upload error"), Class: T, Reason: providers.ReasonMedia, Code: "131053"},
			{Name: "131064 messaging limit after template violations", Reply: e(400, 131064, "(#131064) Messaging limit reached"), Class: A, Reason: providers.ReasonBlocked, Code: "131064"},
			{Name: "131048 spam rate limit", Reply: e(400, 131048, "(#131048) Spam rate limit hit"), Class: A, Reason: providers.ReasonBlocked, Code: "131048"},
			{Name: "368 policy block", Reply: e(403, 368, "Temporarily blocked for policies violations"), Class: A, Reason: providers.ReasonBlocked, Code: "368"},
			{Name: "190 token expired", Reply: e(401, 190, "Error validating access token: Session has expired"), Class: A, Reason: providers.ReasonAuth, Code: "190"},
			{Name: "401 naming a transient code", Reply: e(401, 131000, "Something went wrong"), Class: A, Reason: providers.ReasonAuth, Code: "131000"},
			{Name: "10 permission denied", Reply: e(403, 10, "(#10) Application does not have permission for this action"), Class: A, Reason: providers.ReasonAuth, Code: "10"},
			{Name: "200 API permission", Reply: e(403, 200, "(#200) Permissions error"), Class: A, Reason: providers.ReasonAuth, Code: "200"},
			{Name: "100/33 wrong phone number id", Reply: R{Status: 400, Body: `{"error":{"message":"Unsupported post request. Object with ID '106540352242922' does not exist, cannot be loaded due to missing permissions, or does not support this operation.","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"A1b2"}}`},
				Class: A, Reason: providers.ReasonConfig, Code: "100"},
			{Name: "131042 payment", Reply: e(400, 131042, "Business eligibility payment issue"), Class: A, Reason: providers.ReasonBalance, Code: "131042"},
		},
		// The Graph API documents no Retry-After; the adapter honours one
		// (proxies and the simulator send it) before Meta's
		// X-Business-Use-Case-Usage estimate.
		Throttle: R{Status: 400, Header: http.Header{"Retry-After": {"7"}}, Body: graphError(130429, "(#130429) Rate limit hit", "Cloud API message throughput has been reached.")},
		// The Cloud API carries every content kind; invalid content is what
		// it refuses before sending.
		Unsupported: []message.Content{
			{},
			{Text: &message.Text{Body: "hi"}, Image: &message.Media{URL: "https://cdn.example/a.jpg"}},
			{Audio: &message.Media{URL: "https://cdn.example/a.ogg", Caption: "audio carries no caption"}},
		},
		ParseCallback: hook.ParseCallback,
		Callbacks:     callbackCases(),
	}
}

// envelope wraps one change value in the notification Meta POSTs.
func envelope(field, value string) string {
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":` + value + `,"field":"` + field + `"}]}]}`
}

// inboundValue is a messages change value from Amina to the business.
func inboundValue(messages string) string {
	return `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` + testPhoneID + `"},
		"contacts":[{"profile":{"name":"Amina Juma"},"wa_id":"255712345678"}],"messages":[` + messages + `]}`
}

// statusValue is a messages change value carrying statuses.
func statusValue(statuses string) string {
	return `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` + testPhoneID + `"},"statuses":[` + statuses + `]}`
}

const pricing = `"conversation":{"id":"c6f4e7b2a1d0","expiration_timestamp":"1739407200","origin":{"type":"marketing"}},
	"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"}`

func callbackCases() []providertest.CallbackCase {
	at := time.Unix(1739321024, 0).UTC()
	in := func(id string) providers.Event {
		return providers.Event{Kind: providers.EventInbound, InboundID: id, From: "+255712345678", To: "+15550783881", Time: at}
	}
	with := func(ev providers.Event, f func(*providers.Event)) providers.Event { f(&ev); return ev }
	st := func(id string, s message.Status, word string) providers.Event {
		return providers.Event{Kind: providers.EventStatus, ProviderMessageID: id, Status: s, ProviderStatus: word, Recipient: "+255712345678", Time: at}
	}
	type C = providertest.CallbackCase
	cases := []C{
		{Name: "status sent with conversation and pricing", Body: envelope("messages", statusValue(
			`{"id":"`+testWamid+`","status":"sent","timestamp":"1739321024","recipient_id":"255712345678",`+pricing+`}`)),
			Want: []providers.Event{st(testWamid, message.Sent, "sent")}},
		{Name: "status delivered", Body: envelope("messages", statusValue(
			`{"id":"`+testWamid+`","status":"delivered","timestamp":"1739321024","recipient_id":"255712345678",`+pricing+`}`)),
			Want: []providers.Event{st(testWamid, message.Delivered, "delivered")}},
		{Name: "status read", Body: envelope("messages", statusValue(
			`{"id":"`+testWamid+`","status":"read","timestamp":"1739321024","recipient_id":"255712345678"}`)),
			Want: []providers.Event{st(testWamid, message.Read, "read")}},
		{Name: "status played (voice message)", Body: envelope("messages", statusValue(
			`{"id":"wamid.voice","status":"played","timestamp":"1739321024","recipient_id":"255712345678"}`)),
			Want: []providers.Event{st("wamid.voice", message.Read, "played")}},
		{Name: "status failed 131047", Body: envelope("messages", statusValue(
			`{"id":"wamid.failed","status":"failed","timestamp":"1739321024","recipient_id":"255712345678",
			  "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message",
			    "error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
			    "href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]}`)),
			Want: []providers.Event{with(st("wamid.failed", message.Failed, "failed"), func(e *providers.Event) {
				e.ErrorCode = "131047"
				e.Error = "Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number."
			})}},
		{Name: "status failed 131049 ecosystem engagement", Body: envelope("messages", statusValue(
			`{"id":"wamid.f2","status":"failed","timestamp":1739321024,"recipient_id":"255712345678",
			  "errors":[{"code":"131049","title":"This message was not delivered to maintain healthy ecosystem engagement."}]}`)),
			Want: []providers.Event{with(st("wamid.f2", message.Failed, "failed"), func(e *providers.Event) {
				e.ErrorCode = "131049"
				e.Error = "This message was not delivered to maintain healthy ecosystem engagement."
			})}},
		{Name: "several statuses, deleted and warning carry no outcome", Body: envelope("messages", statusValue(
			`{"id":"wamid.a","status":"sent","timestamp":"1739321024","recipient_id":"255712345678"},
			 {"id":"wamid.b","status":"deleted","timestamp":"1739321024","recipient_id":"255712345678"},
			 {"id":"wamid.c","status":"warning","timestamp":"1739321024","recipient_id":"255712345678"},
			 {"id":"wamid.a","status":"delivered","timestamp":"1739321024","recipient_id":"255712345678"}`)),
			Want: []providers.Event{st("wamid.a", message.Sent, "sent"), st("wamid.a", message.Delivered, "delivered")}},
		{Name: "several entries and changes in one body", Body: `{"object":"whatsapp_business_account","entry":[
			{"id":"102290129340398","changes":[
				{"field":"messages","value":` + statusValue(`{"id":"wamid.1","status":"read","timestamp":"1739321024","recipient_id":"255712345678"}`) + `},
				{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":594425479261596,"message_template_name":"promo","message_template_language":"en","reason":"NONE"}},
				{"field":"messages","value":` + inboundValue(`{"from":"255712345678","id":"wamid.in1","timestamp":"1739321024","type":"text","text":{"body":"Ndiyo"}}`) + `}]},
			{"id":"102290129340399","changes":[
				{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"255222000111","phone_number_id":"2"},
				 "statuses":[{"id":"wamid.2","status":"failed","timestamp":"1739321024","recipient_id":"255712345679","errors":[{"code":131026,"title":"Message Undeliverable."}]}]}}]}]}`,
			Want: []providers.Event{
				st("wamid.1", message.Read, "read"),
				with(in("wamid.in1"), func(e *providers.Event) { e.Text = "Ndiyo" }),
				{Kind: providers.EventStatus, ProviderMessageID: "wamid.2", Status: message.Failed, ProviderStatus: "failed", Recipient: "+255712345679", Time: at,
					ErrorCode: "131026", Error: "Message Undeliverable."},
			}},
		{Name: "inbound text", Body: envelope("messages", inboundValue(
			`{"from":"255712345678","id":"wamid.text","timestamp":"1739321024","type":"text","text":{"body":"STOP"}}`)),
			Want: []providers.Event{with(in("wamid.text"), func(e *providers.Event) { e.Text = "STOP" })}},
		{Name: "inbound reply with context and referral", Body: envelope("messages", inboundValue(
			`{"context":{"from":"15550783881","id":"`+testWamid+`"},"from":"255712345678","id":"wamid.ctx","timestamp":"1739321024","type":"text","text":{"body":"Bei gani?"},
			  "referral":{"source_url":"https://fb.me/x","source_type":"ad","source_id":"1","headline":"Sale"}}`)),
			Want: []providers.Event{with(in("wamid.ctx"), func(e *providers.Event) { e.Text = "Bei gani?" })}},
		{Name: "inbound media of every kind", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.img","timestamp":"1739321024","type":"image","image":{"caption":"my receipt","mime_type":"image/jpeg","sha256":"abc=","id":"1003383421387256"}},
			{"from":"255712345678","id":"wamid.vid","timestamp":"1739321024","type":"video","video":{"mime_type":"video/mp4","sha256":"def=","id":"1003383421387257"}},
			{"from":"255712345678","id":"wamid.aud","timestamp":"1739321024","type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"ghi=","id":"1003383421387258","voice":true}},
			{"from":"255712345678","id":"wamid.doc","timestamp":"1739321024","type":"document","document":{"caption":"contract","filename":"contract.pdf","mime_type":"application/pdf","sha256":"jkl=","id":"1003383421387259"}},
			{"from":"255712345678","id":"wamid.stk","timestamp":"1739321024","type":"sticker","sticker":{"mime_type":"image/webp","sha256":"mno=","id":"1003383421387260","animated":false}}`)),
			Want: []providers.Event{
				with(in("wamid.img"), func(e *providers.Event) {
					e.MediaKind, e.MediaRef, e.Text = message.KindImage, "1003383421387256", "my receipt"
				}),
				with(in("wamid.vid"), func(e *providers.Event) { e.MediaKind, e.MediaRef = message.KindVideo, "1003383421387257" }),
				with(in("wamid.aud"), func(e *providers.Event) { e.MediaKind, e.MediaRef = message.KindAudio, "1003383421387258" }),
				with(in("wamid.doc"), func(e *providers.Event) {
					e.MediaKind, e.MediaRef, e.Text = message.KindDocument, "1003383421387259", "contract"
				}),
				with(in("wamid.stk"), func(e *providers.Event) { e.MediaKind, e.MediaRef = message.KindSticker, "1003383421387260" }),
			}},
		{Name: "inbound location", Body: envelope("messages", inboundValue(
			`{"from":"255712345678","id":"wamid.loc","timestamp":"1739321024","type":"location",
			  "location":{"address":"Kariakoo, Dar es Salaam","latitude":-6.8161,"longitude":39.2803,"name":"Duka la Mama","url":"https://duka.example"}}`)),
			Want: []providers.Event{with(in("wamid.loc"), func(e *providers.Event) {
				e.MediaKind, e.MediaRef, e.Text = message.KindLocation, "geo:-6.8161,39.2803", "Duka la Mama: Kariakoo, Dar es Salaam"
			})}},
		{Name: "inbound contacts", Body: envelope("messages", inboundValue(
			`{"from":"255712345678","id":"wamid.vcf","timestamp":"1739321024","type":"contacts","contacts":[
			  {"name":{"formatted_name":"Juma Ali","first_name":"Juma","last_name":"Ali"},"phones":[{"phone":"+255 713 000 111","wa_id":"255713000111","type":"CELL"}]},
			  {"name":{"formatted_name":"Neema"},"emails":[{"email":"neema@example.com","type":"WORK"}]}]}`)),
			Want: []providers.Event{with(in("wamid.vcf"), func(e *providers.Event) {
				e.MediaKind, e.Text = message.KindContacts, "Juma Ali, Neema"
			})}},
		{Name: "inbound template quick-reply button", Body: envelope("messages", inboundValue(
			`{"context":{"from":"15550783881","id":"`+testWamid+`"},"from":"255712345678","id":"wamid.btn","timestamp":"1739321024","type":"button",
			  "button":{"text":"Stop promotions","payload":"STOP-42"}}`)),
			Want: []providers.Event{with(in("wamid.btn"), func(e *providers.Event) { e.Text = "Stop promotions" })}},
		{Name: "inbound interactive button and list replies", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.ib","timestamp":"1739321024","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"yes-1","title":"Yes"}}},
			{"from":"255712345678","id":"wamid.il","timestamp":"1739321024","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"opt-2","title":"Tuesday","description":"10:00"}}}`)),
			Want: []providers.Event{
				with(in("wamid.ib"), func(e *providers.Event) { e.Text = "Yes" }),
				with(in("wamid.il"), func(e *providers.Event) { e.Text = "Tuesday" }),
			}},
		{Name: "inbound reaction and its removal", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.r1","timestamp":"1739321024","type":"reaction","reaction":{"message_id":"`+testWamid+`","emoji":"\ud83d\udc4d"}},
			{"from":"255712345678","id":"wamid.r2","timestamp":"1739321024","type":"reaction","reaction":{"message_id":"`+testWamid+`"}}`)),
			Want: []providers.Event{
				with(in("wamid.r1"), func(e *providers.Event) { e.Text = "👍" }),
				in("wamid.r2"),
			}},
		{Name: "inbound unsupported type still counts, system notice does not", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.u","timestamp":"1739321024","type":"unsupported",
			 "errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]},
			{"from":"255712345678","id":"wamid.sys","timestamp":"1739321024","type":"system",
			 "system":{"body":"User A changed from 255712345678 to 255712345699","wa_id":"255712345699","type":"user_changed_number"}}`)),
			Want: []providers.Event{in("wamid.u")}},
		{Name: "template status update carries nothing", Body: envelope("message_template_status_update",
			`{"event":"APPROVED","message_template_id":594425479261596,"message_template_name":"promo","message_template_language":"en","reason":"NONE"}`)},
		{Name: "system-level errors are account notices", Body: envelope("messages",
			`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"`+testPhoneID+`"},
			  "errors":[{"code":131000,"title":"Something went wrong","message":"Something went wrong","error_data":{"details":"Unknown error"}}]}`),
			Want: []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "131000", Error: "Something went wrong: Unknown error"}}},
		{Name: "inbound in a group chat names the group", Body: envelope("messages", inboundValue(
			`{"from":"255712345678","group_id":"Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD","id":"wamid.grp","timestamp":"1739321024","type":"text","text":{"body":"STOP"}}`)),
			Want: []providers.Event{with(in("wamid.grp"), func(e *providers.Event) {
				e.Text, e.Group = "STOP", "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"
			})}},
		{Name: "inbound voice note, audio with voice true and the on-premises voice", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.v1","timestamp":"1739321024","type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"x=","id":"2003383421387258","voice":true}},
			{"from":"255712345678","id":"wamid.v2","timestamp":"1739321024","type":"voice","voice":{"mime_type":"audio/ogg; codecs=opus","sha256":"y=","id":"2003383421387259"}}`)),
			Want: []providers.Event{
				with(in("wamid.v1"), func(e *providers.Event) { e.MediaKind, e.MediaRef = message.KindAudio, "2003383421387258" }),
				with(in("wamid.v2"), func(e *providers.Event) { e.MediaKind, e.MediaRef = message.KindAudio, "2003383421387259" }),
			}},
		{Name: "inbound edit carries the new content", Body: envelope("messages", inboundValue(`
			{"from":"255712345678","id":"wamid.e1","timestamp":"1739321024","type":"edit",
			 "edit":{"original_message_id":"wamid.orig1","message":{"context":{"id":"wamid.orig1"},"type":"text","text":{"body":"STOP"}}}},
			{"from":"255712345678","id":"wamid.e2","timestamp":"1739321024","type":"edit",
			 "edit":{"original_message_id":"wamid.orig2","message":{"type":"image","image":{"caption":"the right receipt","mime_type":"image/jpeg","sha256":"z=","id":"3003383421387256"}}}}`)),
			Want: []providers.Event{
				with(in("wamid.e1"), func(e *providers.Event) { e.Text, e.Edited = "STOP", true }),
				with(in("wamid.e2"), func(e *providers.Event) {
					e.MediaKind, e.MediaRef, e.Text, e.Edited = message.KindImage, "3003383421387256", "the right receipt", true
				}),
			}},
		{Name: "user preferences stop and resume marketing", Body: envelope("user_preferences",
			`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"`+testPhoneID+`"},
			  "contacts":[{"profile":{"name":"Amina Juma"},"wa_id":"255712345678"}],
			  "user_preferences":[
			    {"wa_id":"255712345678","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1739321024},
			    {"wa_id":"255712345679","detail":"User requested to resume marketing messages","category":"marketing_messages","value":"resume","timestamp":1739321024},
			    {"wa_id":"255712345670","detail":"a category wabulk does not know","category":"calls","value":"stop","timestamp":1739321024}]}`),
			Want: []providers.Event{
				{Kind: providers.EventPreference, Preference: providers.MarketingStop, From: "+255712345678", ProviderStatus: "stop", Time: at},
				{Kind: providers.EventPreference, Preference: providers.MarketingResume, From: "+255712345679", ProviderStatus: "resume", Time: at},
			}},
		{Name: "account update: disabled, then reinstated", Body: `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1739321024,"changes":[
			{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"February 12, 2025"}}},
			{"field":"account_update","value":{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"REINSTATE","waba_ban_date":"February 14, 2025"}}}]}]}`,
			Want: []providers.Event{
				{Kind: providers.EventAccount, ProviderStatus: "DISABLED_UPDATE", Action: providers.AccountPause,
					Error: "WhatsApp disabled the business account (ban state DISABLE): February 12, 2025"},
				{Kind: providers.EventAccount, ProviderStatus: "DISABLED_UPDATE", Action: providers.AccountResume, Lifts: "DISABLED_UPDATE",
					Error: "WhatsApp reinstated the business account: February 14, 2025"},
			}},
		{Name: "account update: messaging restriction pauses, a calling one does not", Body: `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1739321024,"changes":[
			{"field":"account_update","value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":1739925824}]}},
			{"field":"account_update","value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BUSINESS_INITIATED_CALLING","expiration":1739925824}]}}]}]}`,
			Want: []providers.Event{
				{Kind: providers.EventAccount, ProviderStatus: "ACCOUNT_RESTRICTION", Action: providers.AccountPause,
					Error: "WhatsApp restricted the business account: RESTRICTED_BIZ_INITIATED_MESSAGING until 2025-02-19T00:43:44Z"},
				{Kind: providers.EventAccount, ProviderStatus: "ACCOUNT_RESTRICTION",
					Error: "WhatsApp restricted the business account: RESTRICTED_BUSINESS_INITIATED_CALLING until 2025-02-19T00:43:44Z"},
			}},
		{Name: "account update: violation pauses, pricing tiers carry nothing", Body: `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1739321024,"changes":[
			{"field":"account_update","value":{"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"SCAM"}}},
			{"field":"account_update","value":{"event":"VOLUME_BASED_PRICING_TIER_UPDATE","volume_tier_info":{"tier_update_time":1739321024,"pricing_category":"UTILITY","tier":"25000001:50000000","effective_month":"2025-03","region":"India"}}}]}]}`,
			Want: []providers.Event{
				{Kind: providers.EventAccount, ProviderStatus: "ACCOUNT_VIOLATION", Action: providers.AccountPause,
					Error: "WhatsApp reports a policy violation (violation type SCAM)"},
			}},
		{Name: "another object carries nothing", Body: `{"object":"page","entry":[{"id":"1","time":1739321024,"changes":[{"field":"feed","value":{"item":"status"}}]}]}`},
		{Name: "entry not an array", Body: `{"object":"whatsapp_business_account","entry":"oops"}`, WantErr: true},
		{Name: "timestamp of the wrong type", Body: envelope("messages", statusValue(`{"id":"wamid.x","status":"sent","timestamp":{"s":1},"recipient_id":"255712345678"}`)), WantErr: true},
		{Name: "not an object", Body: `[{"object":"whatsapp_business_account"}]`, WantErr: true},
	}
	for i := range cases {
		cases[i].Header = signed(cases[i].Body)
	}
	body := envelope("messages", statusValue(`{"id":"wamid.x","status":"sent","timestamp":"1739321024","recipient_id":"255712345678"}`))
	cases = append(cases,
		C{Name: "unsigned body is refused", Body: body, Header: http.Header{}, WantErr: true},
		C{Name: "body signed with another secret is refused", Body: body, Header: http.Header{"X-Hub-Signature-256": {sign("another-secret", body)}}, WantErr: true},
		C{Name: "body altered after signing is refused", Body: body + " ", Header: signed(body), WantErr: true},
	)
	return cases
}
