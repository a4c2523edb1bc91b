package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the Tujenge wire format: the on-premises WhatsApp Business
// API v1 behind Tujenge's gateway (seeds/tujenge.txt). Requests carry
// WA-API-KEY (Config.APIKey: its value); the API answers in the on-prem
// shape
//
//	{"errors":[{"code":N,"title":"...","details":"..."}],"meta":{"api_status":"stable","version":"2.45.1"}}
//
// and the gateway in front of it in its own shape
//
//	{"meta":{"success":false,"http_code":401,"developer_message":"...","details":["..."]}}
//
// Throttling (rate and pair limit) is 429 with Retry-After, the 24 h window
// 470. Callbacks are the on-prem webhook notifications: status receipts
//
//	{"statuses":[{"id":"gBEG...","recipient_id":"2557...","status":"delivered","timestamp":"1700000000"}]}
//
// (a failed one with "errors":[{"code":470,"title":"..."}]) and inbound
// messages
//
//	{"contacts":[{"profile":{"name":"..."},"wa_id":"2557..."}],
//	 "messages":[{"from":"2557...","id":"...","timestamp":"1700000000","type":"text","text":{"body":"..."}}]}
//
// GET /v1/stickerpacks, the document's example of an authorized request,
// answers {"stickerpacks":[]} behind the key (a credential check).

func init() {
	register(tujengeFormat{})
	registerScenario("tujenge", Scenario{Transient: []int{408, 503}, Throttle: 429, Permanent: 400, Template: 2001, Window: 470, Auth: 401})
}

// tujengeVersion is the on-prem API version the simulator claims.
const tujengeVersion = "2.45.1"

type tujengeFormat struct{}

// tujengeTitles are the on-prem error titles, from the Tujenge document
// where it gives one.
var tujengeTitles = map[int]string{
	400:  "Bad Request",
	408:  "Message failed to send because it was pending for too long",
	429:  "Too many requests",
	470:  "Message failed to send because more than 24 hours have passed since the customer last replied to this number",
	500:  "structure unavailable: Client could not display highly structured message",
	1000: "Failed to generate processed file path",
	1008: "Required parameter is missing",
	1009: "Invalid latitude",
	1014: "Request for the media URL failed",
	2001: "Template name does not exist in the translation",
}

// tujengeGateway are the codes the gateway answers itself, in its shape.
var tujengeGateway = map[int]string{
	401: "Invalid API key",
	404: "Not found",
	405: "Method not allowed",
	502: "Bad gateway",
	503: "Service temporarily unavailable",
	504: "Gateway timeout",
}

// tujengeStatus is the HTTP status of an on-prem error code; codes not
// listed are answered 400.
var tujengeStatus = map[int]int{
	408: http.StatusRequestTimeout,
	429: http.StatusTooManyRequests,
	500: http.StatusInternalServerError,
}

// Titles the validator uses where the code's own title would mislead.
const (
	titleInvalidParam = "Parameter value is not valid"
)

// tujengeFaultCodes are the codes a fault or a script may name.
var tujengeFaultCodes = []int{400, 401, 408, 429, 470, 500, 502, 503, 504, 1000, 1008, 1009, 1014, 2001}

func (tujengeFormat) name() string       { return "tujenge" }
func (tujengeFormat) codes() []int       { return tujengeFaultCodes }
func (tujengeFormat) sendSuffix() string { return "/v1/messages" }
func (tujengeFormat) rateLimitCode() int { return 429 }
func (tujengeFormat) pairLimitCode() int { return 429 }
func (tujengeFormat) windowCode() int    { return 470 }

func (tujengeFormat) credential(r *http.Request, _ []byte) (string, bool) {
	return headerCredential(r, "WA-API-KEY")
}

// unauthorized is the gateway's 401.
func (tujengeFormat) unauthorized(present bool) answer {
	if !present {
		return answer{code: http.StatusUnauthorized, details: "WA-API-KEY header is missing"}
	}
	return answer{code: http.StatusUnauthorized, details: "WA-API-KEY is not valid"}
}

