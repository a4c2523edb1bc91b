package decisiontelecom

import (
	"net/http"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// classify decides what a failure means. The table, with the document's
// row for each line, is in doc.go.
//
// The document's codes win over the status, because DecisionTelecom reuses
// statuses for unrelated things: 401 is its file_url MIME/extension check
// (codes 8, 9), not only a credentials failure; 503 is the 24-hour window
// (code 7), not only an outage; code 0 is "Too Many Requests" only when
// the status is 429.
func classify(p problem) (providers.Class, providers.Reason) {
	class, reason := classifyCode(p)
	// Any other permanent refusal whose words describe the window is the
	// window too.
	return providers.WindowRefusal(class, reason, p.text)
}

// classifyCode is classify before the window's words are read.
func classifyCode(p problem) (providers.Class, providers.Reason) {
	t := strings.ToLower(p.text)
	code := func(cs ...int64) bool {
		for _, c := range cs {
			if p.hasCode && p.code == c {
				return true
			}
		}
		return false
	}
	switch {
	case code(7), p.status == http.StatusServiceUnavailable && strings.Contains(t, "24 hours"):
		// "more than 24 hours have passed since the customer last replied
		// to this number. In this case, you can only send a template message"
		return providers.Permanent, providers.ReasonWindowClosed
	case code(8, 9), p.status == http.StatusUnauthorized && aboutFile(t):
		// "Invalid credintals for file_url": invalid MIME type / file extension
		return providers.Permanent, providers.ReasonMedia
	case code(3), p.status == http.StatusPaymentRequired:
		// "Topup balance is required: User balance is empty"
		return providers.Account, providers.ReasonBalance
	case p.status == http.StatusTooManyRequests,
		strings.Contains(t, "too many requests"), strings.Contains(t, "rate limit exceeded"):
		// code 0: "Too Many Requests: Rate limit exceeded"
		return providers.Transient, providers.ReasonThrottled
	case code(1):
		// "Invalid Parameter: [param_name]: Empty parameter or parameter
		// validation error"
		return invalidParameter(p.name)
	case code(2, 4, 5, 6):
		// "Internal server error"
		return providers.Transient, providers.ReasonNone
	case p.status >= 300 || p.status < 200:
		// 401/403 credentials and 404/405/redirects (a wrong BaseURL) are
		// account-level, 5xx transient, other 4xx permanent.
		return providers.ClassifyHTTPStatus(p.status)
	}
	// The error object in a 2xx with a code the document does not list:
	// DecisionTelecom refused this request as it stands.
	return providers.Permanent, providers.ReasonNone
}

// aboutFile reports whether an error's words are about file_url rather than
// the account's credentials.
func aboutFile(t string) bool {
	return strings.Contains(t, "file_url") || strings.Contains(t, "mime") || strings.Contains(t, "file extension")
}

// invalidParameter classifies code 1 by the parameter its name names
// ("Invalid Parameter: destination_addr").
func invalidParameter(name string) (providers.Class, providers.Reason) {
	param := name
	if i := strings.LastIndex(param, ":"); i >= 0 {
		param = param[i+1:]
	}
	param = strings.ToLower(strings.Trim(strings.TrimSpace(param), "[]\"' "))
	switch param {
	case "destination_addr":
		return providers.Permanent, providers.ReasonInvalidRecipient
	case "template_name", "template_params":
		return providers.Permanent, providers.ReasonTemplate
	case "file_url":
		return providers.Permanent, providers.ReasonMedia
	case "source_addr", "callback_url":
		// Account configuration (Config.Source, Config.CallbackURL): every
		// message would fail the same way, so the account waits for the
		// operator instead.
		return providers.Account, providers.ReasonConfig
	}
	return providers.Permanent, providers.ReasonNone
}
