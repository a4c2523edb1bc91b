package simulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the Meta wire format: the WhatsApp Cloud API of the Graph
// API, as the adapter in providers/meta speaks it (there is no seed
// document; the adapter follows Meta's public reference). Requests carry
// "Authorization: Bearer <token>" (Config.APIKey: the token; the Graph
// API's access_token query parameter is accepted too) and post to
//
//	POST <base>/{phone-number-id}/messages
//	{"messaging_product":"whatsapp","recipient_type":"individual","to":"255712345678","type":"text","text":{"body":"..."}}
//
// with any phone number id. An accept is
//
//	{"messaging_product":"whatsapp","messages":[{"id":"wamid.<base64>","message_status":"accepted"}]}
//
// and every error is a Graph error, mostly HTTP 400 whatever it means:
//
//	{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
//	  "error_data":{"messaging_product":"whatsapp","details":"..."},"fbtrace_id":"..."}}
//
// 190 (bad token) is 401; 10 and 368 are 403; 131000 is 500; 2 and
// 131016 are 503; 132001 (no such template) is 404. Throttling is 130429
// (the account's rate) and 131056 (the pair limit), both 400 with
// Retry-After (Meta documents no Retry-After; the adapter reads one, so the
// simulator sends it); the 24 h window is 131047.
//
// Callbacks are the WhatsApp Business Account "messages" webhook,
// {"object":"whatsapp_business_account","entry":[{"id":"<WABA id>","changes":[{"value":{
// "messaging_product":"whatsapp","metadata":{"display_phone_number","phone_number_id"},
// "statuses":[...] or "contacts":[...],"messages":[...]},"field":"messages"}]}]},
// signed with Config.CallbackSecret (the app secret) in X-Hub-Signature-256
// and X-Hub-Signature. The WABA id and phone number id in them are derived
// from Config.BusinessNumber: the simulator does not know the id a client
// put in its path.
//
// The success body carries no "contacts" ({"input","wa_id"}) although Meta
// sends one: the format interface does not hand write the recipient.
//
// GET <base>/{phone-number-id} (any numeric id) reads the phone number's
// node behind the token: {"verified_name","display_phone_number",
// "quality_rating","id"}, the display number Config.BusinessNumber's.

func init() {
	register(metaFormat{})
	registerScenario("meta", Scenario{
		Transient: []int{metaSomethingWrong, metaUnavailable},
		Throttle:  metaRateLimit,
		Permanent: metaUndeliverable,
		Template:  metaNoTemplate,
		Window:    metaWindow,
		Auth:      metaBadToken,
	})
}

type metaFormat struct{}

// The Cloud API codes the simulator's own decisions answer with.
const (
	metaInvalidParam   = 100    // invalid parameter: a body the strict server refuses
	metaBadToken       = 190    // access token invalid or expired
	metaRateLimit      = 130429 // Cloud API throughput reached
	metaSomethingWrong = 131000 // something went wrong
	metaValueInvalid   = 131009 // parameter value is not valid
	metaUnavailable    = 131016 // service unavailable
	metaUndeliverable  = 131026 // message undeliverable
	metaWindow         = 131047 // re-engagement message: outside the 24 h window
	metaPairLimit      = 131056 // (business, consumer) pair rate limit
	metaNoTemplate     = 132001 // template name does not exist in the translation
)

// metaFaultCodes are the codes a fault or a script may name, each in
// metaErrors. Graph's 200 (permissions error) is left out: to a script,
// 200 is an accept.
var metaFaultCodes = []int{
	2, 4, 10, metaInvalidParam, metaBadToken, 368, 80007,
	metaRateLimit, metaSomethingWrong, 131008, metaValueInvalid, metaUnavailable, 131021,
	metaUndeliverable, 131030, 131031, 131042, metaWindow, 131048, 131051, 131052, 131053,
	metaPairLimit, 131064, 132000, metaNoTemplate, 133010,
}

// metaError is how one code goes on the wire.
type metaError struct {
	status  int    // HTTP status
	title   string // the message after "(#code) "
	graph   int    // the Graph code sent, when it is not the simulator's code itself
	subcode int    // error_subcode; 0 sends none
	typ     string // error type; "" is OAuthException
	bare    bool   // the message is the title alone, without "(#code) "
}

