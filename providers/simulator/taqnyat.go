package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"weak"
)

// This file is the Taqnyat wire format: the Taqnyat WhatsApp Business API
// (seeds/taqnyat.txt, base https://api.taqnyat.sa/wa/v1/), which is, nearly
// word for word, the Sinch WhatsApp API v1. Requests carry
// "Authorization: Bearer <token>" (Config.APIKey: the token). A send is
//
//	POST <base>/messages/ {"to":["966501234567"],"message":{"type":"text","text":"..."}}
//
// and is answered like a delivery report:
//
//	201 {"type":"whatsapp","statuses":[{"message_id":"01...","status":"success","state":"queued"}]}
//
// Errors are {"message":"Validation error","details":"..."} (400) and
// {"message":"401","reason":"Unauthorized"} (the code in "message"); the
// gateway's 502 and 504 are nginx HTML pages. Taqnyat refuses some
// messages in a 201 whose report says failure, with the state saying why
// (no_opt_in, no_capability, failed). The document names no error codes
// beyond HTTP statuses, so those refusals, a window refusal in a failed
// report and the balance error get codes of the simulator's own
// (taqnyatNoOptIn and the others below), for Script and Faults. A
// free-form message outside the 24 h window (Config.Window) is answered
// with WhatsApp's own code, which Taqnyat passes on in its error shape:
//
//	400 {"message":"131047","reason":"Re-engagement message","details":"Message failed to send because more than 24 hours ..."}
//
// The document names no throttling answer either: the rate and pair
// limits are 429 with Retry-After.
//
// Callbacks are the document's "Callback Structure": delivery reports
//
//	{"type":"whatsapp","statuses":[{"status":"success","state":"delivered","message_id":"01...",
//	 "recipient":"966501234567","timestamp":"2020-05-02T18:40:42Z"}]}
//
// (a failed one {"status":"failure","state":"failed","details":"..."}) and
// inbound messages
//
//	{"type":"whatsapp","contacts":[{"profile":{"name":"..."},"wa_id":"9665..."}],
//	 "notifications":[{"from":"9665...","to":"<business number>","message_id":"01...",
//	  "message":{"type":"text","body":"..."},"timestamp":"2020-05-02T18:40:42Z"}]}
//
// POST and DELETE <base>/provision/optin/ {"numbers":["9665..."]} record
// opt-ins and opt-outs (Simulator.TaqnyatOptIns reads them back); they
// are not enforced: script taqnyatNoOptIn for a number that never opted in.

func init() {
	register(taqnyatFormat{})
	// Template is 0: the Taqnyat adapter has no template classification
	// (the document names no such error).
	registerScenario("taqnyat", Scenario{Transient: []int{500, 502, 503, 504}, Throttle: 429,
		Permanent: taqnyatNoOptIn, Window: taqnyatReEngagement, Auth: 401})
}

// The simulator's own codes for Taqnyat answers that carry no code of
// their own. The 201x codes answer 201 with a failed delivery report.
const (
	taqnyatNoOptIn      = 2011 // 201, state no_opt_in: the recipient never opted in
	taqnyatNoCapability = 2012 // 201, state no_capability: not on WhatsApp
	taqnyatFailed       = 2013 // 201, state failed
	taqnyatWindow       = 2014 // 201, state failed, details: outside the 24-hour session
	taqnyatNoBalance    = 4002 // 400 {"message":"Insufficient balance"}
)

// taqnyatReEngagement is WhatsApp's window code, which Taqnyat passes on:
// 400 {"message":"131047","reason":"Re-engagement message",...}. It is
// what Config.Window answers and what a failed receipt carries.
const taqnyatReEngagement = 131047

// taqnyatWindowWords is WhatsApp's explanation of the window refusal.
const taqnyatWindowWords = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."

// taqnyatMaxRecipients bounds "to" and "numbers": the document's "1 to 20
// elements".
const taqnyatMaxRecipients = 20