func (tujengeFormat) routes() []route {
	return []route{
		{suffix: "/v1/configs/webhook", serve: serveTujengeWebhook},
		{suffix: "/v1/stickerpacks", serve: serveTujengeStickerpacks},
	}
}

// messageID mimics on-prem ids ("gBEGkYiEB1VXAglK1ZEqA1YKPrU"): a fixed
// prefix, the instance nonce, the sequence number.
func (tujengeFormat) messageID(nonce string, seq uint64) string {
	b := make([]byte, 0, 32)
	b = append(b, "gBEG"...)
	b = append(b, nonce...)
	b = strconv.AppendUint(b, seq, 36)
	return string(b)
}

type tujengeMeta struct {
	APIStatus string `json:"api_status"`
	Version   string `json:"version"`
}

type tujengeError struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Details string `json:"details,omitempty"`
}

type tujengeErrorBody struct {
	Errors []tujengeError `json:"errors"`
	Meta   tujengeMeta    `json:"meta"`
}

type tujengeGatewayBody struct {
	Meta struct {
		Success          bool     `json:"success"`
		HTTPCode         int      `json:"http_code"`
		DeveloperMessage string   `json:"developer_message"`
		Details          []string `json:"details,omitempty"`
	} `json:"meta"`
}

func (tujengeFormat) write(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	if a.code == http.StatusOK {
		b := make([]byte, 0, 128)
		b = append(b, `{"messages":[{"id":"`...)
		b = append(b, a.id...) // [0-9A-Za-z] only: no escaping needed
		b = append(b, `"}],"meta":{"api_status":"stable","version":"`+tujengeVersion+`"}}`...)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return
	}
	if msg, ok := tujengeGateway[a.code]; ok {
		var body tujengeGatewayBody
		body.Meta.HTTPCode = a.code
		body.Meta.DeveloperMessage = msg
		if a.code < 500 && a.details != "" { // the gateway's 50X shape has no details
			body.Meta.Details = []string{a.details}
		}
		writeJSON(w, a.code, body)
		return
	}
	title := a.title
	if title == "" {
		title = tujengeTitles[a.code]
	}
	status, ok := tujengeStatus[a.code]
	if !ok {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, tujengeErrorBody{
		Errors: []tujengeError{{Code: a.code, Title: title, Details: a.details}},
		Meta:   tujengeMeta{APIStatus: "stable", Version: tujengeVersion},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs go in: a bug, not a runtime condition
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// tujengeSend is a send request as the on-prem API reads it.
type tujengeSend struct {
	RecipientType string           `json:"recipient_type"`
	To            string           `json:"to"`
	Type          string           `json:"type"`
	Text          *tujengeText     `json:"text"`
	Image         *tujengeMedia    `json:"image"`
	Video         *tujengeMedia    `json:"video"`
	Audio         *tujengeMedia    `json:"audio"`
	Document      *tujengeMedia    `json:"document"`
	Sticker       *tujengeMedia    `json:"sticker"`
	Location      *tujengeLocation `json:"location"`
	Contacts      []tujengeContact `json:"contacts"`
	Template      *tujengeTemplate `json:"template"`
}

type tujengeText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type tujengeMedia struct {
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type tujengeLocation struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Name      string   `json:"name"`
	Address   string   `json:"address"`
}

type tujengeContact struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
	} `json:"name"`
}

type tujengeTemplate struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Language  *struct {
		Policy string `json:"policy"`
		Code   string `json:"code"`
	} `json:"language"`
	Components []json.RawMessage `json:"components"`
}

// Limits the on-prem API enforces.
const (
	tujengeMaxText         = 4096
	tujengeMaxTemplateName = 512
)

func missing(field string) *answer {
	return &answer{code: 1008, details: field + " is required"}
}

func invalid(details string) *answer {
	return &answer{code: 1009, title: titleInvalidParam, details: details}
}

