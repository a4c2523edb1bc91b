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
// (in a send's answer): every such state is final for this message.
func classifyState(state string) (providers.Class, providers.Reason) {
	switch state {
	case "no_capability": // the recipient lacks WhatsApp capability
		return providers.Permanent, providers.ReasonInvalidRecipient
	}
	// no_opt_in (recipient not opted in), failed, deleted (expired), or a
	// failure in a state we do not know.
	return providers.Permanent, providers.ReasonNone
}
