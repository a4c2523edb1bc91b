package simulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the DecisionTelecom wire format (seeds/decisiontelecom.txt):
// a flat JSON API under /v1/api behind HTTP Basic auth, whose statuses are
// polled (receive-whatsapp) or posted to a callback URL.
//
//	POST <base>/send-whatsapp     {"source_addr","destination_addr","message_type",...} → {"message_id":N}
//	POST <base>/receive-whatsapp  {"message_id":N} → {"message_id":N,"status":S}
//
// The credential is the "User Hash Key" as the user name of HTTP Basic
// auth: Authorization: Basic base64(key + ":") as curl's CURLOPT_USERPWD
// sends it, or base64(key) as DecisionTelecom's SDKs do; both are accepted.
// Config.APIKey: the key itself (not "user:pass"). A key that ends in a
// colon cannot be told from the curl form and is not supported.
//
// Every error is the document's object, with its status as the HTTP status
// (Yii2's error shape, which the framework's own 401/404/405 share):
//
//	{"name":"Service Unavailable","message":"Message failed to send because ...","code":7,"status":503}
//
// The codes a fault or a script names, and what each renders:
//
//	code  HTTP  body code  name                                 the adapter reads
//	1     400   1          Invalid Parameter: destination_addr  permanent, invalid_recipient
//	2     500   2          Internal server error                transient
//	3     402   3          Topup balance is required            account, balance
//	4–6   500   4–6        Internal server error                transient
//	7     503   7          Service Unavailable (24 hours)       permanent, window_closed (the window)
//	8     401   8          Invalid credintals for file_url      permanent, media (MIME type)
//	9     401   9          Invalid credintals for file_url      permanent, media (file extension)
//	11    400   1          Invalid Parameter: template_name     permanent, template
//	401   401   0          Unauthorized                         account, auth (the credential check)
//	429   429   0          Too Many Requests                    transient, throttled (rate and pair limit)
//	503   503   0          Service Unavailable                  transient (an outage, not the window)
//
// 11 is the simulator's own number for the document's code 1 about the
// template, which DecisionTelecom tells from code 1 about the recipient
// only by the parameter it names. Validation failures answer code 1 naming
// the parameter ("Invalid Parameter: text"); a file_url with another
// extension than jpg, jpeg or png answers code 9. The simulator fetches
// nothing, so code 8 (the MIME type) comes only from a script or a fault.
// The document names no Retry-After; the simulator sends Config.RetryAfter
// with 429 and 503 anyway, and the rate and pair limits their own.
//
// Message ids are positive integers, unique across instances: a six-digit
// prefix drawn from the instance nonce, then the sequence number in nine
// digits (431827000000001), below 2^53 so any JSON reader keeps them exact.
//
// Statuses are the document's numbers: accepted → 6 pending, sent → 0,
// delivered → 1, read → 7 seen, failed → 4. receive-whatsapp answers from
// MessageStatus; with Config.CallbackURL each change is also posted there
// as {"message_id":N,"status":S}. The callback_url of a request is checked
// and not called. DecisionTelecom documents no inbound messages: Inbound
// opens the window and posts nothing.

func init() {
	register(decisiontelecomFormat{})
	registerScenario("decisiontelecom", Scenario{
		Transient: []int{2, 4, 5, 6, 503},
		Throttle:  429,
		Permanent: 1,
		Template:  11,
		Window:    7,
		Auth:      401,
	})
}

type decisiontelecomFormat struct{}

// decisiontelecomFaultCodes are the codes a fault or a script may name.
var decisiontelecomFaultCodes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 401, 429, 503}

// decisiontelecomError is the document's error object.
type decisiontelecomError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Code    int    `json:"code"`
	Status  int    `json:"status"`
}

// The document's messages.
const (
	decisiontelecomInvalidParam = "Empty parameter or parameter validation error"
	decisiontelecomInternal     = "The server encountered an unexpected condition which prevented it from fulfilling the request"
	decisiontelecomWindowText   = "Message failed to send because more than 24 hours have passed since the customer last replied to this number. In this case, you can only send a template message"
	decisiontelecomFileName     = "Invalid credintals for file_url" // sic
)