// metaErrors renders every code: the fault codes with Meta's titles and
// statuses, then the codes the engine answers itself (400 an unreadable
// body, 404 an unknown path, 405 a wrong method, 503 the simulator closed)
// as the Graph error Meta gives in their place.
var metaErrors = map[int]metaError{
	2:                  {status: http.StatusServiceUnavailable, title: "Service temporarily unavailable"},
	4:                  {status: http.StatusBadRequest, title: "Application request limit reached"},
	10:                 {status: http.StatusForbidden, title: "Application does not have permission for this action"},
	metaInvalidParam:   {status: http.StatusBadRequest, title: "Invalid parameter"},
	metaBadToken:       {status: http.StatusUnauthorized, title: "Invalid OAuth access token - Cannot parse access token", bare: true},
	368:                {status: http.StatusForbidden, title: "Temporarily blocked for policies violations"},
	80007:              {status: http.StatusBadRequest, title: "Rate limit issues"},
	metaRateLimit:      {status: http.StatusBadRequest, title: "Rate limit hit"},
	metaSomethingWrong: {status: http.StatusInternalServerError, title: "Something went wrong"},
	131008:             {status: http.StatusBadRequest, title: "Required parameter is missing"},
	metaValueInvalid:   {status: http.StatusBadRequest, title: "Parameter value is not valid"},
	metaUnavailable:    {status: http.StatusServiceUnavailable, title: "Service unavailable"},
	131021:             {status: http.StatusBadRequest, title: "Recipient cannot be sender"},
	metaUndeliverable:  {status: http.StatusBadRequest, title: "Message undeliverable"},
	131030:             {status: http.StatusBadRequest, title: "Recipient phone number not in allowed list"},
	131031:             {status: http.StatusBadRequest, title: "Business Account locked"},
	131042:             {status: http.StatusBadRequest, title: "Business eligibility payment issue"},
	metaWindow:         {status: http.StatusBadRequest, title: "Re-engagement message"},
	131048:             {status: http.StatusBadRequest, title: "Spam rate limit hit"},
	131051:             {status: http.StatusBadRequest, title: "Unsupported message type"},
	131052:             {status: http.StatusBadRequest, title: "Media download error"},
	131053:             {status: http.StatusBadRequest, title: "Media upload error"},
	131064:             {status: http.StatusBadRequest, title: "Messaging limit reached after template violations"},
	metaPairLimit:      {status: http.StatusBadRequest, title: "(Business Account, Consumer Account) pair rate limit hit"},
	132000:             {status: http.StatusBadRequest, title: "Number of parameters does not match the expected number of params"},
	metaNoTemplate:     {status: http.StatusNotFound, title: "Template name does not exist in the translation"},
	133010:             {status: http.StatusBadRequest, title: "Phone number not registered"},

	http.StatusBadRequest:         {status: http.StatusBadRequest, title: "Invalid parameter", graph: metaInvalidParam},
	http.StatusNotFound:           {status: http.StatusNotFound, title: "Unknown path components", graph: 2500, bare: true},
	http.StatusMethodNotAllowed:   {status: http.StatusMethodNotAllowed, title: "Unsupported request - method type not allowed", graph: metaInvalidParam, subcode: 33, typ: "GraphMethodException", bare: true},
	http.StatusServiceUnavailable: {status: http.StatusServiceUnavailable, title: "Service unavailable", graph: metaUnavailable},
}

// metaWindowDetails is Meta's explanation of 131047, in failed receipts.
const metaWindowDetails = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."

// metaErrorsHref is where Meta's webhook errors point.
const metaErrorsHref = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

func (metaFormat) name() string       { return "meta" }
func (metaFormat) codes() []int       { return metaFaultCodes }
func (metaFormat) sendSuffix() string { return "/messages" }
func (metaFormat) rateLimitCode() int { return metaRateLimit }
func (metaFormat) pairLimitCode() int { return metaPairLimit }
func (metaFormat) windowCode() int    { return metaWindow }

// routes reads a phone number's node: GET <base>/{phone-number-id}, what
// `wabulk provider check` asks. The empty suffix takes every path the
// send endpoint and /_sim did not; those other than a numeric last
// segment answer the 404 an unknown path gets.
func (metaFormat) routes() []route { return []route{{suffix: "", serve: serveMetaPhoneNumber}} }

// credential is the Bearer token, or the Graph API's access_token query
// parameter when there is no Authorization header.
func (metaFormat) credential(r *http.Request, _ []byte) (string, bool) {
	if tok, ok := bearerCredential(r); ok {
		return tok, true
	}
	if tok := r.URL.Query().Get("access_token"); tok != "" {
		return tok, true
	}
	return "", false
}

