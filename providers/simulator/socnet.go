package simulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the Socnet wire format: Socnet's WhatsApp Messaging API
// V1.01 (seeds/socnet.txt). Every request is one POST to
// /projects/bulk/whatsapp/api.php (any path ending in /api.php) with
//
//	{"api_key":"<32-byte key>","msisdn":"256701234567","msg":"...","template":"<name>"}
//
// The key travels in the body (Config.APIKey: its value); "template" makes
// the message a template, its absence a free-form one. Socnet answers in
// its general response format, the code in the body's "status" and, where
// it is one, as the HTTP status:
//
//	{"message":"Invalid user credentials","status":401}
//
// A send it accepts is answered by one of two "channels", which the
// simulator alternates by sequence number (odd: channel 1, even: channel
// 2) so that a client meets both:
//
//	channel 1: {"sent":"true","message_type":"chat","messageId":"3EB0...","cost":"90"}
//	channel 2: {"messaging_product":"whatsapp","messages":[{"id":"wamid....","message_status":"accepted"}],"cost":0}
//
// The document's examples also carry the recipient (channel 1's
// "from":"<msisdn>@c.us", channel 2's "contacts":[{"input","wa_id"}]); a
// format renders an accept from its id alone, so the simulator leaves them
// out rather than fill in a number that is not the recipient's.
//
// A request carrying the api_key and nothing else is the document's
// Authentication method, answered {"status":"valid"} (HTTP 200) behind a
// good key, the 401 above behind a wrong one; it sends nothing (what
// `wabulk provider check` makes).
//
// Socnet documents no callbacks and no status query: renderStatus and
// renderInbound render nothing, and an accepted message's status is final
// as far as a client can tell (MessageStatus still advances).
//
// The codes a fault or a script may name (codes that are not HTTP statuses
// are the simulator's names for answers Socnet gives in words):
//
//	1     HTTP 200 {"message":"Message could not be sent (...)","status":1}    FAIL
//	401   HTTP 401 {"message":"Invalid user credentials","status":401}
//	403   HTTP 403 {"message":"Insufficient credit (0) for transaction charge of 90","status":403}
//	404   HTTP 404 {"message":"There is no text in the image","status":404}
//	429   HTTP 429 {"message":"Too many requests (...)","status":429}       rate and pair limit; not documented
//	500   HTTP 500 {"message":"Internal server error (...)","status":500}
//	503   HTTP 503 {"message":"Service unavailable (...)","status":503}
//	1200  HTTP 200 {"status":"invalid"}                                      the number is not on WhatsApp
//	1404  HTTP 404 {"data":null,"message":"Template not found","status":404}  "[Resource] not found"
//	1470  HTTP 200 {"message":"Message failed to send because more than 24 hours ...","status":1}
//
// Socnet has no window error of its own: 1470 is how the simulator answers
// a free-form message outside the 24 h window (Config.Window), a FAIL
// saying why in WhatsApp's words, which the Socnet adapter reads as the
// window (permanent, window_closed, code "1").
//
// Validation answers follow the document's general failure response: a
// missing or malformed field is 422 {"message":"The msg field is
// required.","status":422}, a request without an api_key 400 {"data":null,
// "message":"The api_key field is required.","status":400} (Failed
// Response – Missing parameters), another method 405 {"message":"Method is
// not allowed for the requested route","status":405}. Any path other than
// the API's answers the web server's HTML 404 page.

func init() {
	register(socnetFormat{})
	registerScenario("socnet", Scenario{Transient: []int{500, 503}, Throttle: 429, Permanent: 1, Template: 1404, Window: socnetWindow, Auth: 401})
}

type socnetFormat struct{}

// Codes of the simulator's own for answers Socnet gives in words.
const (
	socnetFail         = 1    // the document's FAIL
	socnetUnregistered = 1200 // {"status":"invalid"}: not on WhatsApp
	socnetNoTemplate   = 1404 // 404 "Template not found"
	socnetWindow       = 1470 // FAIL: outside the 24 h window
)

// socnetFaultCodes are the codes a fault or a script may name.
var socnetFaultCodes = []int{socnetFail, 401, 403, 404, 429, 500, 503, socnetUnregistered, socnetNoTemplate, socnetWindow}

