package tujenge

import (
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// classify decides what a failure means. code is the provider's code
// (errors[0].code, else meta.http_code, else the HTTP status), status the
// HTTP status, text the provider's words. The table is in doc.go.
//
// Codes Tujenge and WhatsApp document win over the HTTP status; a code that
// is itself an HTTP status (400, 408, 500 ...) is read as one; otherwise the
// HTTP status decides.
func classify(code string, status int, text string) (providers.Class, providers.Reason) {
	if status == 401 {
		// The credentials, whatever code the body names (a 401 with
		// 1000 is not a media error): pause the account, fail nothing.
		return providers.Account, providers.ReasonAuth
	}
	class, reason := classifyCode(code, status, text)
	return providers.WindowRefusal(class, reason, text)
}

// classifyCode is classify before the window's words are read.
func classifyCode(code string, status int, text string) (providers.Class, providers.Reason) {
	n, _ := strconv.Atoi(code)
	switch {
	case n == 470, n == 131047: // the window: on-premises code, and the Cloud API's
		return providers.Permanent, providers.ReasonWindowClosed
	case n == 471, n == 1031: // spam rate limit; sender account locked
		return providers.Account, providers.ReasonBlocked
	case n == 1005: // access denied
		return providers.Account, providers.ReasonAuth
	case n == 1015: // too many requests
		return providers.Transient, providers.ReasonThrottled
	case n == 1011, n == 1016: // service not ready; system overloaded
		return providers.Transient, providers.ReasonNone
	case n == 1000, n == 1014: // media unsupported or unprocessable; media URL fetch failed
		return providers.Permanent, providers.ReasonMedia
	case n == 1009: // invalid parameter (e.g. latitude)
		return providers.Permanent, providers.ReasonNone
	case n == 1013, n == 1026: // user not valid; receiver incapable
		return providers.Permanent, providers.ReasonInvalidRecipient
	case n >= 2000 && n <= 2099: // template errors (2001: name not in translation)
		return providers.Permanent, providers.ReasonTemplate
	case strings.Contains(strings.ToLower(text), "structure unavailable"):
		// Documented as code 500 "structure unavailable: Client could not
		// display highly structured message": a template format problem,
		// whatever the HTTP status.
		return providers.Permanent, providers.ReasonTemplate
	case n >= 400 && n <= 599:
		return providers.ClassifyHTTPStatus(n)
	case status >= 300:
		return providers.ClassifyHTTPStatus(status)
	}
	// An error in a 2xx (or 1xx/3xx) answer with a code we do not know:
	// the provider refused this request; resending it unchanged will not help.
	return providers.Permanent, providers.ReasonNone
}
