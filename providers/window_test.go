package providers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers"
)

// Each kind's default window policy follows from whether its document
// delivers the contacts' inbound messages: enforce where wabulk sees the
// window open, provider where it never can.
func TestDefaultWindowPerKind(t *testing.T) {
	want := map[string]providers.WindowPolicy{
		"tujenge":         providers.WindowEnforce,  // "Notifications": inbound messages on the webhook
		"taqnyat":         providers.WindowEnforce,  // "Inbound message callback"
		"modica":          providers.WindowEnforce,  // "MO Callback"
		"meta":            providers.WindowEnforce,  // "messages" notifications
		"socnet":          providers.WindowProvider, // no callbacks at all
		"decisiontelecom": providers.WindowProvider, // statuses only, no inbound messages
	}
	got := map[string]providers.WindowPolicy{}
	for _, k := range providers.Kinds() {
		got[k.Name] = k.DefaultWindow()
		if k.Inbound && len(k.Webhook) == 0 {
			t.Errorf("%s: Inbound, but no webhook to receive inbound messages on", k.Name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default window per kind (-want +got):\n%s", diff)
	}
}

func TestParseWindowPolicy(t *testing.T) {
	for in, want := range map[string]providers.WindowPolicy{
		"": "", "enforce": providers.WindowEnforce, " Provider ": providers.WindowProvider,
	} {
		if got, err := providers.ParseWindowPolicy(in); err != nil || got != want {
			t.Errorf("ParseWindowPolicy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := providers.ParseWindowPolicy("off"); err == nil {
		t.Error(`ParseWindowPolicy("off") succeeded`)
	}
}

// Only a permanent refusal without a reason of its own becomes the window.
func TestWindowRefusal(t *testing.T) {
	const window = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
	P, T, A := providers.Permanent, providers.Transient, providers.Account
	for _, c := range []struct {
		class  providers.Class
		reason providers.Reason
		text   string
		want   providers.Reason
	}{
		{P, providers.ReasonNone, window, providers.ReasonWindowClosed},
		{P, providers.ReasonNone, "(#131047) Re-engagement message", providers.ReasonWindowClosed},
		{P, providers.ReasonNone, "the 24-hour customer care session is not open", providers.ReasonWindowClosed},
		{P, providers.ReasonNone, "Invalid attribute value: source", providers.ReasonNone},
		{P, providers.ReasonTemplate, "template not approved within 24 hours", providers.ReasonTemplate},
		{T, providers.ReasonThrottled, "limit of 1000 messages per 24 hours reached", providers.ReasonThrottled},
		{A, providers.ReasonBalance, "no credit for 24 hours", providers.ReasonBalance},
	} {
		class, reason := providers.WindowRefusal(c.class, c.reason, c.text)
		if class != c.class || reason != c.want {
			t.Errorf("WindowRefusal(%s, %q, %q) = %s, %q; want %s, %q", c.class, c.reason, c.text, class, reason, c.class, c.want)
		}
	}
}