// socnetMessages are the "message" of each code's answer, from the
// document where it gives one. Codes in socnetWithReason add the answer's
// details in parentheses: the document leaves their reason open
// ("[Failure reason]").
var socnetMessages = map[int]string{
	socnetFail:       "Message could not be sent",
	400:              "The request could not be read",
	401:              "Invalid user credentials",
	403:              "Insufficient credit (0) for transaction charge of 90",
	404:              "There is no text in the image",
	405:              "Method is not allowed for the requested route",
	429:              "Too many requests",
	500:              "Internal server error",
	503:              "Service unavailable",
	socnetNoTemplate: "Template not found",
	socnetWindow:     "Message failed to send because more than 24 hours have passed since the customer last replied to this number",
}

var socnetWithReason = map[int]bool{socnetFail: true, 400: true, 429: true, 500: true, 503: true}

// socnetWire is the HTTP status and body "status" of each code; codes not
// listed carry their own number in both.
var socnetWire = map[int]struct{ http, status int }{
	socnetFail:       {http.StatusOK, 1},
	socnetNoTemplate: {http.StatusNotFound, 404},
	socnetWindow:     {http.StatusOK, 1},
}

// socnetWithData are the codes whose answer carries "data":null, as the
// document shows for missing parameters and resources not found.
var socnetWithData = map[int]bool{400: true, socnetNoTemplate: true}

func (socnetFormat) name() string       { return "socnet" }
func (socnetFormat) codes() []int       { return socnetFaultCodes }
func (socnetFormat) sendSuffix() string { return "/api.php" }
func (socnetFormat) rateLimitCode() int { return 429 }
func (socnetFormat) pairLimitCode() int { return 429 }
func (socnetFormat) windowCode() int    { return socnetWindow }

func (socnetFormat) credential(_ *http.Request, body []byte) (string, bool) {
	return jsonFieldCredential(body, "api_key")
}

// unauthorized is 401 for a wrong key and, for a request without one, the
// document's "Missing parameters" answer naming api_key.
func (socnetFormat) unauthorized(present bool) answer {
	if !present {
		return answer{code: http.StatusBadRequest, title: "The api_key field is required."}
	}
	return answer{code: http.StatusUnauthorized}
}

// routes answers every path that is not the API with the web server's own
// 404 page: the API is one PHP file, and anything else on the host is not
// Socnet's JSON. The empty suffix matches whatever the send endpoint and
// the simulator's own /_sim endpoints did not.
func (socnetFormat) routes() []route {
	return []route{{suffix: "", serve: serveSocnetNotFound}}
}

const socnetNotFoundPage = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
`

func serveSocnetNotFound(_ *Simulator, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(socnetNotFoundPage))
}

// messageID alternates the two channels' ids by sequence number: odd ones
// are channel 1's WhatsApp Web ids ("3EB0" and 18 upper-case hex digits,
// like the document's "3EB002BAE9545124A5B7B2"), even ones channel 2's
// Cloud API ids ("wamid."...). write picks the answer's shape from the id.
func (socnetFormat) messageID(nonce string, seq uint64) string {
	if seq%2 == 1 {
		hex := strings.ToUpper(strconv.FormatUint(seq, 16))
		return "3EB0" + nonce + strings.Repeat("0", max(0, 10-len(hex))) + hex
	}
	return "wamid.HBgM" + nonce + strconv.FormatUint(seq, 36)
}

// socnetChannel1 is the accept of channel 1 (WhatsApp Web).
type socnetChannel1 struct {
	Sent        string `json:"sent"`
	From        string `json:"from,omitempty"`
	MessageType string `json:"message_type"`
	MessageID   string `json:"messageId"`
	Cost        string `json:"cost"`
}

// socnetChannel2 is the accept of channel 2 (WhatsApp's Cloud API).
type socnetChannel2 struct {
	MessagingProduct string             `json:"messaging_product"`
	Contacts         []metaContactIn    `json:"contacts,omitempty"`
	Messages         []socnetCloudMsgID `json:"messages"`
	Cost             int                `json:"cost"`
}

type socnetCloudMsgID struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status"`
}

// socnetGeneral is the document's general response format.
type socnetGeneral struct {
	Data    json.RawMessage `json:"data,omitempty"` // null where the document shows it
	Message string          `json:"message"`
	Status  int             `json:"status"`
}

