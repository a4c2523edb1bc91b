package meta

import (
	"strconv"

	"github.com/wabulk/wabulk/providers"
)

// classify decides what a failure means from the Graph error's code and
// subcode, the HTTP status, and the error's is_transient flag. The table
// is in doc.go.
//
// The Cloud API returns most errors with HTTP 400 whatever they mean, so a
// code Meta documents always wins over the status. An undocumented code is
// transient when Graph marks it is_transient, else the HTTP status decides
// (so an unknown code under 400 is permanent, under 5xx transient). An
// error inside a 2xx with no known code is permanent: Meta refused this
// request as it stands.
func classify(code, subcode string, status int, isTransient bool) (providers.Class, providers.Reason) {
	if status == 401 {
		// The access token, whatever code the body names (a 401 with
		// 131000 is not a retryable generic error): pause the account.
		return providers.Account, providers.ReasonAuth
	}
	if code != "" {
		if n, err := strconv.Atoi(code); err == nil {
			if class, reason, ok := classifyCode(n, subcode); ok {
				return class, reason
			}
		}
		if isTransient {
			return providers.Transient, providers.ReasonNone
		}
	}
	if status >= 300 || status < 200 {
		return providers.ClassifyHTTPStatus(status)
	}
	return providers.Permanent, providers.ReasonNone
}

// classifyCode is the table of codes Meta documents for the Cloud API and
// the Graph API under it. ok is false for a code it does not know.
func classifyCode(n int, subcode string) (class providers.Class, reason providers.Reason, ok bool) {
	const (
		T = providers.Transient
		P = providers.Permanent
		A = providers.Account
	)
	switch {
	// Throttling.
	case n == 4, n == 17, n == 32, n == 613: // Graph: app, user, page and hourly call limits
		return T, providers.ReasonThrottled, true
	case n == 80007: // WhatsApp Business Account rate limit
		return T, providers.ReasonThrottled, true
	case n == 130429: // Cloud API throughput reached
		return T, providers.ReasonThrottled, true
	case n == 131056: // too many messages to this one recipient (pair rate limit)
		return T, providers.ReasonThrottled, true
	case n == 133016: // register/deregister rate limit (not a send error; a rate limit all the same)
		return T, providers.ReasonThrottled, true

	// Meta-side trouble: retry.
	case n == 1, n == 2: // API Unknown (possible server error); API Service (downtime, overload)
		return T, providers.ReasonNone, true
	case n == 131000, n == 131016: // something went wrong; service unavailable
		return T, providers.ReasonNone, true
	case n == 131057, n == 133004: // account in maintenance mode; server temporarily unavailable
		return T, providers.ReasonNone, true
	case n == 131053: // media upload error: fetching the media failed (its host answered 429, timed out): retry
		return T, providers.ReasonMedia, true

	// The 24-hour customer-service window.
	case n == 131047: // re-engagement message: more than 24 h since the user last wrote
		return P, providers.ReasonWindowClosed, true
	case n == 470: // the on-premises API's code for the same, from a gateway that relays it
		return P, providers.ReasonWindowClosed, true

	// Integrity: the business account is blocked or limited.
	case n == 131048: // spam rate limit: too many messages blocked or flagged
		return A, providers.ReasonBlocked, true
	case n == 368: // temporarily blocked for policy violations
		return A, providers.ReasonBlocked, true
	case n == 131031: // business account locked
		return A, providers.ReasonBlocked, true
	case n == 131064: // messaging limit reached after template violations: every message would fail alike
		return A, providers.ReasonBlocked, true
	case n == 130497: // business restricted from messaging users in this country: this recipient only
		return P, providers.ReasonBlocked, true

	// Credentials and permissions.
	case n == 0, n == 3, n == 10, n == 190, n >= 200 && n <= 299, n == 131005:
		// AuthException; capability; permission denied; access token
		// expired or invalid; API permission; access denied
		return A, providers.ReasonAuth, true

	// Payment.
	case n == 131042: // business eligibility payment issue
		return A, providers.ReasonBalance, true

	// The sending number is misconfigured: every message would fail alike.
	case n == 100 && subcode == "33", n == 33:
		// "Object with ID ... does not exist": a wrong PhoneNumberID, or a
		// token without access to it; 33: the business number was deleted
		return A, providers.ReasonConfig, true
	case n == 131037, n == 131045, n == 133010:
		// display name needs approval; incorrect certificate; phone number
		// not registered
		return A, providers.ReasonConfig, true
	case n == 131055: // method not allowed: a wrong endpoint
		return A, providers.ReasonConfig, true

	// This message or this recipient.
	case n == 131026: // message undeliverable (not on WhatsApp, old client, terms not accepted)
		return P, providers.ReasonInvalidRecipient, true
	case n == 131021: // recipient is the sender
		return P, providers.ReasonInvalidRecipient, true
	case n == 131030: // recipient not in the allowed list (test numbers)
		return P, providers.ReasonInvalidRecipient, true
	case n == 131051: // unsupported message type
		return P, providers.ReasonUnsupported, true
	case n == 131052: // media download error
		return P, providers.ReasonMedia, true
	case n >= 132000 && n <= 132999:
		// templates: 132000 parameter count mismatch, 132001 does not
		// exist, 132005 text too long, 132007 policy, 132012 parameter
		// format, 132015 paused, 132016 disabled, 1320xx flows
		return P, providers.ReasonTemplate, true
	case n == 100, n == 131008, n == 131009: // invalid parameter; required parameter missing; value not valid
		return P, providers.ReasonNone, true
	case n == 130472, n == 131049, n == 131050, n == 135000:
		// recipient in an experiment; not delivered for ecosystem
		// engagement (per-user marketing limit); user stopped marketing
		// messages; generic user error
		return P, providers.ReasonNone, true
	}
	return 0, providers.ReasonNone, false
}