// decisiontelecomErrors renders each code the format answers with: its
// codes() and the engine's own 400, 404, 405 and 503.
var decisiontelecomErrors = map[int]decisiontelecomError{
	1:   {"Invalid Parameter: destination_addr", decisiontelecomInvalidParam, 1, 400},
	2:   {"Internal server error", decisiontelecomInternal, 2, 500},
	3:   {"Topup balance is required", "User balance is empty", 3, 402},
	4:   {"Internal server error", decisiontelecomInternal, 4, 500},
	5:   {"Internal server error", decisiontelecomInternal, 5, 500},
	6:   {"Internal server error", decisiontelecomInternal, 6, 500},
	7:   {"Service Unavailable", decisiontelecomWindowText, 7, 503},
	8:   {decisiontelecomFileName, "Invalid MIME type file_url", 8, 401},
	9:   {decisiontelecomFileName, "Invalid file extension", 9, 401},
	11:  {"Invalid Parameter: template_name", decisiontelecomInvalidParam, 1, 400},
	400: {"Bad Request", "Invalid JSON data in request body", 0, 400},
	401: {"Unauthorized", "Your request was made with invalid credentials.", 0, 401},
	404: {"Not Found", "Page not found.", 0, 404},
	405: {"Method Not Allowed", "Method Not Allowed. This URL can only handle the following request methods: POST.", 0, 405},
	429: {"Too Many Requests", "Rate limit exceeded", 0, 429},
	503: {"Service Unavailable", "The service is temporarily unavailable. Please try again later.", 0, 503},
}

func (decisiontelecomFormat) name() string       { return "decisiontelecom" }
func (decisiontelecomFormat) codes() []int       { return decisiontelecomFaultCodes }
func (decisiontelecomFormat) sendSuffix() string { return "/send-whatsapp" }
func (decisiontelecomFormat) rateLimitCode() int { return 429 }
func (decisiontelecomFormat) pairLimitCode() int { return 429 }
func (decisiontelecomFormat) windowCode() int    { return 7 }

// credential reads HTTP Basic auth with the key as the user name:
// base64(key + ":") or base64(key) both give the key. Another scheme or
// undecodable base64 counts as present but wrong.
func (decisiontelecomFormat) credential(r *http.Request, _ []byte) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", true
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil || len(raw) == 0 {
		return "", true
	}
	return strings.TrimSuffix(string(raw), ":"), true
}

// unauthorized is Yii2's HttpBasicAuth answer, the same with a wrong key or
// none.
func (decisiontelecomFormat) unauthorized(bool) answer {
	return answer{code: http.StatusUnauthorized}
}

func (decisiontelecomFormat) routes() []route {
	return []route{{suffix: "/receive-whatsapp", serve: serveDecisionTelecomStatus}}
}

// decisiontelecomIDSpan separates the nonce prefix from the sequence number
// in a message id.
const decisiontelecomIDSpan = 1_000_000_000

// messageID is a positive integer: a prefix of 100000–999999 drawn from the
// nonce, then seq in nine digits; at most about 10^15, below 2^53.
func (decisiontelecomFormat) messageID(nonce string, seq uint64) string {
	n, _ := strconv.ParseUint(nonce, 16, 64) // 8 hex digits by contract
	prefix := 100_000 + n%900_000
	return strconv.FormatUint(prefix*decisiontelecomIDSpan+seq, 10)
}

