package modica

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// metaRef finds a WhatsApp Cloud API error code quoted in provider text, in
// Meta's own "(#131047) Re-engagement message" form.
var metaRef = regexp.MustCompile(`\(#(\d{1,6})\)`)

// classify decides what a failure means. code is the provider's code (the
// "error" code, else errors[0].code, else status/statusCode, else the HTTP
// status), status the HTTP status, text the provider's words. The table is
// in doc.go.
//
// WhatsApp codes (a numeric code, or one quoted in the text) are checked
// first, then the Mobile Gateway's error codes, then a code that is itself
// an HTTP status, then the HTTP status.
func classify(code string, status int, text string) (providers.Class, providers.Reason) {
	class, reason := classifyCode(code, status, text)
	// Any other permanent refusal whose words describe the 24-hour window
	// is the window too, whatever code it comes under.
	return providers.WindowRefusal(class, reason, text)
}

// classifyCode is classify before the window's words are read.
func classifyCode(code string, status int, text string) (providers.Class, providers.Reason) {
	n, numeric := strconv.Atoi(code)
	if numeric == nil {
		if class, reason, ok := classifyWhatsApp(n); ok {
			return class, reason
		}
	}
	if m := metaRef.FindStringSubmatch(text); m != nil {
		wa, _ := strconv.Atoi(m[1])
		if class, reason, ok := classifyWhatsApp(wa); ok {
			return class, reason
		}
	}
	switch strings.ToLower(code) {
	case "send_failed": // "Could not queue message due to an unknown error"
		return providers.Transient, providers.ReasonNone
	case "invalid_json", "missing_attrib": // our request is wrong; resending it will not help
		return providers.Permanent, providers.ReasonNone
	case "invalid_attrib":
		switch {
		case providers.SaysWindowClosed(text):
			// Modica's window refusal, which may name the destination
			// too: the window, not the number.
			return providers.Permanent, providers.ReasonWindowClosed
		case strings.Contains(strings.ToLower(text), "destination"):
			return providers.Permanent, providers.ReasonInvalidRecipient
		}
		return providers.Permanent, providers.ReasonNone
	}
	switch {
	case numeric == nil && n >= 300 && n <= 599:
		return providers.ClassifyHTTPStatus(n)
	case status >= 300:
		return providers.ClassifyHTTPStatus(status)
	}
	// An error in a 2xx answer with a code we do not know: Modica refused
	// this request as it stands; resending it unchanged will not help.
	return providers.Permanent, providers.ReasonNone
}

// classifyWhatsApp classifies the WhatsApp Cloud API codes wabulk acts on
// (DESIGN.md "Semantics every part keeps"); ok is false for any other.
func classifyWhatsApp(code int) (providers.Class, providers.Reason, bool) {
	switch code {
	case 131047, 470: // more than 24 hours since the customer last replied
		return providers.Permanent, providers.ReasonWindowClosed, true
	case 130429, 131056, 80007, 4: // throughput, pair rate, WABA and app rate limits
		return providers.Transient, providers.ReasonThrottled, true
	case 131026: // message undeliverable: not a WhatsApp user, or cannot receive
		return providers.Permanent, providers.ReasonInvalidRecipient, true
	case 368, 471, 131031, 131064: // policy block, spam rate limit, sender account locked, messaging limit after template violations
		return providers.Account, providers.ReasonBlocked, true
	case 131053: // media upload error (the media host failed or throttled the fetch): retry
		return providers.Transient, providers.ReasonMedia, true
	case 131042: // business eligibility: payment issue
		return providers.Account, providers.ReasonBalance, true
	}
	return 0, providers.ReasonNone, false
}