// unauthorized is Graph's 190 with HTTP 401, for a missing token as for a
// wrong one.
func (metaFormat) unauthorized(present bool) answer {
	if !present {
		return answer{code: metaBadToken, title: "An access token is required to request this resource."}
	}
	return answer{code: metaBadToken}
}

// messageID mimics a wamid, "wamid." and base64: here of a fixed prefix,
// the instance nonce and the sequence number.
func (metaFormat) messageID(nonce string, seq uint64) string {
	raw := make([]byte, 0, 2+len(nonce)+8)
	raw = append(raw, 0x1C, 0x18)
	raw = append(raw, nonce...)
	raw = binary.BigEndian.AppendUint64(raw, seq)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}

type metaAccepted struct {
	MessagingProduct string            `json:"messaging_product"`
	Contacts         []metaContactIn   `json:"contacts,omitempty"`
	Messages         []metaAcceptedMsg `json:"messages"`
}

// metaContactIn is the accept's echo of the recipient.
type metaContactIn struct {
	Input string `json:"input"`
	WaID  string `json:"wa_id"`
}

type metaAcceptedMsg struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status"`
}

type metaErrorBody struct {
	Error metaGraphError `json:"error"`
}

type metaGraphError struct {
	Message     string         `json:"message"`
	Type        string         `json:"type"`
	Code        int            `json:"code"`
	Subcode     int            `json:"error_subcode,omitempty"`
	IsTransient bool           `json:"is_transient,omitempty"`
	Data        *metaErrorData `json:"error_data,omitempty"`
	FBTraceID   string         `json:"fbtrace_id"`
}

type metaErrorData struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

func (metaFormat) write(w http.ResponseWriter, a answer) {
	if a.code == http.StatusOK {
		ok := metaAccepted{MessagingProduct: "whatsapp", Messages: []metaAcceptedMsg{{ID: a.id, MessageStatus: "accepted"}}}
		if a.to != "" {
			ok.Contacts = []metaContactIn{{Input: a.to, WaID: a.to}}
		}
		writeJSON(w, http.StatusOK, ok)
		return
	}
	e, ok := metaErrors[a.code]
	if !ok { // a code the format does not list: a bug, rendered as Meta's generic error
		e = metaErrors[metaSomethingWrong]
		e.graph = a.code
	}
	code := a.code
	if e.graph != 0 {
		code = e.graph
	}
	title := e.title
	if a.title != "" {
		title = a.title
	}
	msg := title
	if !e.bare {
		msg = "(#" + strconv.Itoa(code) + ") " + title
	}
	typ := e.typ
	if typ == "" {
		typ = "OAuthException"
	}
	g := metaGraphError{
		Message:     msg,
		Type:        typ,
		Code:        code,
		Subcode:     e.subcode,
		IsTransient: e.status >= 500,
		FBTraceID:   metaTraceID(code, a.details),
	}
	if a.details != "" {
		g.Data = &metaErrorData{MessagingProduct: "whatsapp", Details: a.details}
	}
	w.Header().Set("X-FB-Trace-ID", g.FBTraceID)
	writeJSON(w, e.status, metaErrorBody{Error: g})
}

// metaTraceID is an fbtrace_id for an error: derived from what the error
// says, so a seeded simulator answers byte for byte the same.
func metaTraceID(code int, details string) string {
	h := fnv.New64a()
	h.Write([]byte(strconv.Itoa(code)))
	h.Write([]byte{0})
	h.Write([]byte(details))
	return "A" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// metaSend is a send request as the Cloud API reads it.
type metaSend struct {
	MessagingProduct string            `json:"messaging_product"`
	RecipientType    string            `json:"recipient_type"`
	To               string            `json:"to"`
	Type             string            `json:"type"`
	Text             *metaText         `json:"text"`
	Image            *metaMedia        `json:"image"`
	Video            *metaMedia        `json:"video"`
	Audio            *metaMedia        `json:"audio"`
	Document         *metaMedia        `json:"document"`
	Sticker          *metaMedia        `json:"sticker"`
	Location         *metaLocation     `json:"location"`
	Contacts         []metaContactCard `json:"contacts"`
	Template         *metaTemplate     `json:"template"`
	Interactive      json.RawMessage   `json:"interactive"`
	Reaction         json.RawMessage   `json:"reaction"`
}

type metaText struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type metaMedia struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type metaLocation struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Name      string   `json:"name"`
	Address   string   `json:"address"`
}