// parseSend validates like a strict on-prem server: well-formed JSON, `to`
// as 7–15 digits, a known type with its object, and the type's own rules.
// Every type but template is free-form.
func (tujengeFormat) parseSend(body []byte) (parsed, *answer) {
	var m tujengeSend
	if err := json.Unmarshal(body, &m); err != nil {
		return parsed{}, &answer{code: 400, details: "request body is not valid JSON: " + err.Error()}
	}
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return parsed{}, invalid(`recipient_type must be "individual", not "` + m.RecipientType + `"`)
	}
	if m.To == "" {
		return parsed{}, missing("to")
	}
	if !isWaID(m.To) {
		return parsed{}, invalid(`to "` + m.To + `" must be 7 to 15 digits with the country code, no "+" and no leading 0`)
	}
	switch m.Type {
	case "":
		return parsed{}, missing("type")
	case "text":
		if m.Text == nil {
			return parsed{}, missing("text")
		}
		if strings.TrimSpace(m.Text.Body) == "" {
			return parsed{}, missing("text.body")
		}
		if n := utf8.RuneCountInString(m.Text.Body); n > tujengeMaxText {
			return parsed{}, invalid("text.body is " + strconv.Itoa(n) + " characters, the limit is " + strconv.Itoa(tujengeMaxText))
		}
	case "image", "video", "audio", "document", "sticker":
		media := m.media()
		if media == nil {
			return parsed{}, missing(m.Type)
		}
		if media.Link == "" {
			return parsed{}, missing(m.Type + ".link")
		}
		if u, err := url.Parse(media.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return parsed{}, invalid(m.Type + `.link "` + media.Link + `" must be an absolute http or https URL`)
		}
	case "location":
		l := m.Location
		switch {
		case l == nil:
			return parsed{}, missing("location")
		case l.Latitude == nil:
			return parsed{}, missing("location.latitude")
		case l.Longitude == nil:
			return parsed{}, missing("location.longitude")
		case *l.Latitude < -90 || *l.Latitude > 90:
			return parsed{}, &answer{code: 1009, title: "Invalid latitude",
				details: "latitude " + strconv.FormatFloat(*l.Latitude, 'g', -1, 64) + " is outside -90 to 90"}
		case *l.Longitude < -180 || *l.Longitude > 180:
			return parsed{}, &answer{code: 1009, title: "Invalid longitude",
				details: "longitude " + strconv.FormatFloat(*l.Longitude, 'g', -1, 64) + " is outside -180 to 180"}
		}
	case "contacts":
		if m.Contacts == nil {
			return parsed{}, missing("contacts")
		}
		if len(m.Contacts) == 0 {
			return parsed{}, invalid("contacts must hold at least one contact")
		}
		for i, c := range m.Contacts {
			if strings.TrimSpace(c.Name.FormattedName) == "" {
				return parsed{}, missing("contacts[" + strconv.Itoa(i) + "].name.formatted_name")
			}
		}
	case "template":
		t := m.Template
		switch {
		case t == nil:
			return parsed{}, missing("template")
		case strings.TrimSpace(t.Name) == "":
			return parsed{}, missing("template.name")
		case len(t.Name) > tujengeMaxTemplateName:
			return parsed{}, invalid("template.name is longer than " + strconv.Itoa(tujengeMaxTemplateName) + " characters")
		case t.Language == nil || strings.TrimSpace(t.Language.Code) == "":
			return parsed{}, missing("template.language.code")
		}
	default:
		return parsed{}, invalid(`type "` + m.Type + `" is not one of text, image, video, audio, document, sticker, location, contacts, template`)
	}
	return parsed{to: m.To, freeForm: m.Type != "template"}, nil
}