// taqnyatCodes are the codes a fault or a script may name.
var taqnyatCodes = []int{400, 401, 429, 500, 502, 503, 504,
	taqnyatNoOptIn, taqnyatNoCapability, taqnyatFailed, taqnyatWindow, taqnyatNoBalance, taqnyatReEngagement}

// taqnyatReports are the failed delivery reports the 201x codes answer with.
var taqnyatReports = map[int]taqnyatStatus{
	taqnyatNoOptIn: {Status: "failure", State: "no_opt_in",
		Details: "Message rejected by Taqnyat API as recipient is not registered to have opted in"},
	taqnyatNoCapability: {Status: "failure", State: "no_capability",
		Details: "Message rejected by Taqnyat API as the recipient lacks WhatsApp capability"},
	taqnyatFailed: {Status: "failure", State: "failed", Details: "Message has failed"},
	taqnyatWindow: {Status: "failure", State: "failed",
		Details: "Message has failed: the 24-hour customer care session is not open; start the conversation with a template"},
}

type taqnyatFormat struct{}

func (taqnyatFormat) name() string       { return "taqnyat" }
func (taqnyatFormat) codes() []int       { return taqnyatCodes }
func (taqnyatFormat) sendSuffix() string { return "/messages" }
func (taqnyatFormat) rateLimitCode() int { return 429 }
func (taqnyatFormat) pairLimitCode() int { return 429 }
func (taqnyatFormat) windowCode() int    { return taqnyatReEngagement }

func (taqnyatFormat) credential(r *http.Request, _ []byte) (string, bool) {
	return bearerCredential(r)
}

// unauthorized is the same 401 with or without a token, as the API gives it.
func (taqnyatFormat) unauthorized(bool) answer {
	return answer{code: http.StatusUnauthorized}
}

func (taqnyatFormat) routes() []route {
	return []route{{suffix: "/provision/optin", serve: serveTaqnyatOptIn}}
}

// taqnyatCrockford is the alphabet of the ULID-like ids the API hands out
// ("01DPNXZ0WCF9XD19MH84XD0P62").
const taqnyatCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// messageID is 26 characters like a ULID: "01", the instance nonce (hex
// digits are Crockford digits), the sequence number in 16 base-32 digits.
func (taqnyatFormat) messageID(nonce string, seq uint64) string {
	b := make([]byte, 0, 26)
	b = append(b, "01"...)
	b = append(b, nonce...)
	var digits [16]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = taqnyatCrockford[seq&31]
		seq >>= 5
	}
	return string(append(b, digits[:]...))
}

// taqnyatReport is a send answer and a callback: delivery reports and
// inbound messages.
type taqnyatReport struct {
	Type          string                `json:"type"`
	Statuses      []taqnyatStatus       `json:"statuses,omitempty"`
	Contacts      []taqnyatProfile      `json:"contacts,omitempty"`
	Notifications []taqnyatNotification `json:"notifications,omitempty"`
}

