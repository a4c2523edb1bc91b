package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// This file is the Modica wire format: Modica's Mobile Gateway REST API
// used as a WhatsApp Business channel (seeds/modica.txt, and the adapter in
// providers/modica). Requests carry HTTP Basic auth with the application
// name and password (Config.APIKey: "user:pass") and post one text:
//
//	POST <base>/rest/gateway/messages
//	{"destination":"+64211234567","content":"Kia ora","source":"+6421000000","reference":"camp-1:+64211234567"}
//
// The gateway carries text only, so every message is free-form. An accept
// is 201 Created with the new message's id in a bare array, [4815162342].
// The gateway's own errors are {"error":"<code>","error-desc":"<words>"}
// (invalid_json, missing_attrib, invalid_attrib, send_failed), the web
// framework's are {"status":401,"message":"Unauthorized"}, and WhatsApp
// errors come through as the Cloud API reports them:
//
//	{"error":"(#131056) (Business Account, Consumer Account) pair rate limit hit","message":"Whatsapp Cloud API error","statusCode":400}
//
// A free-form message outside the 24 h window (Config.Window) is refused by
// the gateway itself, as an invalid attribute in WhatsApp's words
// (modicaWindowAttrib); the Cloud API's own "(#131047) Re-engagement
// message" can be scripted too:
//
//	400 {"error":"invalid_attrib","error-desc":"Message failed to send because more than 24 hours have passed ..."}
//
// Callbacks are the document's DLR {"id","status","reference"} with the
// statuses sent, received and rejected (Modica has no read receipt), and
// the MO {"id","source","Destination","content"} whose content is the
// WhatsApp message object.

func init() {
	register(modicaFormat{})
	registerScenario("modica", Scenario{Transient: []int{500, 503}, Throttle: 429, Permanent: 400, Template: 0, Window: modicaWindowAttrib, Auth: 401})
}

type modicaFormat struct{}

// The provider codes: HTTP statuses for the gateway's and the framework's
// answers, WhatsApp codes for what the Cloud API reports through it.
const (
	modicaWindow = 131047 // Re-engagement message: outside the 24 h window
	modicaPair   = 131056 // pair rate limit: too many messages to one recipient
	// modicaWindowAttrib is the simulator's own code for the gateway's
	// window refusal: 400 invalid_attrib in WhatsApp's words.
	modicaWindowAttrib = 4470
)

// modicaWindowWords is how the gateway words its window refusal.
const modicaWindowWords = "Message failed to send because more than 24 hours have passed since the customer last replied to this number"

// modicaFaultCodes are the codes a fault or a script may name: 400 an
// invalid destination, 401 bad credentials, 429 throttling, 500 a message
// the gateway could not queue, 503 an outage, the gateway's window refusal,
// then the WhatsApp codes.
var modicaFaultCodes = []int{400, 401, 429, 500, 503, modicaWindowAttrib, modicaWindow, modicaPair}

// modicaWhatsApp are the Cloud API errors the gateway relays, in Meta's
// "(#code) title" form.
var modicaWhatsApp = map[int]string{
	modicaWindow: "(#131047) Re-engagement message",
	modicaPair:   "(#131056) (Business Account, Consumer Account) pair rate limit hit",
}

// The gateway's error codes and the words it answers them with.
const (
	modicaInvalidJSON   = "invalid_json"
	modicaMissingAttrib = "missing_attrib"
	modicaInvalidAttrib = "invalid_attrib"
	modicaSendFailed    = "send_failed"
)

func (modicaFormat) name() string       { return "modica" }
func (modicaFormat) codes() []int       { return modicaFaultCodes }
func (modicaFormat) sendSuffix() string { return "/rest/gateway/messages" }
func (modicaFormat) rateLimitCode() int { return http.StatusTooManyRequests }
func (modicaFormat) pairLimitCode() int { return modicaPair }
func (modicaFormat) windowCode() int    { return modicaWindowAttrib }
func (modicaFormat) routes() []route    { return nil }

func (modicaFormat) credential(r *http.Request, _ []byte) (string, bool) {
	return basicCredential(r)
}

// unauthorized is the framework's 401, the same with or without a header.
func (modicaFormat) unauthorized(bool) answer {
	return answer{code: http.StatusUnauthorized}
}

// messageID is a number, as the gateway's ids are: six digits from the
// instance nonce, then the sequence number in nine, so a restarted
// simulator does not hand out the ids of the last run. It stays below
// 2^53, safe for clients that read JSON numbers as floats.
func (modicaFormat) messageID(nonce string, seq uint64) string {
	n, _ := strconv.ParseUint(nonce, 16, 64) // 8 hex digits: always parses
	return strconv.FormatUint((n%900_000+100_000)*1_000_000_000+seq%1_000_000_000, 10)
}

type modicaGatewayError struct {
	Error string `json:"error"`
	Desc  string `json:"error-desc"`
}

type modicaFrameworkError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

type modicaCloudError struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