// write renders a: {"message_id":N} on accept, else the error object with
// its status as the HTTP status.
func (decisiontelecomFormat) write(w http.ResponseWriter, a answer) {
	if a.code == http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"message_id":` + a.id + `}`)) // digits only
		return
	}
	e, ok := decisiontelecomErrors[a.code]
	if !ok { // not a code the format answers with: a bug, rendered plainly
		e = decisiontelecomError{Name: http.StatusText(a.code), Message: a.details, Status: http.StatusInternalServerError}
		if a.code >= 100 && a.code <= 599 {
			e.Status = a.code
		}
	}
	if a.title != "" {
		e.Name = a.title
	}
	if a.code == http.StatusBadRequest && a.details != "" {
		e.Message = a.details
	}
	if e.Status == http.StatusUnauthorized && e.Code == 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
	}
	writeJSON(w, e.Status, e)
}

// decisiontelecomSend is a send request as the API reads it. Fields stay
// raw so that a value of the wrong type is that field's error.
type decisiontelecomSend struct {
	SourceAddr      json.RawMessage `json:"source_addr"`
	DestinationAddr json.RawMessage `json:"destination_addr"`
	MessageType     json.RawMessage `json:"message_type"`
	Text            json.RawMessage `json:"text"`
	FileURL         json.RawMessage `json:"file_url"`
	CallbackURL     json.RawMessage `json:"callback_url"`
	TemplateName    json.RawMessage `json:"template_name"`
	TemplateParams  json.RawMessage `json:"template_params"`
}

// decisiontelecomTemplate is what template_params must hold: the
// on-premises WhatsApp template message.
type decisiontelecomTemplate struct {
	Type     string `json:"type"`
	Template *struct {
		Name     string `json:"name"`
		Language *struct {
			Code string `json:"code"`
		} `json:"language"`
	} `json:"template"`
}

// Limits of the document.
const (
	decisiontelecomMaxSource = 20
	decisiontelecomMaxText   = 4096
)

// The document's message_type values.
const (
	decisiontelecomTypeText     = 1 // text
	decisiontelecomTypeImage    = 2 // jpg, jpeg or png image by link
	decisiontelecomTypeTemplate = 4 // registered template
)

// decisiontelecomExtensions are the file_url extensions the document
// accepts.
var decisiontelecomExtensions = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// decisiontelecomInvalid is code 1 naming param.
func decisiontelecomInvalid(param, details string) *answer {
	return &answer{code: 1, title: "Invalid Parameter: " + param, details: details}
}

// parseSend validates like a strict server: a JSON object; source_addr a
// string of 1–20 characters; destination_addr a wa_id as a number or a
// digit string; message_type 1 (text of 1–4096 characters), 2 (an http(s)
// file_url ending in .jpg, .jpeg or .png, an optional caption in text) or
// 4 (template_name, and template_params as a JSON string holding the
// template message); callback_url, when given, an http(s) URL. Types 1 and
// 2 are free-form.
func (decisiontelecomFormat) parseSend(body []byte) (parsed, *answer) {
	var m decisiontelecomSend
	if err := json.Unmarshal(body, &m); err != nil {
		return parsed{}, &answer{code: http.StatusBadRequest, details: "Invalid JSON data in request body: " + err.Error()}
	}
	source, ok := decisiontelecomString(m.SourceAddr)
	if n := utf8.RuneCountInString(source); !ok || strings.TrimSpace(source) == "" || n > decisiontelecomMaxSource {
		return parsed{}, decisiontelecomInvalid("source_addr", "source_addr must be 1 to 20 characters")
	}
	to, ok := decisiontelecomDigits(m.DestinationAddr)
	if !ok || !isWaID(to) {
		return parsed{}, decisiontelecomInvalid("destination_addr", "destination_addr must be 7 to 15 digits with the country code")
	}
	digits, ok := decisiontelecomDigits(m.MessageType)
	typ, err := strconv.Atoi(digits)
	if !ok || err != nil {
		return parsed{}, decisiontelecomInvalid("message_type", "message_type must be 1, 2 or 4")
	}
	text, ok := decisiontelecomString(m.Text)
	if !ok || utf8.RuneCountInString(text) > decisiontelecomMaxText {
		return parsed{}, decisiontelecomInvalid("text", "text must be a string of at most 4096 characters")
	}
	switch typ {
	case decisiontelecomTypeText:
		if strings.TrimSpace(text) == "" {
			return parsed{}, decisiontelecomInvalid("text", "text is required")
		}
	case decisiontelecomTypeImage:
		if reject := decisiontelecomFileURL(m.FileURL); reject != nil {
			return parsed{}, reject
		}
	case decisiontelecomTypeTemplate:
		if name, ok := decisiontelecomString(m.TemplateName); !ok || strings.TrimSpace(name) == "" {
			return parsed{}, decisiontelecomInvalid("template_name", "template_name is required")
		}
		if !decisiontelecomTemplateParams(m.TemplateParams) {
			return parsed{}, decisiontelecomInvalid("template_params",
				"template_params must be a JSON string holding the template message: type, template.name, template.language.code")
		}
	default:
		return parsed{}, decisiontelecomInvalid("message_type", "message_type must be 1, 2 or 4")
	}
	if cb, ok := decisiontelecomString(m.CallbackURL); !ok || (cb != "" && !decisiontelecomHTTPURL(cb)) {
		return parsed{}, decisiontelecomInvalid("callback_url", "callback_url must be an absolute http or https URL")
	}
	return parsed{to: to, freeForm: typ != decisiontelecomTypeTemplate}, nil
}

// decisiontelecomFileURL checks a message_type 2 file_url: code 1 when it
// is missing or not a URL, code 9 when its extension is not an image's.
func decisiontelecomFileURL(raw json.RawMessage) *answer {
	s, ok := decisiontelecomString(raw)
	if !ok || !decisiontelecomHTTPURL(s) {
		return decisiontelecomInvalid("file_url", "file_url must be an absolute http or https URL")
	}
	u, _ := url.Parse(s) // parsed by decisiontelecomHTTPURL
	if !decisiontelecomExtensions[strings.ToLower(path.Ext(u.Path))] {
		return &answer{code: 9, details: "file_url must end in .jpg, .jpeg or .png"}
	}
	return nil
}

// decisiontelecomTemplateParams reports whether raw is a JSON string
// holding a template message with a name and a language code.
func decisiontelecomTemplateParams(raw json.RawMessage) bool {
	s, ok := decisiontelecomString(raw)
	if !ok || s == "" {
		return false
	}
	var t decisiontelecomTemplate
	if json.Unmarshal([]byte(s), &t) != nil || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return false
	}
	return t.Type == "template" && t.Template != nil && strings.TrimSpace(t.Template.Name) != "" &&
		t.Template.Language != nil && strings.TrimSpace(t.Template.Language.Code) != ""
}

// decisiontelecomString reads an optional string field: "" when absent or
// null; ok is false for any other type.
func decisiontelecomString(raw json.RawMessage) (s string, ok bool) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", true
	}
	return s, json.Unmarshal(raw, &s) == nil
}

// decisiontelecomDigits reads a whole non-negative number sent as a JSON
// number or a string of digits, as its digits. ok is false when absent or
// anything else (a fraction, an exponent, a sign, a word).
func decisiontelecomDigits(raw json.RawMessage) (string, bool) {
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
	}
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

func decisiontelecomHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// decisiontelecomStatuses are the document's status numbers for the
// engine's statuses.
var decisiontelecomStatuses = map[string]int{
	"accepted":  6, // pending
	"sent":      0,
	"delivered": 1,
	"read":      7, // seen
	"failed":    4,
}

// decisiontelecomStatusBody is the receive-whatsapp answer and a callback.
type decisiontelecomStatusBody struct {
	MessageID uint64 `json:"message_id"`
	Status    int    `json:"status"`
}

// serveDecisionTelecomStatus is POST receive-whatsapp {"message_id":N}: the
// message's current status, or code 1 naming message_id for an id that is
// not one the simulator accepted. It is not counted as a send.
func serveDecisionTelecomStatus(s *Simulator, w http.ResponseWriter, r *http.Request) {
	f := s.format
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		f.write(w, answer{code: http.StatusMethodNotAllowed})
		return
	}
	body, err := s.readBody(w, r)
	if a, ok := s.authorize(r, body); !ok {
		f.write(w, a)
		return
	}
	if err != nil {
		f.write(w, answer{code: http.StatusBadRequest, details: err.Error()})
		return
	}
	var q struct {
		MessageID json.RawMessage `json:"message_id"`
	}
	if err := json.Unmarshal(body, &q); err != nil {
		f.write(w, answer{code: http.StatusBadRequest, details: "Invalid JSON data in request body: " + err.Error()})
		return
	}
	digits, ok := decisiontelecomDigits(q.MessageID)
	id, perr := strconv.ParseUint(digits, 10, 64)
	if !ok || perr != nil || id == 0 {
		f.write(w, *decisiontelecomInvalid("message_id", "message_id must be a positive whole number"))
		return
	}
	st, ok := s.MessageStatus(strconv.FormatUint(id, 10))
	if !ok {
		f.write(w, *decisiontelecomInvalid("message_id", "no message "+digits))
		return
	}
	writeJSON(w, http.StatusOK, decisiontelecomStatusBody{MessageID: id, Status: decisiontelecomStatuses[st]})
}

var decisiontelecomHookHeader = http.Header{"Content-Type": {"application/json"}}

// renderStatus is {"message_id":N,"status":S}, one per status change.
func (decisiontelecomFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	id, err := strconv.ParseUint(st.MessageID, 10, 64)
	if err != nil { // not an id this format built
		return nil, nil
	}
	code, ok := decisiontelecomStatuses[st.Status]
	if !ok {
		return nil, nil
	}
	return mustJSON(decisiontelecomStatusBody{MessageID: id, Status: code}), decisiontelecomHookHeader.Clone()
}

// renderInbound: DecisionTelecom documents no inbound messages.
func (decisiontelecomFormat) renderInbound(inboundEvent) ([]byte, http.Header) { return nil, nil }