// taqnyatStatus is one delivery report (the document's "Delivery Report
// Callback").
type taqnyatStatus struct {
	Status    string `json:"status"`
	State     string `json:"state"`
	MessageID string `json:"message_id,omitempty"`
	Details   string `json:"details,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
}

type taqnyatProfile struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type taqnyatNotification struct {
	From      string `json:"from"`
	To        string `json:"to"`
	MessageID string `json:"message_id"`
	Message   struct {
		Type string `json:"type"`
		Body string `json:"body"`
	} `json:"message"`
	Timestamp string `json:"timestamp"`
}

// taqnyatError is an error answer: "message" holds the code ("401") or
// words ("Validation error").
type taqnyatError struct {
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
	Details string `json:"details,omitempty"`
}

// taqnyatNginx is the page the gateway in front of the API answers 502
// and 504 with: not JSON.
const taqnyatNginx = "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

func (taqnyatFormat) write(w http.ResponseWriter, a answer) {
	switch a.code {
	case http.StatusOK:
		// The answer carries no recipient: the engine's answer does not
		// name it, and the adapter reads the only report either way.
		writeJSON(w, http.StatusCreated, taqnyatReport{Type: "whatsapp",
			Statuses: []taqnyatStatus{{Status: "success", State: "queued", MessageID: a.id}}})
	case taqnyatNoOptIn, taqnyatNoCapability, taqnyatFailed, taqnyatWindow:
		st := taqnyatReports[a.code]
		if a.details != "" && a.code == taqnyatWindow {
			st.Details += " (" + a.details + ")"
		}
		writeJSON(w, http.StatusCreated, taqnyatReport{Type: "whatsapp", Statuses: []taqnyatStatus{st}})
	case http.StatusBadRequest:
		msg := a.title
		if msg == "" {
			msg = "Validation error"
		}
		writeJSON(w, http.StatusBadRequest, taqnyatError{Message: msg, Details: a.details})
	case taqnyatNoBalance:
		writeJSON(w, http.StatusBadRequest, taqnyatError{Message: "Insufficient balance", Details: a.details})
	case taqnyatReEngagement:
		details := taqnyatWindowWords
		if a.details != "" {
			details += " (" + a.details + ")"
		}
		writeJSON(w, http.StatusBadRequest, taqnyatError{Message: strconv.Itoa(a.code), Reason: "Re-engagement message", Details: details})
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		line := strconv.Itoa(a.code) + " " + http.StatusText(a.code)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.code)
		_, _ = w.Write([]byte(strings.ReplaceAll(taqnyatNginx, "%s", line)))
	default: // 401, 404, 405, 429, 500, 503
		writeJSON(w, a.code, taqnyatError{Message: strconv.Itoa(a.code), Reason: http.StatusText(a.code), Details: a.details})
	}
}

// taqnyatSend is POST /messages/ as the API reads it; to and message are
// decoded in a second step so that a wrong shape gets a clear answer.
type taqnyatSend struct {
	To      json.RawMessage `json:"to"`
	Message json.RawMessage `json:"message"`
}

// taqnyatMessage is the document's message object, every kind's fields.
type taqnyatMessage struct {
	Type string `json:"type"`

	Text       *string `json:"text"`
	PreviewURL *bool   `json:"preview_url"`

	URL      *string `json:"url"`
	Caption  *string `json:"caption"`
	Filename *string `json:"filename"`
	Provider *string `json:"provider"`

	Lat     *float64 `json:"lat"`
	Lng     *float64 `json:"lng"`
	Name    *string  `json:"name"`
	Address *string  `json:"address"`

	Contacts []taqnyatContact `json:"contacts"`

	TemplateName *string                 `json:"template_name"`
	Language     *string                 `json:"language"`
	HeaderParams []string                `json:"header_params"`
	BodyParams   []string                `json:"body_params"`
	Media        *taqnyatTemplateMedia   `json:"media"`
	Buttons      []taqnyatTemplateButton `json:"buttons"`

	TTL *string `json:"ttl"`
}

type taqnyatContact struct {
	Name *struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
}

type taqnyatTemplateMedia struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	Filename string `json:"filename"`
}

type taqnyatTemplateButton struct {
	Type      string `json:"type"`
	Payload   string `json:"payload"`
	Parameter string `json:"parameter"`
}

// Limits the API enforces (the document's, and WhatsApp's it repeats).
const (
	taqnyatMaxText         = 4096
	taqnyatMaxCaption      = 1024
	taqnyatMaxTemplateName = 512
	taqnyatMaxParam        = 1024
)

// taqnyatInvalid is the 400 of a request that breaks the API's rules.
func taqnyatInvalid(details string) *answer {
	return &answer{code: http.StatusBadRequest, details: details}
}

// parseSend validates like a strict server: a JSON object, "to" an array
// of one MSISDN (the document allows 20; the simulator counts, scripts and
// limits one recipient per request, so it refuses more), "message" an
// object of a known type with that type's fields, and "ttl", when given,
// an ISO-8601 duration. Every type but template is free-form.
func (taqnyatFormat) parseSend(body []byte) (parsed, *answer) {
	var req taqnyatSend
	if err := json.Unmarshal(body, &req); err != nil {
		return parsed{}, taqnyatInvalid("request body is not a valid JSON object: " + err.Error())
	}
	to, reject := taqnyatRecipient(req.To)
	if reject != nil {
		return parsed{}, reject
	}
	if len(req.Message) == 0 || string(req.Message) == "null" {
		return parsed{}, taqnyatInvalid("message is required")
	}
	var m taqnyatMessage
	if err := json.Unmarshal(req.Message, &m); err != nil {
		return parsed{}, taqnyatInvalid("message is not a valid message object: " + err.Error())
	}
	if reject := m.validate(); reject != nil {
		return parsed{}, reject
	}
	return parsed{to: to, freeForm: m.Type != "template"}, nil
}

func taqnyatRecipient(raw json.RawMessage) (string, *answer) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", taqnyatInvalid("to is required")
	}
	var to []string
	if err := json.Unmarshal(raw, &to); err != nil {
		return "", taqnyatInvalid("to must be an array of MSISDNs (strings), e.g. [\"966501234567\"]")
	}
	switch n := len(to); {
	case n == 0:
		return "", taqnyatInvalid("to must hold 1 to 20 MSISDNs, not 0")
	case n > taqnyatMaxRecipients:
		return "", taqnyatInvalid("to holds " + strconv.Itoa(n) + " MSISDNs, the limit is 20")
	case n > 1:
		return "", taqnyatInvalid("to holds " + strconv.Itoa(n) + " MSISDNs; the simulator takes one recipient per request")
	}
	if !isWaID(to[0]) {
		return "", taqnyatInvalid(`to "` + to[0] + `" must be an MSISDN in international format: 7 to 15 digits, without 00 or "+"`)
	}
	return to[0], nil
}

func (m *taqnyatMessage) validate() *answer {
	switch m.Type {
	case "":
		return taqnyatInvalid("message.type is required")
	case "text":
		switch {
		case m.Text == nil:
			return taqnyatInvalid("message.text is required")
		case strings.TrimSpace(*m.Text) == "":
			return taqnyatInvalid("message.text is empty")
		case utf8.RuneCountInString(*m.Text) > taqnyatMaxText:
			return taqnyatInvalid("message.text is " + strconv.Itoa(utf8.RuneCountInString(*m.Text)) +
				" characters, the limit is " + strconv.Itoa(taqnyatMaxText))
		}
	case "image", "video", "document", "audio", "sticker":
		if a := m.validateMedia(); a != nil {
			return a
		}
	case "location":
		switch {
		case m.Lat == nil:
			return taqnyatInvalid("message.lat is required")
		case m.Lng == nil:
			return taqnyatInvalid("message.lng is required")
		case *m.Lat < -90 || *m.Lat > 90:
			return taqnyatInvalid("message.lat " + strconv.FormatFloat(*m.Lat, 'g', -1, 64) + " is outside [-90, 90]")
		case *m.Lng < -180 || *m.Lng > 180:
			return taqnyatInvalid("message.lng " + strconv.FormatFloat(*m.Lng, 'g', -1, 64) + " is outside [-180, 180]")
		}
	case "contacts":
		if a := m.validateContacts(); a != nil {
			return a
		}
	case "template":
		if a := m.validateTemplate(); a != nil {
			return a
		}
	default:
		return taqnyatInvalid(`message.type "` + m.Type + `" is not one of text, image, video, audio, document, sticker, location, contacts, template`)
	}
	if m.TTL != nil && !taqnyatTTL(*m.TTL) {
		return taqnyatInvalid(`message.ttl "` + *m.TTL + `" must be a positive ISO-8601 duration, e.g. "P7D" or "PT1H30M"`)
	}
	return nil
}

func (m *taqnyatMessage) validateMedia() *answer {
	if m.URL == nil || *m.URL == "" {
		return taqnyatInvalid("message.url is required for " + m.Type)
	}
	if !taqnyatHTTPURL(*m.URL) {
		return taqnyatInvalid(`message.url "` + *m.URL + `" must be a public http or https link`)
	}
	if m.Caption != nil {
		if m.Type == "audio" || m.Type == "sticker" {
			return taqnyatInvalid("message.caption is not allowed for " + m.Type)
		}
		if n := utf8.RuneCountInString(*m.Caption); n > taqnyatMaxCaption {
			return taqnyatInvalid("message.caption is " + strconv.Itoa(n) + " characters, the limit is " + strconv.Itoa(taqnyatMaxCaption))
		}
	}
	if m.Filename != nil && m.Type != "document" {
		return taqnyatInvalid("message.filename is allowed for document only, not " + m.Type)
	}
	return nil
}

func (m *taqnyatMessage) validateContacts() *answer {
	if m.Contacts == nil {
		return taqnyatInvalid("message.contacts is required")
	}
	if len(m.Contacts) == 0 {
		return taqnyatInvalid("message.contacts must hold at least one contact card")
	}
	for i, c := range m.Contacts {
		at := "message.contacts[" + strconv.Itoa(i) + "].name"
		switch {
		case c.Name == nil:
			return taqnyatInvalid(at + " is required")
		case strings.TrimSpace(c.Name.FormattedName) == "":
			return taqnyatInvalid(at + ".formatted_name is required")
		case strings.TrimSpace(c.Name.FirstName) == "" && strings.TrimSpace(c.Name.LastName) == "":
			return taqnyatInvalid(at + " needs first_name or last_name besides formatted_name")
		}
	}
	return nil
}

func (m *taqnyatMessage) validateTemplate() *answer {
	switch {
	case m.TemplateName == nil || strings.TrimSpace(*m.TemplateName) == "":
		return taqnyatInvalid("message.template_name is required")
	case len(*m.TemplateName) > taqnyatMaxTemplateName:
		return taqnyatInvalid("message.template_name is longer than " + strconv.Itoa(taqnyatMaxTemplateName) + " characters")
	case m.Language == nil || strings.TrimSpace(*m.Language) == "":
		return taqnyatInvalid("message.language is required for a template")
	}
	for what, params := range map[string][]string{"body_params": m.BodyParams, "header_params": m.HeaderParams} {
		for i, p := range params {
			if strings.TrimSpace(p) == "" {
				return taqnyatInvalid("message." + what + "[" + strconv.Itoa(i) + "] is empty")
			}
			if n := utf8.RuneCountInString(p); n > taqnyatMaxParam {
				return taqnyatInvalid("message." + what + "[" + strconv.Itoa(i) + "] is " + strconv.Itoa(n) +
					" characters, the limit is " + strconv.Itoa(taqnyatMaxParam))
			}
		}
	}
	textHeader := m.Media != nil && m.Media.Type == "text"
	switch {
	case len(m.HeaderParams) > 0 && !textHeader:
		return taqnyatInvalid(`message.header_params fill a text header: send them with media {"type":"text"}`)
	case textHeader && len(m.HeaderParams) != 1:
		return taqnyatInvalid("a text header takes exactly one header_params entry, not " + strconv.Itoa(len(m.HeaderParams)))
	}
	if md := m.Media; md != nil {
		switch md.Type {
		case "text":
		case "image", "video", "document":
			if !taqnyatHTTPURL(md.URL) {
				return taqnyatInvalid(`message.media.url "` + md.URL + `" must be a public http or https link`)
			}
			if md.Filename != "" && md.Type != "document" {
				return taqnyatInvalid("message.media.filename is allowed for a document header only")
			}
		default:
			return taqnyatInvalid(`message.media.type "` + md.Type + `" is not one of image, video, document, text`)
		}
	}
	for i, b := range m.Buttons {
		at := "message.buttons[" + strconv.Itoa(i) + "]"
		switch b.Type {
		case "url":
			if b.Parameter == "" {
				return taqnyatInvalid(at + ".parameter is required for a url button")
			}
		case "quick_reply":
			if b.Payload == "" {
				return taqnyatInvalid(at + ".payload is required for a quick_reply button")
			}
		default:
			return taqnyatInvalid(at + `.type "` + b.Type + `" is not url or quick_reply`)
		}
	}
	return nil
}

// taqnyatDuration matches the form of an ISO-8601 duration: "P7D",
// "P1DT2H30M", "PT45S", "P1W". taqnyatTTL adds what a regular expression
// says poorly: a part after T, and a non-zero part.
var taqnyatDuration = regexp.MustCompile(`^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$`)

// taqnyatTTL reports whether s is a positive ISO-8601 duration.
func taqnyatTTL(s string) bool {
	return taqnyatDuration.MatchString(s) && !strings.HasSuffix(s, "T") && strings.ContainsAny(s, "123456789")
}

func taqnyatHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

var taqnyatHookHeader = http.Header{"Content-Type": {"application/json"}}

// taqnyatTime is the document's ISO-8601 timestamp, "2020-05-02T18:40:42Z".
func taqnyatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// renderStatus is a delivery report; a failed one carries the window's
// words, as windowCode is the only failure the engine reports.
func (taqnyatFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	s := taqnyatStatus{Status: "success", State: st.Status, MessageID: st.MessageID,
		Recipient: st.Recipient, Timestamp: taqnyatTime(st.Time)}
	if st.Status == "failed" {
		r := taqnyatReports[taqnyatFailed]
		if f, ok := taqnyatReports[st.ErrorCode]; ok {
			r = f
		}
		if st.ErrorCode == taqnyatReEngagement {
			r = taqnyatReports[taqnyatWindow]
		}
		s.Status, s.Details = r.Status, r.Details
	}
	return mustJSON(taqnyatReport{Type: "whatsapp", Statuses: []taqnyatStatus{s}}), taqnyatHookHeader.Clone()
}

// renderInbound is a text message from a customer to the business number.
func (taqnyatFormat) renderInbound(in inboundEvent) ([]byte, http.Header) {
	var c taqnyatProfile
	c.Profile.Name, c.WaID = in.Name, in.From
	n := taqnyatNotification{From: in.From, To: in.To, MessageID: in.ID, Timestamp: taqnyatTime(in.Time)}
	n.Message.Type, n.Message.Body = "text", in.Text
	return mustJSON(taqnyatReport{Type: "whatsapp", Contacts: []taqnyatProfile{c},
		Notifications: []taqnyatNotification{n}}), taqnyatHookHeader.Clone()
}

// taqnyatOptInBody is the body of POST and DELETE /provision/optin/.
type taqnyatOptInBody struct {
	Numbers json.RawMessage `json:"numbers"`
}

// serveTaqnyatOptIn records opt-ins (POST) and opt-outs (DELETE) of
// {"numbers":[...]} (a single string is "number or numbers" too) and
// answers 200 {"type":"Opt-In","statuses":[{"status":"success","state":
// "enable","recipient":"9665..."}]}, "Opt-Out" and "disable" for DELETE.
// They are not counted as sends; TaqnyatOptIns reads them back.
func serveTaqnyatOptIn(s *Simulator, w http.ResponseWriter, r *http.Request) {
	f := s.format
	if r.Method != http.MethodPost && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "POST, DELETE")
		f.write(w, answer{code: http.StatusMethodNotAllowed, details: r.Method + " is not allowed here; use POST or DELETE"})
		return
	}
	body, err := s.readBody(w, r)
	if a, ok := s.authorize(r, body); !ok {
		f.write(w, a)
		return
	}
	if err != nil {
		f.write(w, *taqnyatInvalid(err.Error()))
		return
	}
	numbers, reject := taqnyatNumbers(body)
	if reject != nil {
		f.write(w, *reject)
		return
	}
	in := r.Method == http.MethodPost
	taqnyatBookOf(s).record(numbers, in)
	kind, state := "Opt-In", "enable"
	if !in {
		kind, state = "Opt-Out", "disable"
	}
	out := taqnyatReport{Type: kind}
	for _, n := range numbers {
		out.Statuses = append(out.Statuses, taqnyatStatus{Status: "success", State: state, Recipient: n})
	}
	writeJSON(w, http.StatusOK, out)
}

// taqnyatNumbers validates an opt-in body: 1 to 20 MSISDNs.
func taqnyatNumbers(body []byte) ([]string, *answer) {
	var req taqnyatOptInBody
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, taqnyatInvalid("request body is not a valid JSON object: " + err.Error())
	}
	if len(req.Numbers) == 0 || string(req.Numbers) == "null" {
		return nil, taqnyatInvalid("numbers is required")
	}
	var numbers []string
	if err := json.Unmarshal(req.Numbers, &numbers); err != nil {
		var one string
		if json.Unmarshal(req.Numbers, &one) != nil {
			return nil, taqnyatInvalid(`numbers must be an MSISDN or an array of MSISDNs (strings), e.g. ["966501234567"]`)
		}
		numbers = []string{one}
	}
	if n := len(numbers); n == 0 || n > taqnyatMaxRecipients {
		return nil, taqnyatInvalid("numbers must hold 1 to 20 MSISDNs, not " + strconv.Itoa(n))
	}
	for _, n := range numbers {
		if !isWaID(n) {
			return nil, taqnyatInvalid(`number "` + n + `" must be an MSISDN in international format: 7 to 15 digits, without 00 or "+"`)
		}
	}
	return numbers, nil
}

// taqnyatOptIn is what the opt-in endpoint recorded for one number.
type taqnyatOptIn struct {
	optedIn   bool
	ins, outs int
}

// taqnyatBook is one simulator's opt-in records. A format keeps no state,
// and the Simulator has no place for a format's own, so the books live
// beside it, keyed weakly: a simulator's book goes when the simulator does.
type taqnyatBook struct {
	mu sync.Mutex
	m  map[string]*taqnyatOptIn // MSISDN → record
}

var taqnyatBooks sync.Map // weak.Pointer[Simulator] → *taqnyatBook

func taqnyatBookOf(s *Simulator) *taqnyatBook {
	key := weak.Make(s)
	if b, ok := taqnyatBooks.Load(key); ok {
		return b.(*taqnyatBook)
	}
	b, loaded := taqnyatBooks.LoadOrStore(key, &taqnyatBook{m: make(map[string]*taqnyatOptIn)})
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Simulator]) { taqnyatBooks.Delete(k) }, key)
	}
	return b.(*taqnyatBook)
}

func (b *taqnyatBook) record(numbers []string, in bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range numbers {
		rec := b.m[n]
		if rec == nil {
			rec = &taqnyatOptIn{}
			b.m[n] = rec
		}
		rec.optedIn = in
		if in {
			rec.ins++
		} else {
			rec.outs++
		}
	}
}

// TaqnyatOptIns reports what the Taqnyat opt-in endpoint (Config.Kind
// "taqnyat", POST and DELETE /provision/optin/) recorded for number (E.164
// or MSISDN): whether it is opted in (its last accepted request was an
// opt-in, not an opt-out) and how many opt-in and opt-out requests named
// it. The simulator records opt-ins without enforcing them (script
// taqnyatNoOptIn, 2011, for a number that never opted in); Reset keeps
// them, as it keeps the webhook configuration.
func (s *Simulator) TaqnyatOptIns(number string) (optedIn bool, optIns, optOuts int) {
	b := taqnyatBookOf(s)
	b.mu.Lock()
	defer b.mu.Unlock()
	if rec := b.m[recipientKey(number)]; rec != nil {
		return rec.optedIn, rec.ins, rec.outs
	}
	return false, 0, 0
}
