package taqnyat

import (
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// classify decides what an error answer means. code is the provider's
// numeric code ("message":"401"), else the HTTP status; status is the HTTP
// status; text the provider's words. The table is in doc.go.
func classify(code string, status int, text string) (providers.Class, providers.Reason) {
	class, reason := classifyCode(code, status, text)
	return providers.WindowRefusal(class, reason, text)
}

// classifyCode is classify before the window's words are read.
func classifyCode(code string, status int, text string) (providers.Class, providers.Reason) {
	switch code {
	case "131047", "470":
		// WhatsApp's window codes (Cloud API, on-premises), which Taqnyat
		// passes on: more than 24 hours since the customer last replied.
		return providers.Permanent, providers.ReasonWindowClosed
	}
	n, _ := strconv.Atoi(code)
	if n < 100 || n > 599 {
		n = status // a code that is no HTTP status says nothing more
	}
	switch {
	case n == 401, n == 403:
		// The document: "If you failed to authenticate the request, response
		// header with error 401 expected to return."
		return providers.Account, providers.ReasonAuth
	case (n/100 == 4 || n/100 == 2) && mentionsBalance(text):
		// The account is prepaid (the document's "checking your current
		// balance, request a recharge"): no credit stops every message.
		return providers.Account, providers.ReasonBalance
	case n >= 300:
		return providers.ClassifyHTTPStatus(n)
	}
	// An error envelope in a 2xx answer with no code: Taqnyat refused this
	// request as it stands; resending it unchanged will not help.
	return providers.Permanent, providers.ReasonNone
}

// mentionsBalance reports whether the provider's words are about credit.
func mentionsBalance(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"balance", "credit", "recharge"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// classifyState classifies a delivery report that says the message failed
// (in a send's answer) by its state and its details: every such state is
// final for this message.
func classifyState(state, details string) (providers.Class, providers.Reason) {
	switch state {
	case "no_capability": // the recipient lacks WhatsApp capability
		return providers.Permanent, providers.ReasonInvalidRecipient
	case "no_opt_in": // not opted in: whatever the details say, not the window
		return providers.Permanent, providers.ReasonNone
	}
	// failed, deleted (expired), or a failure in a state we do not know:
	// the window when the details describe it.
	return providers.WindowRefusal(providers.Permanent, providers.ReasonNone, details)
}
