package whatsapp_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/whatsapp"
)

func TestChangeEvents(t *testing.T) {
	t.Parallel()
	at := time.Unix(1739321024, 0).UTC()
	account := func(notice string, action providers.AccountAction, lifts, text string) []providers.Event {
		return []providers.Event{{Kind: providers.EventAccount, ProviderStatus: notice, Action: action, Lifts: lifts, Error: text}}
	}
	tests := []struct {
		name, field, value string
		want               []providers.Event
	}{
		{"marketing stop, timestamp as a string", "user_preferences",
			`{"user_preferences":[{"wa_id":"+255712345678","category":"MARKETING_MESSAGES","value":"Stop","timestamp":"1739321024"}]}`,
			[]providers.Event{{Kind: providers.EventPreference, Preference: providers.MarketingStop, From: "+255712345678", ProviderStatus: "Stop", Time: at}}},
		{"one preference object where a list belongs", "user_preferences",
			`{"user_preferences":{"wa_id":"255712345678","category":"marketing_messages","value":"resume"}}`,
			[]providers.Event{{Kind: providers.EventPreference, Preference: providers.MarketingResume, From: "+255712345678", ProviderStatus: "resume"}}},
		{"preference of a user id that is no number, or an unknown value", "user_preferences",
			`{"user_preferences":[{"wa_id":"US.13491208655302741918","category":"marketing_messages","value":"stop"},
			  {"wa_id":"255712345678","category":"marketing_messages","value":"snooze"}]}`, nil},
		{"disable scheduled is a notice", "account_update",
			`{"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"SCHEDULE_FOR_DISABLE","waba_ban_date":"March 1, 2025"}}`,
			account("DISABLED_UPDATE", "", "", "WhatsApp scheduled the business account to be disabled: March 1, 2025")},
		{"disable without ban info pauses", "account_update", `{"event":"disabled_update"}`,
			account("DISABLED_UPDATE", providers.AccountPause, "", "WhatsApp disabled the business account (ban state not given)")},
		{"restriction without details pauses", "account_update", `{"event":"ACCOUNT_RESTRICTION"}`,
			account("ACCOUNT_RESTRICTION", providers.AccountPause, "", "WhatsApp restricted the business account: no details given")},
		{"restriction with a date expiry and a detail of the wrong type", "account_update",
			`{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_CUSTOMER_INITIATED_MESSAGING","expiration":"2025-02-19T00:43:44+0000"}],"ban_info":"n/a"}`,
			account("ACCOUNT_RESTRICTION", providers.AccountPause, "", "WhatsApp restricted the business account: RESTRICTED_CUSTOMER_INITIATED_MESSAGING until 2025-02-19T00:43:44+0000")},
		{"offboarded pauses, reconnected lifts it", "account_update", `{"event":"ACCOUNT_OFFBOARDED"}`,
			account("ACCOUNT_OFFBOARDED", providers.AccountPause, "", "the WhatsApp Business Account was offboarded (device change or number re-registration)")},
		{"reconnected", "account_update", `{"event":"ACCOUNT_RECONNECTED"}`,
			account("ACCOUNT_RECONNECTED", providers.AccountResume, "ACCOUNT_OFFBOARDED", "the WhatsApp Business Account reconnected")},
		{"partner removed is a notice", "ACCOUNT_UPDATE", `{"event":"PARTNER_REMOVED","waba_info":{"waba_id":"1"}}`,
			account("PARTNER_REMOVED", "", "", "the WhatsApp Business Account is no longer shared with the solution partner")},
		{"an account update about pricing carries nothing", "account_update", `{"event":"VOLUME_BASED_PRICING_TIER_UPDATE"}`, nil},
		{"system error without error_data, on a change without a field", "",
			`{"errors":[{"code":"131016","title":"Service unavailable","details":"retry later"},{"nothing":"here"}]}`,
			[]providers.Event{{Kind: providers.EventAccount, ProviderStatus: "errors", ErrorCode: "131016", Error: "Service unavailable: retry later"}}},
		{"a messages value without errors", "messages", `{"statuses":[{"id":"wamid.1","status":"sent"}]}`, nil},
		{"another field", "message_template_status_update", `{"event":"APPROVED"}`, nil},
		{"a value that is no object", "account_update", `"DISABLED_UPDATE"`, nil},
		{"no value", "user_preferences", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := whatsapp.ChangeEvents(tt.field, []byte(tt.value))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ChangeEvents(%q, %s) (-want +got):\n%s", tt.field, tt.value, diff)
			}
		})
	}
}