// media returns the object of a media type.
func (m *tujengeSend) media() *tujengeMedia {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

// isWaID reports whether s is a wa_id: E.164 digits without the "+".
func isWaID(s string) bool {
	if len(s) < 7 || len(s) > 15 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// tujengeWebhook is the body of POST /v1/configs/webhook and its answer.
type tujengeWebhook struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// serveTujengeWebhook stores the callback configuration and echoes it.
// Errors come in the gateway shape, as the document shows for this endpoint.
// The simulator does not call the stored URL: callbacks go to
// Config.CallbackURL only.
func serveTujengeWebhook(s *Simulator, w http.ResponseWriter, r *http.Request) {
	f := s.format
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		f.write(w, answer{code: http.StatusMethodNotAllowed, details: r.Method + " is not allowed here; use POST"})
		return
	}
	body, err := s.readBody(w, r)
	if a, ok := s.authorize(r, body); !ok {
		f.write(w, a)
		return
	}
	var hook tujengeWebhook
	if err == nil {
		err = json.Unmarshal(body, &hook)
	}
	if err != nil {
		writeTujengeGateway(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	if u, perr := url.Parse(hook.URL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeTujengeGateway(w, http.StatusBadRequest, "Bad request", `url "`+hook.URL+`" must be an absolute http or https URL`)
		return
	}
	if hook.Headers == nil {
		hook.Headers = map[string]string{}
	}
	s.setWebhook(hook.URL, hook.Headers)
	writeJSON(w, http.StatusOK, hook)
}

func writeTujengeGateway(w http.ResponseWriter, status int, msg, details string) {
	var body tujengeGatewayBody
	body.Meta.HTTPCode = status
	body.Meta.DeveloperMessage = msg
	body.Meta.Details = []string{details}
	writeJSON(w, status, body)
}

// tujengeStatusBody is an on-prem status notification.
type tujengeStatusBody struct {
	Statuses []tujengeHookStatus `json:"statuses"`
}

type tujengeHookStatus struct {
	ID          string             `json:"id"`
	RecipientID string             `json:"recipient_id"`
	Status      string             `json:"status"`
	Timestamp   string             `json:"timestamp"`
	Errors      []tujengeHookError `json:"errors,omitempty"`
}

type tujengeHookError struct {
	Code  int    `json:"code"`
	Title string `json:"title"`
}

// tujengeInboundBody is an on-prem inbound message notification.
type tujengeInboundBody struct {
	Contacts []tujengeHookContact `json:"contacts"`
	Messages []tujengeHookMessage `json:"messages"`
}

type tujengeHookContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type tujengeHookMessage struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      struct {
		Body string `json:"body"`
	} `json:"text"`
}

var tujengeHookHeader = http.Header{"Content-Type": {"application/json"}}

// renderStatus is the on-prem status notification; the statuses are the
// engine's own words (sent, delivered, read, failed).
func (tujengeFormat) renderStatus(st statusEvent) ([]byte, http.Header) {
	s := tujengeHookStatus{ID: st.MessageID, RecipientID: st.Recipient, Status: st.Status, Timestamp: unixSeconds(st.Time)}
	if st.Status == "failed" {
		s.Errors = []tujengeHookError{{Code: st.ErrorCode, Title: tujengeTitles[st.ErrorCode]}}
	}
	return mustJSON(tujengeStatusBody{Statuses: []tujengeHookStatus{s}}), tujengeHookHeader.Clone()
}

// renderInbound is the on-prem text message notification.
func (tujengeFormat) renderInbound(in inboundEvent) ([]byte, http.Header) {
	var c tujengeHookContact
	c.Profile.Name, c.WaID = in.Name, in.From
	m := tujengeHookMessage{From: in.From, ID: in.ID, Timestamp: unixSeconds(in.Time), Type: "text"}
	m.Text.Body = in.Text
	return mustJSON(tujengeInboundBody{Contacts: []tujengeHookContact{c}, Messages: []tujengeHookMessage{m}}), tujengeHookHeader.Clone()
}

func unixSeconds(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// mustJSON marshals a value built from plain structs, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("simulator: " + err.Error())
	}
	return b
}

// serveTujengeStickerpacks is GET /v1/stickerpacks, the document's example
// of an authorized request (and what `wabulk provider check` asks): the
// account's sticker packs, none, in the on-prem shape; a missing or wrong
// key gets the gateway's 401. It is not counted as a send.
func serveTujengeStickerpacks(s *Simulator, w http.ResponseWriter, r *http.Request) {
	f := s.format
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		f.write(w, answer{code: http.StatusMethodNotAllowed, details: r.Method + " is not allowed here; use GET"})
		return
	}
	if a, ok := s.authorize(r, nil); !ok {
		f.write(w, a)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"stickerpacks": []any{},
		"meta":         map[string]string{"api_status": "stable", "version": tujengeVersion},
	})
}
