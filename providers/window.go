package providers

import (
	"fmt"
	"strings"
)

// WindowPolicy is how an account keeps WhatsApp's 24-hour customer-service
// window: a free-form (session) message reaches a contact only within 24 h
// of the contact's last message to the business; a template may always go.
type WindowPolicy string

const (
	// WindowEnforce: wabulk sends a free-form message only inside a window
	// it saw open, an inbound message it received for the account in the
	// last 24 h; elsewhere the message ends window_closed (or its fallback
	// template goes) without a request. Right where wabulk receives the
	// account's inbound messages (Kind.Inbound).
	WindowEnforce WindowPolicy = "enforce"
	// WindowProvider: wabulk sends a free-form message and lets the
	// provider's window refusal decide (window_closed, and the contact's
	// window recorded closed, so the next free-form message to the contact
	// is not sent until an inbound message reopens it). Right where wabulk
	// never learns of the account's inbound messages.
	WindowProvider WindowPolicy = "provider"
)

// ParseWindowPolicy reads a policy as the config writes it; "" is the
// kind's default (Kind.DefaultWindow), returned as "".
func ParseWindowPolicy(s string) (WindowPolicy, error) {
	switch p := WindowPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "", WindowEnforce, WindowProvider:
		return p, nil
	}
	return "", fmt.Errorf("window %q: want %s or %s", s, WindowEnforce, WindowProvider)
}

// DefaultWindow is the window policy of an account of kind k that names
// none: enforce where the provider delivers the contacts' inbound messages
// to wabulk (the window is known), provider where it does not (enforcing a
// window wabulk can never see open would refuse every free-form message).
func (k *Kind) DefaultWindow() WindowPolicy {
	if k.Inbound {
		return WindowEnforce
	}
	return WindowProvider
}

// windowWords are how providers word WhatsApp's window refusal: Meta's
// explanation of 131047 and 470 ("Message failed to send because more
// than 24 hours have passed since the customer last replied to this
// number"), its title ("Re-engagement message"), the code quoted in the
// words, and resellers' paraphrases (a 24-hour session or window).
var windowWords = []string{
	"24 hour", "24-hour", "24h",
	"re-engagement", "reengagement", "131047",
	"customer care session", "customer service window", "customer-service window",
}

// SaysWindowClosed reports whether a provider's words for a refusal
// describe WhatsApp's 24-hour window. Adapters ask it only of a refusal
// they would otherwise read as permanent without a reason (WindowRefusal):
// a rate limit or a credentials error that happens to name 24 hours stays
// what it is.
func SaysWindowClosed(text string) bool {
	t := strings.ToLower(text)
	for _, w := range windowWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// WindowRefusal refines an adapter's classification of a refusal: a
// Permanent failure with no reason of its own whose words describe the
// 24-hour window (SaysWindowClosed) is ReasonWindowClosed, so the worker
// ends the message window_closed and closes the contact's window whatever
// code the provider files it under (Modica's invalid_attrib, Socnet's FAIL).
func WindowRefusal(class Class, reason Reason, text string) (Class, Reason) {
	if class == Permanent && reason == ReasonNone && SaysWindowClosed(text) {
		return Permanent, ReasonWindowClosed
	}
	return class, reason
}