type metaContactCard struct {
	Name *struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
		MiddleName    string `json:"middle_name"`
		Prefix        string `json:"prefix"`
		Suffix        string `json:"suffix"`
	} `json:"name"`
}

type metaTemplate struct {
	Name     string `json:"name"`
	Language *struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []metaComponent `json:"components"`
}

type metaComponent struct {
	Type       string `json:"type"`
	SubType    string `json:"sub_type"`
	Index      any    `json:"index"` // a string in Meta's examples, a number accepted
	Parameters []struct {
		Type string `json:"type"`
	} `json:"parameters"`
}

// Limits the Cloud API enforces.
const (
	metaMaxText         = 4096
	metaMaxCaption      = 1024
	metaMaxTemplateName = 512
)

// metaTypes are the message types the Cloud API sends, for the error that
// names them.
const metaTypes = "{AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}"

// metaRequired is Graph's refusal of a missing parameter.
func metaRequired(param string) *answer {
	return &answer{code: metaInvalidParam, title: "The parameter " + param + " is required.",
		details: param + " is required"}
}

// metaInvalid is the refusal of a parameter present with a wrong value.
func metaInvalid(details string) *answer {
	return &answer{code: metaValueInvalid, details: details}
}

// parseSend validates like the Cloud API: well-formed JSON with
// messaging_product "whatsapp", "to" a phone number ("+" allowed), a known
// type (text when omitted) with its object, and the type's own rules.
// Every type but template is free-form.
func (metaFormat) parseSend(body []byte) (parsed, *answer) {
	var m metaSend
	if err := json.Unmarshal(body, &m); err != nil {
		return parsed{}, &answer{code: metaInvalidParam, details: "request body is not valid JSON: " + err.Error()}
	}
	switch {
	case m.MessagingProduct == "":
		return parsed{}, metaRequired("messaging_product")
	case !strings.EqualFold(m.MessagingProduct, "whatsapp"):
		return parsed{}, &answer{code: metaInvalidParam,
			title:   `Param messaging_product must be one of {WHATSAPP} - got "` + m.MessagingProduct + `".`,
			details: "messaging_product must be whatsapp"}
	case m.RecipientType != "" && m.RecipientType != "individual":
		return parsed{}, metaInvalid(`recipient_type must be "individual", not "` + m.RecipientType + `"`)
	case m.To == "":
		return parsed{}, metaRequired("to")
	}
	to := strings.TrimPrefix(m.To, "+")
	if !isWaID(to) {
		return parsed{}, metaInvalid(`to "` + m.To + `" is not a phone number: 7 to 15 digits with the country code`)
	}
	if m.Type == "" {
		m.Type = "text" // the Cloud API's default
	}
	if reject := m.validate(); reject != nil {
		return parsed{}, reject
	}
	return parsed{to: to, freeForm: m.Type != "template"}, nil
}

// validate checks the object the type names.
func (m *metaSend) validate() *answer {
	switch m.Type {
	case "text":
		switch {
		case m.Text == nil:
			return metaRequired("text")
		case strings.TrimSpace(m.Text.Body) == "":
			return metaRequired("text['body']")
		case utf8.RuneCountInString(m.Text.Body) > metaMaxText:
			return metaInvalid("text['body'] must be at most " + strconv.Itoa(metaMaxText) + " characters long")
		}
	case "image", "video", "audio", "document", "sticker":
		return m.validateMedia()
	case "location":
		l := m.Location
		switch {
		case l == nil:
			return metaRequired("location")
		case l.Latitude == nil:
			return metaRequired("location['latitude']")
		case l.Longitude == nil:
			return metaRequired("location['longitude']")
		case *l.Latitude < -90 || *l.Latitude > 90:
			return metaInvalid("location['latitude'] " + strconv.FormatFloat(*l.Latitude, 'g', -1, 64) + " is outside -90 to 90")
		case *l.Longitude < -180 || *l.Longitude > 180:
			return metaInvalid("location['longitude'] " + strconv.FormatFloat(*l.Longitude, 'g', -1, 64) + " is outside -180 to 180")
		}
	case "contacts":
		return m.validateContacts()
	case "template":
		return m.validateTemplate()
	case "interactive", "reaction":
		raw := m.Interactive
		if m.Type == "reaction" {
			raw = m.Reaction
		}
		if len(raw) == 0 || string(raw) == "null" {
			return metaRequired(m.Type)
		}
	default:
		return &answer{code: metaInvalidParam,
			title:   "Param type must be one of " + metaTypes + ` - got "` + m.Type + `".`,
			details: `type "` + m.Type + `" is not a message type`}
	}
	return nil
}

