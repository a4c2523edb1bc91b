package receipts_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/meta"
	"github.com/wabulk/wabulk/receipts"
)

// fixture reads testdata/whatsapp/name.json, a webhook body in the shape
// Meta's webhook reference (Cloud API) or the on-premises API shows, with
// its placeholders filled: {{from}} the contact's WhatsApp id, {{ts}} Unix
// seconds, {{business}} the business's display number.
func fixture(t *testing.T, name string, kv ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "whatsapp", name+".json"))
	must(t, err)
	s := string(b)
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{{"+kv[i]+"}}", kv[i+1])
	}
	if strings.Contains(s, "{{") {
		t.Fatalf("fixture %s has a placeholder left:\n%s", name, s)
	}
	return s
}

// WhatsApp traffic beyond receipts and one-to-one messages, POSTed to the
// receiver over HTTP as Meta (signed) and Tujenge (shared-secret header)
// would: each callback is one events task whose events say what the
// worker must do (no window for a group's message, the edit's new text,
// the voice note's media, marketing stops, account notices).
func TestWebhookWhatsAppTraffic(t *testing.T) {
	t.Parallel()
	const from, business = "16505551234", "15550783881"
	at := time.Unix(1739321024, 0).UTC()
	fill := func(name string) string {
		return fixture(t, name, "from", from, "ts", "1739321024", "business", business)
	}
	in := func(id string, f func(*providers.Event)) providers.Event {
		ev := providers.Event{Kind: providers.EventInbound, InboundID: id, From: "+" + from, Time: at}
		f(&ev)
		return ev
	}
	cloud := func(ev providers.Event) providers.Event { ev.To = "+" + business; return ev }
	cases := []struct {
		fixture string
		want    []providers.Event
	}{
		{"cloud_group_text", []providers.Event{cloud(in("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", func(e *providers.Event) {
			e.Text, e.Group = "STOP", "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"
		}))}},
		{"cloud_edit_text", []providers.Event{cloud(in("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMQA=", func(e *providers.Event) {
			e.Text, e.Edited = "STOP", true
		}))}},
		{"cloud_voice", []providers.Event{cloud(in("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMgA=", func(e *providers.Event) {
			e.MediaKind, e.MediaRef = message.KindAudio, "1003383421387258"
		}))}},
		{"cloud_user_preferences_stop", []providers.Event{
			{Kind: providers.EventPreference, Preference: providers.MarketingStop, From: "+" + from, ProviderStatus: "stop", Time: at}}},
		{"cloud_user_preferences_resume", []providers.Event{
			{Kind: providers.EventPreference, Preference: providers.MarketingResume, From: "+" + from, ProviderStatus: "resume", Time: at}}},
		{"cloud_account_disabled", []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "DISABLED_UPDATE", Action: providers.AccountPause,
			Error: "WhatsApp disabled the business account (ban state DISABLE): February 12, 2025"}}},
		{"cloud_account_reinstated", []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "DISABLED_UPDATE", Action: providers.AccountResume,
			Lifts: "DISABLED_UPDATE", Error: "WhatsApp reinstated the business account: February 14, 2025"}}},
		{"cloud_account_restriction", []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "ACCOUNT_RESTRICTION", Action: providers.AccountPause,
			Error: "WhatsApp restricted the business account: RESTRICTED_ADD_PHONE_NUMBER_ACTION until 2025-02-19T00:43:44Z, RESTRICTED_BIZ_INITIATED_MESSAGING until 2025-02-19T00:43:44Z"}}},
		{"cloud_system_errors", []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "131000",
			Error: "Something went wrong: Unknown error"}}},
		{"onprem_group_text", []providers.Event{in("ABGGFlA5FpafAgo6EhoL2ZR7Nr0y", func(e *providers.Event) {
			e.Text, e.Group = "STOP", from+"-1518694700"
		})}},
		{"onprem_edit_text", []providers.Event{in("ABGGFlA5FpafAgo6EhoL2ZR7Nr0z", func(e *providers.Event) { e.Text, e.Edited = "STOP", true })}},
		{"onprem_voice", []providers.Event{in("ABGGFlA5FpafAgo6EhoL2ZR7Nr1a", func(e *providers.Event) {
			e.MediaKind, e.MediaRef = message.KindAudio, "463eb7ec-ff4e-4d9b-b110-1879cbd411b2"
		})}},
		{"onprem_errors", []providers.Event{{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "1014",
			Error: "Internal error: Upload failed on bad image"}}},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			t.Parallel()
			body := fill(c.fixture)
			// Meta's adapter reads both shapes; Tujenge relays both.
			for _, post := range []struct {
				account string
				header  http.Header
			}{
				{"mt", http.Header{meta.SignatureHeader: {sign(appSecret, body)}}},
				{"tj", secretHeader(hookSecret)},
			} {
				k := newHooks(t)
				if resp := k.post(t, "/webhooks/"+post.account, body, post.header); resp.status != http.StatusOK {
					t.Fatalf("%s: status %d (%s), want 200", post.account, resp.status, resp.body)
				}
				want := []receipts.Batch{{Account: post.account, Received: t0, Events: c.want}}
				if diff := cmp.Diff(want, k.events(t)); diff != "" {
					t.Errorf("%s: queued events (-want +got):\n%s", post.account, diff)
				}
			}
		})
	}
}
