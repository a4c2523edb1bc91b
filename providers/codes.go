package providers

import "strings"

// CodeMeaning says in a few words what an error code recorded with a
// message means: WhatsApp Business API codes (Meta's Cloud API and the
// On-Premises API most resellers relay), the HTTP statuses adapters record
// when a provider gives no code of its own, and wabulk's own codes. ""
// when the code is not known here; the record's error text (the
// provider's own words) says more.
func CodeMeaning(code string) string {
	if m, ok := codeMeanings[strings.ToLower(strings.TrimSpace(code))]; ok {
		return m
	}
	return ""
}

var codeMeanings = map[string]string{
	// wabulk's own codes.
	"ttl":               "the message's TTL passed before it could be sent",
	"ambiguous":         "the request was cut off after it was written: the provider may have it, so it is never sent again",
	"cancelled":         "the campaign was cancelled",
	"opted_out":         "the recipient opted out of this account's messages",
	"marketing_stopped": "the recipient stopped this account's marketing messages",
	"window":            "free-form message outside the contact's 24-hour customer-service window",
	"payload":           "the task's payload could not be read",
	"no_task":           "the message's task was lost before it ran",
	"unconfirmed":       "the claim was not confirmed by the Redis replicas; not sent",
	"invalid_number":    "the recipient's number is not a valid phone number",
	// HTTP statuses.
	"400": "the provider refused the request as malformed (400)",
	"401": "the provider refused the credentials (401)",
	"403": "the provider forbade the request (403)",
	"404": "the provider's API does not answer at this URL (404)",
	"408": "the provider timed out reading the request (408)",
	"413": "the request was too large for the provider (413)",
	"422": "the provider could not use a value of the request (422)",
	"429": "the provider's rate limit (429)",
	"500": "the provider failed (500)",
	"502": "a gateway in front of the provider failed (502)",
	"503": "the provider was unavailable (503)",
	"504": "a gateway in front of the provider timed out (504)",
	// WhatsApp Business API.
	"0":      "authentication failed (AuthException)",
	"3":      "the app lacks the capability or permission for this call",
	"4":      "too many calls from the app (throttled)",
	"10":     "permission denied",
	"190":    "the access token expired or is invalid",
	"200":    "permission denied",
	"368":    "the account is temporarily blocked for policy violations",
	"470":    "more than 24 hours since the customer last replied (re-engagement required: send a template)",
	"471":    "spam rate limit: the account sends too many messages that users block",
	"1014":   "the recipient is not a valid WhatsApp user",
	"80007":  "the WhatsApp Business Account's rate limit",
	"130429": "Cloud API throughput reached (rate limit)",
	"130472": "the recipient is part of an experiment and was not sent marketing messages",
	"130497": "the business cannot send to users in this country",
	"131000": "something went wrong at WhatsApp (generic error)",
	"131005": "access denied",
	"131008": "a required parameter is missing",
	"131009": "a parameter value is not valid",
	"131016": "WhatsApp is temporarily unavailable",
	"131021": "the sender and the recipient are the same number",
	"131026": "message undeliverable: the number is not on WhatsApp, or its WhatsApp is too old or has not accepted the terms",
	"131031": "the business account is locked",
	"131042": "payment problem with the business account",
	"131045": "the phone number is not registered (certificate)",
	"131047": "more than 24 hours since the customer last replied (re-engagement required: send a template)",
	"131048": "spam rate limit: too many messages that users block or report",
	"131049": "not delivered to keep the recipient's experience healthy (Meta's marketing limit per user)",
	"131050": "the recipient stopped marketing messages from this business",
	"131051": "message type not supported",
	"131052": "the recipient's media could not be downloaded",
	"131053": "media upload failed (the media URL could not be fetched or is of the wrong type)",
	"131056": "too many messages to the same recipient in a short time (pair rate limit)",
	"131057": "the business account is in maintenance mode",
	"131064": "the business phone number is restricted from sending",
	"132000": "the template's parameter count does not match",
	"132001": "the template does not exist in this language, or is not approved",
	"132005": "the template's text is too long once its parameters are filled",
	"132007": "the template's content breaks WhatsApp's policy",
	"132012": "the template's parameters are of the wrong format",
	"132015": "the template is paused for low quality",
	"132016": "the template is disabled for low quality",
	"133010": "the phone number is not registered on the Cloud API",
	"135000": "generic user error",
}