// validateMedia checks a media object: an uploaded media id or a link,
// not both; a caption only where the type has one.
func (m *metaSend) validateMedia() *answer {
	var md *metaMedia
	switch m.Type {
	case "image":
		md = m.Image
	case "video":
		md = m.Video
	case "audio":
		md = m.Audio
	case "document":
		md = m.Document
	case "sticker":
		md = m.Sticker
	}
	switch {
	case md == nil:
		return metaRequired(m.Type)
	case md.ID == "" && md.Link == "":
		return metaRequired(m.Type + "['link'] or " + m.Type + "['id']")
	case md.ID != "" && md.Link != "":
		return metaInvalid(m.Type + " must carry either an id or a link, not both")
	case (m.Type == "audio" || m.Type == "sticker") && md.Caption != "":
		return metaInvalid(m.Type + " cannot carry a caption")
	case utf8.RuneCountInString(md.Caption) > metaMaxCaption:
		return metaInvalid(m.Type + "['caption'] must be at most " + strconv.Itoa(metaMaxCaption) + " characters long")
	case m.Type != "document" && md.Filename != "":
		return metaInvalid("only a document carries a filename, not " + m.Type)
	}
	if md.Link != "" {
		if u, err := url.Parse(md.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return metaInvalid(m.Type + `['link'] "` + md.Link + `" must be an absolute http or https URL`)
		}
	}
	return nil
}

// validateContacts checks the contact cards: each needs a formatted name
// and, as the Cloud API wants, one name part besides it.
func (m *metaSend) validateContacts() *answer {
	if m.Contacts == nil {
		return metaRequired("contacts")
	}
	if len(m.Contacts) == 0 {
		return metaInvalid("contacts must hold at least one contact")
	}
	for i, c := range m.Contacts {
		at := "contacts[" + strconv.Itoa(i) + "]"
		switch n := c.Name; {
		case n == nil:
			return metaRequired(at + "['name']")
		case strings.TrimSpace(n.FormattedName) == "":
			return metaRequired(at + "['name']['formatted_name']")
		case n.FirstName == "" && n.LastName == "" && n.MiddleName == "" && n.Prefix == "" && n.Suffix == "":
			return metaInvalid(at + "['name'] needs one of first_name, last_name, middle_name, prefix, suffix besides formatted_name")
		}
	}
	return nil
}

// validateTemplate checks a template: name and language code, and
// components of a known type, buttons with a sub_type and an index.
func (m *metaSend) validateTemplate() *answer {
	t := m.Template
	switch {
	case t == nil:
		return metaRequired("template")
	case strings.TrimSpace(t.Name) == "":
		return metaRequired("template['name']")
	case len(t.Name) > metaMaxTemplateName:
		return metaInvalid("template['name'] is longer than " + strconv.Itoa(metaMaxTemplateName) + " characters")
	case t.Language == nil:
		return metaRequired("template['language']")
	case strings.TrimSpace(t.Language.Code) == "":
		return metaRequired("template['language']['code']")
	}
	for i, c := range t.Components {
		at := "template['components'][" + strconv.Itoa(i) + "]"
		switch c.Type {
		case "header", "body", "footer":
		case "button":
			if c.SubType == "" {
				return metaRequired(at + "['sub_type']")
			}
			if c.Index == nil {
				return metaRequired(at + "['index']")
			}
		case "":
			return metaRequired(at + "['type']")
		default:
			return metaInvalid(at + `['type'] "` + c.Type + `" is not one of header, body, footer, button`)
		}
		for j, p := range c.Parameters {
			if p.Type == "" {
				return metaRequired(at + "['parameters'][" + strconv.Itoa(j) + "]['type']")
			}
		}
	}
	return nil
}

// metaHook is a WhatsApp Business Account webhook notification.
type metaHook struct {
	Object string          `json:"object"`
	Entry  []metaHookEntry `json:"entry"`
}

type metaHookEntry struct {
	ID      string           `json:"id"`
	Changes []metaHookChange `json:"changes"`
}

type metaHookChange struct {
	Value metaHookValue `json:"value"`
	Field string        `json:"field"`
}

type metaHookValue struct {
	MessagingProduct string            `json:"messaging_product"`
	Metadata         metaHookMetadata  `json:"metadata"`
	Contacts         []metaHookContact `json:"contacts,omitempty"`
	Messages         []metaHookMessage `json:"messages,omitempty"`
	Statuses         []metaHookStatus  `json:"statuses,omitempty"`
}

type metaHookMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type metaHookStatus struct {
	ID          string          `json:"id"`
	Status      string          `json:"status"`
	Timestamp   string          `json:"timestamp"`
	RecipientID string          `json:"recipient_id"`
	Errors      []metaHookError `json:"errors,omitempty"`
}

type metaHookError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

type metaHookContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type metaHookMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
}

var metaHookHeader = http.Header{"Content-Type": {"application/json"}, "User-Agent": {"facebookexternalua"}}

// metaNotification wraps value in the webhook envelope of business's
// account.
func metaNotification(business string, value metaHookValue) []byte {
	value.MessagingProduct = "whatsapp"
	value.Metadata = metaHookMetadata{DisplayPhoneNumber: business, PhoneNumberID: metaGraphID("phone", business)}
	return mustJSON(metaHook{
		Object: "whatsapp_business_account",
		Entry: []metaHookEntry{{
			ID:      metaGraphID("waba", business),
			Changes: []metaHookChange{{Value: value, Field: "messages"}},
		}},
	})
}

// metaGraphID is a stable 15-digit Graph id for one of the business
// number's objects (its phone number id, its WhatsApp Business Account).
func metaGraphID(kind, business string) string {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(business))
	const span = 900_000_000_000_000 // 15 digits, no leading zero
	return strconv.FormatUint(100_000_000_000_000+h.Sum64()%span, 10)
}

// renderStatus is the status notification; Meta's statuses are the
// engine's own words (sent, delivered, read, failed).
func (metaFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	s := metaHookStatus{ID: st.MessageID, Status: st.Status, Timestamp: unixSeconds(st.Time), RecipientID: st.Recipient}
	if st.Status == "failed" {
		e := metaHookError{Code: st.ErrorCode, Title: metaErrors[st.ErrorCode].title, Href: metaErrorsHref}
		e.Message = e.Title
		e.ErrorData.Details = e.Title
		if st.ErrorCode == metaWindow {
			e.ErrorData.Details = metaWindowDetails
		}
		s.Errors = []metaHookError{e}
	}
	return metaNotification(st.Business, metaHookValue{Statuses: []metaHookStatus{s}}), metaHookHeader.Clone()
}

// renderInbound is the notification of a text message from a customer.
func (metaFormat) renderInbound(in inboundEvent) ([]byte, http.Header) {
	var c metaHookContact
	c.Profile.Name, c.WaID = in.Name, in.From
	m := metaHookMessage{From: in.From, ID: in.ID, Timestamp: unixSeconds(in.Time), Type: "text"}
	m.Text.Body = in.Text
	return metaNotification(in.To, metaHookValue{Contacts: []metaHookContact{c}, Messages: []metaHookMessage{m}}),
		metaHookHeader.Clone()
}

// signCallback signs as Meta does: X-Hub-Signature-256 with HMAC-SHA256 of
// the app secret, and the older X-Hub-Signature with HMAC-SHA1.
func (metaFormat) signCallback(secret string, body []byte, h http.Header) {
	h.Set("X-Hub-Signature-256", hubSignature256(secret, body))
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	h.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(mac.Sum(nil)))
}

// metaPhoneNumber is the node of a business phone number, as much of it
// as a read with ?fields=... or without returns.
type metaPhoneNumber struct {
	VerifiedName       string `json:"verified_name"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	QualityRating      string `json:"quality_rating"`
	ID                 string `json:"id"`
}

// serveMetaPhoneNumber answers GET <base>/{phone-number-id}; any other
// path is an unknown one.
func serveMetaPhoneNumber(s *Simulator, w http.ResponseWriter, r *http.Request) {
	f := s.format
	p := strings.TrimSuffix(r.URL.Path, "/")
	id := p[strings.LastIndex(p, "/")+1:]
	if id == "" || strings.Trim(id, "0123456789") != "" {
		f.write(w, answer{code: http.StatusNotFound, details: "no endpoint " + r.URL.Path})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		f.write(w, answer{code: http.StatusMethodNotAllowed})
		return
	}
	if a, ok := s.authorize(r, nil); !ok {
		f.write(w, a)
		return
	}
	writeJSON(w, http.StatusOK, metaPhoneNumber{VerifiedName: "wabulk simulator",
		DisplayPhoneNumber: "+" + s.cfg.BusinessNumber, QualityRating: "GREEN", ID: id})
}
