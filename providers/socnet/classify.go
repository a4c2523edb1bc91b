package socnet

import (
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// classify decides what a failure means. code is the body's failure code
// (its "status", "invalid" or "not_sent") or else the HTTP status; status is
// the HTTP status; text the provider's words; general whether the body was
// in Socnet's general response format. The table is in doc.go.
//
// The body's code wins over the HTTP status: the document says the code
// may come in either, and Socnet's own word is the more specific.
func classify(code string, status int, text string, general bool) (providers.Class, providers.Reason) {
	class, reason := classifyCode(code, status, text, general)
	// Socnet names no window error; WhatsApp's refusal comes as a FAIL (or
	// another permanent refusal) whose words describe the 24-hour window.
	return providers.WindowRefusal(class, reason, text)
}

// classifyCode is classify before the window's words are read.
func classifyCode(code string, status int, text string, general bool) (providers.Class, providers.Reason) {
	lower := strings.ToLower(text)
	switch code {
	case codeInvalid: // {"status":"invalid"}: not registered on WhatsApp
		return providers.Permanent, providers.ReasonInvalidRecipient
	case "1", codeNotSent: // FAIL: something wrong with the request
		return providers.Permanent, providers.ReasonNone
	case "401": // invalid user credentials
		return providers.Account, providers.ReasonAuth
	case "403": // insufficient credit
		return providers.Account, providers.ReasonBalance
	case "404":
		switch {
		case !general, strings.Contains(lower, "route"):
			// Not Socnet's API answering, or its router: the URL is wrong.
			return providers.Account, providers.ReasonConfig
		case strings.Contains(lower, "template"): // "[Resource] not found"
			return providers.Permanent, providers.ReasonTemplate
		}
		// "There is no text in the image", "[Resource] not found".
		return providers.Permanent, providers.ReasonNone
	case "400", "422": // "The [parameter] field is required." / "... must be [format]."
		switch {
		case strings.Contains(lower, "api_key"), strings.Contains(lower, "api key"):
			// The account's key is refused as malformed: every message
			// would fail the same way, so the account waits.
			return providers.Account, providers.ReasonAuth
		case strings.Contains(lower, "msisdn"):
			return providers.Permanent, providers.ReasonInvalidRecipient
		case strings.Contains(lower, "template"):
			return providers.Permanent, providers.ReasonTemplate
		}
		return providers.Permanent, providers.ReasonNone
	}
	if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
		return providers.ClassifyHTTPStatus(n) // 500, 503 and 429 transient; 405 a wrong URL
	}
	if status >= 300 {
		return providers.ClassifyHTTPStatus(status)
	}
	// A failure word or number in a 2xx that the document does not name:
	// Socnet refused this request as it stands.
	return providers.Permanent, providers.ReasonNone
}