func (modicaFormat) write(w http.ResponseWriter, a answer) {
	switch a.code {
	case http.StatusOK:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("[" + a.id + "]")) // digits only: a JSON number
	case http.StatusBadRequest:
		writeJSON(w, http.StatusBadRequest, modicaBadRequest(a))
	case http.StatusInternalServerError:
		writeJSON(w, a.code, modicaGatewayError{Error: modicaSendFailed, Desc: "Could not queue message due to an unknown error"})
	case modicaWindowAttrib:
		desc := modicaWindowWords
		if a.details != "" {
			desc += " (" + a.details + ")"
		}
		writeJSON(w, http.StatusBadRequest, modicaGatewayError{Error: modicaInvalidAttrib, Desc: desc})
	case modicaWindow, modicaPair:
		writeJSON(w, http.StatusBadRequest, modicaCloudError{Error: modicaWhatsApp[a.code], Message: "Whatsapp Cloud API error", StatusCode: http.StatusBadRequest})
	default: // 401, 404, 405, 429, 503: the framework answers
		status := a.code
		if http.StatusText(status) == "" {
			status = http.StatusInternalServerError
		}
		writeJSON(w, status, modicaFrameworkError{Status: status, Message: http.StatusText(status)})
	}
}

// modicaBadRequest is the gateway's 400. A validation rejection names its
// error code in title; a body the engine could not read is invalid JSON;
// a scripted or faulted 400 is the gateway refusing the destination, its
// usual permanent refusal of one message.
func modicaBadRequest(a answer) modicaGatewayError {
	switch {
	case a.title != "":
		return modicaGatewayError{Error: a.title, Desc: a.details}
	case strings.HasPrefix(a.details, "request body") || strings.HasPrefix(a.details, "reading request body"):
		return modicaGatewayError{Error: modicaInvalidJSON, Desc: "Invalid JSON data in the request body"}
	}
	return modicaGatewayError{Error: modicaInvalidAttrib, Desc: "Invalid attribute value: destination"}
}

func modicaReject(code, desc string) *answer {
	return &answer{code: http.StatusBadRequest, title: code, details: desc}
}

func modicaMissing(attr string) *answer {
	return modicaReject(modicaMissingAttrib, "Missing a required attribute: "+attr)
}

func modicaInvalid(attr string) *answer {
	return modicaReject(modicaInvalidAttrib, "Invalid attribute value: "+attr)
}

// parseSend validates like the gateway: one JSON object; destination and
// content required strings; destination in international format ("+"
// and 7 to 15 digits); source, when given, an international number or a
// short code; reference, when given, a string. Other members (class, mask,
// sms_class, scheduled) are the gateway's and pass.
func (modicaFormat) parseSend(body []byte) (parsed, *answer) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return parsed{}, modicaReject(modicaInvalidJSON, "Invalid JSON data in the request body")
	}
	str := func(name string) (s string, present, ok bool) {
		raw, found := m[name]
		if !found || bytes.Equal(raw, []byte("null")) {
			return "", false, false
		}
		ok = json.Unmarshal(raw, &s) == nil
		return s, true, ok
	}
	dest, present, ok := str("destination")
	switch {
	case !present:
		return parsed{}, modicaMissing("destination")
	case !ok || !strings.HasPrefix(dest, "+") || !isWaID(dest[1:]):
		return parsed{}, modicaInvalid("destination")
	}
	content, present, ok := str("content")
	switch {
	case !present:
		return parsed{}, modicaMissing("content")
	case !ok || strings.TrimSpace(content) == "":
		return parsed{}, modicaInvalid("content")
	}
	if src, present, ok := str("source"); present && (!ok || !modicaSource(src)) {
		return parsed{}, modicaInvalid("source")
	}
	if _, present, ok := str("reference"); present && !ok {
		return parsed{}, modicaInvalid("reference")
	}
	return parsed{to: dest[1:], freeForm: true}, nil
}

// modicaSource reports whether s can be a sender: an international number
// or a short code of 3 to 15 digits.
func modicaSource(s string) bool {
	if strings.HasPrefix(s, "+") {
		return isWaID(s[1:])
	}
	if len(s) < 3 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// modicaDLR is the DLR callback. reference would echo the send's, but a
// format keeps no state and the engine does not carry it: it is left out.
type modicaDLR struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Reference string `json:"reference,omitempty"`
}

// modicaDLRStatus are the engine's statuses in the DLR's words. "read" has
// none: the gateway reports no read state.
var modicaDLRStatus = map[string]string{
	"sent":      "sent",
	"delivered": "received",
	"failed":    "rejected",
}

var modicaHookHeader = http.Header{"Content-Type": {"application/json"}}

func (modicaFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	word, ok := modicaDLRStatus[st.Status]
	if !ok {
		return nil, nil
	}
	return mustJSON(modicaDLR{ID: st.MessageID, Status: word}), modicaHookHeader.Clone()
}

// modicaMO is the MO callback; Destination is capitalised as the document
// writes it.
type modicaMO struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Destination string          `json:"Destination"`
	Content     modicaMOContent `json:"content"`
}

// modicaMOContent is the WhatsApp text message notification.
type modicaMOContent struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
}

func (modicaFormat) renderInbound(in inboundEvent) ([]byte, http.Header) {
	c := modicaMOContent{From: in.From, ID: "wamid.HBgM" + in.ID, Timestamp: unixSeconds(in.Time), Type: "text"}
	c.Text.Body = in.Text
	mo := modicaMO{ID: in.ID, Source: "+" + in.From, Destination: "+" + in.To, Content: c}
	return mustJSON(mo), modicaHookHeader.Clone()
}