func (socnetFormat) write(w http.ResponseWriter, a answer) {
	switch a.code {
	case http.StatusOK:
		if strings.HasPrefix(a.id, "wamid.") {
			ch := socnetChannel2{MessagingProduct: "whatsapp", Messages: []socnetCloudMsgID{{ID: a.id, MessageStatus: "accepted"}}}
			if a.to != "" {
				ch.Contacts = []metaContactIn{{Input: a.to, WaID: a.to}}
			}
			writeJSON(w, http.StatusOK, ch)
			return
		}
		from := ""
		if a.to != "" {
			from = a.to + "@c.us"
		}
		writeJSON(w, http.StatusOK, socnetChannel1{Sent: "true", From: from, MessageType: "chat", MessageID: a.id, Cost: "90"})
		return
	case socnetUnregistered:
		writeJSON(w, http.StatusOK, struct {
			Status string `json:"status"`
		}{"invalid"})
		return
	}
	msg := a.title
	if msg == "" {
		msg = socnetMessages[a.code]
		if msg == "" {
			msg = http.StatusText(a.code)
		}
		if socnetWithReason[a.code] && a.details != "" {
			msg += " (" + a.details + ")"
		}
	}
	wire, ok := socnetWire[a.code]
	if !ok {
		wire.http, wire.status = a.code, a.code
	}
	body := socnetGeneral{Message: msg, Status: wire.status}
	if socnetWithData[a.code] {
		body.Data = json.RawMessage("null")
	}
	writeJSON(w, wire.http, body)
}

// socnetMSISDN is the document's msisdn: N12, "Start with 256".
var socnetMSISDN = regexp.MustCompile(`^256[0-9]{9}$`)

// socnetMaxMsg is WhatsApp's limit on a text message's length.
const socnetMaxMsg = 4096

// socnetInvalid is a 422 naming what is wrong with a field, in the
// document's words ("The [parameter] field is required.", "The [parameter]
// field must be [format].").
func socnetInvalid(message string) *answer {
	return &answer{code: http.StatusUnprocessableEntity, title: message}
}

// parseSend validates like the document's API: msisdn required, 12 digits
// starting with 256 (a string, or a JSON number); msg a required string;
// template, when given, a string. Empty strings count as absent, and
// strings are trimmed, as the PHP framework behind the document's
// messages does. A request without a template is free-form.
func (socnetFormat) parseSend(body []byte) (parsed, *answer) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return parsed{}, &answer{code: http.StatusBadRequest, title: "The request body must be a JSON object."}
	}
	msisdn, isString, present := socnetField(m["msisdn"])
	if !isString { // N12: a number is as good as its digits
		var n json.Number
		if present && json.Unmarshal(m["msisdn"], &n) == nil {
			msisdn, isString = n.String(), true
		}
	}
	switch {
	case !present:
		return parsed{}, socnetInvalid("The msisdn field is required.")
	case !isString || !socnetMSISDN.MatchString(msisdn):
		return parsed{}, socnetInvalid("The msisdn field must be 12 digits starting with 256.")
	}
	msg, isString, present := socnetField(m["msg"])
	switch {
	case !present:
		return parsed{}, socnetInvalid("The msg field is required.")
	case !isString:
		return parsed{}, socnetInvalid("The msg field must be a string.")
	case utf8.RuneCountInString(msg) > socnetMaxMsg:
		return parsed{}, socnetInvalid("The msg field must not be greater than " + strconv.Itoa(socnetMaxMsg) + " characters.")
	}
	_, isString, template := socnetField(m["template"])
	if template && !isString {
		return parsed{}, socnetInvalid("The template field must be a string.")
	}
	return parsed{to: msisdn, freeForm: !template}, nil
}

// socnetField reads one request field: present is false when it is
// missing, null or a blank string; isString says whether it is a string,
// s is then its trimmed value.
func socnetField(raw json.RawMessage) (s string, isString, present bool) {
	if raw == nil || string(raw) == "null" {
		return "", false, false
	}
	if json.Unmarshal(raw, &s) != nil {
		return "", false, true
	}
	s = strings.TrimSpace(s)
	return s, true, s != ""
}

// renderStatus renders nothing: Socnet sends no delivery reports.
func (socnetFormat) renderStatus(statusEvent) ([]byte, http.Header) { return nil, nil }

// renderInbound renders nothing: Socnet documents no inbound callback.
func (socnetFormat) renderInbound(inboundEvent) ([]byte, http.Header) { return nil, nil }

// isAuthCheck reports whether body is the Authentication method's request:
// a JSON object whose only field is api_key.
func (socnetFormat) isAuthCheck(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || len(m) != 1 {
		return false
	}
	_, ok := m["api_key"]
	return ok
}

// writeAuthValid is the document's "Successful Response": {"status":"valid"}.
func (socnetFormat) writeAuthValid(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{"valid"})
}
