package taqnyat

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// answer is any body Taqnyat returns. A send is answered like a delivery
// report ({"type":"whatsapp","statuses":[{"message_id":...,"state":"queued",
// ...}]}), or in a WhatsApp-style shape ({"messages":[{"id":...}]}, a
// top-level "message_id" or "id"); an error carries {"message":...,
// "reason"|"details":...}, where message may be a code ("401") or words
// ("Validation error"). The decoding is lenient: a field in an unexpected
// shape is dropped rather than failing the whole answer.
type answer struct {
	Type      string        `json:"type"`
	Statuses  statusList    `json:"statuses"`
	Messages  list[sentRef] `json:"messages"`
	MessageID wire.String   `json:"message_id"`
	ID        wire.String   `json:"id"`
	Message   wire.String   `json:"message"`
	Code      wire.String   `json:"code"`
	Reason    wire.Texts    `json:"reason"`
	Details   wire.Texts    `json:"details"`
	Title     wire.Texts    `json:"title"`
	Error     wire.Texts    `json:"error"`
	Failed    []wire.String `json:"failedToOptInNumbers"`
}

// sentRef is one entry of a WhatsApp-style "messages": {"id":"wamid..."}
// (message_id is read too).
type sentRef struct {
	ID        wire.String `json:"id"`
	MessageID wire.String `json:"message_id"`
}

// deliveryStatus is one entry of "statuses": the document's delivery report
// (status, state, message_id, details, recipient, timestamp).
type deliveryStatus struct {
	Status    wire.String `json:"status"` // success or failure
	State     wire.String `json:"state"`
	MessageID wire.String `json:"message_id"`
	Details   wire.Texts  `json:"details"`
	Recipient wire.String `json:"recipient"`
	Timestamp wire.String `json:"timestamp"`
}

// parseAnswer decodes b; ok is false (and a zero) when b is not a JSON
// object.
func parseAnswer(b []byte) (a answer, ok bool) {
	if !wire.DecodeObject(b, &a) {
		return answer{}, false
	}
	return a, true
}

// status returns the delivery report for the recipient waID (the one whose
// recipient matches, else the first), or nil when there is none.
func (a *answer) status(waID string) *deliveryStatus {
	for i := range a.Statuses {
		if message.WaID(msisdn(string(a.Statuses[i].Recipient))) == waID {
			return &a.Statuses[i]
		}
	}
	if len(a.Statuses) > 0 {
		return &a.Statuses[0]
	}
	return nil
}

// code is the provider's numeric code: "message" when it is a number (the
// form {"message":"401","reason":"Unauthorized bot"}), else "code".
func (a *answer) code() string {
	for _, s := range []wire.String{a.Message, a.Code} {
		if _, err := strconv.Atoi(string(s)); err == nil {
			return string(s)
		}
	}
	return ""
}

// words are the provider's explanation: message (unless it is a code),
// title, reason, details, error.
func (a *answer) words() string {
	var w []string
	if a.code() != string(a.Message) {
		w = append(w, string(a.Message))
	}
	for _, t := range []wire.Texts{a.Title, a.Reason, a.Details, a.Error} {
		w = append(w, t...)
	}
	return wire.Join(w...)
}

// messageID is the message id of an answer in a WhatsApp-style shape: the
// first id in "messages", else the top-level "message_id", else the
// top-level "id"; "" when there is none. A delivery report's message_id is
// read by status, before this.
func (a *answer) messageID() string {
	for _, m := range a.Messages {
		for _, id := range []wire.String{m.ID, m.MessageID} {
			if s := strings.TrimSpace(string(id)); s != "" {
				return s
			}
		}
	}
	for _, id := range []wire.String{a.MessageID, a.ID} {
		if s := strings.TrimSpace(string(id)); s != "" {
			return s
		}
	}
	return ""
}

// namesErrorCode reports whether the answer names an error code (300 and
// up), as in {"message":"401","reason":"Unauthorized bot"}.
func (a *answer) namesErrorCode() bool {
	n, err := strconv.Atoi(a.code())
	return err == nil && n >= 300
}

// isError reports whether a 2xx answer without a delivery report is an
// error envelope: it names an error code (300 and up), or names none and
// explains itself beyond a bare message. {"message":"Message sent"} or
// {"message":"201","reason":"success"} are not errors, only unreadable.
func (a *answer) isError() bool {
	if len(a.Statuses) > 0 {
		return false
	}
	if c := a.code(); c != "" {
		n, _ := strconv.Atoi(c)
		return n >= 300
	}
	return len(a.Title)+len(a.Reason)+len(a.Details)+len(a.Error) > 0
}

// failed reports whether the report says the message will not go out.
func (s *deliveryStatus) failed() bool {
	if strings.EqualFold(string(s.Status), "failure") {
		return true
	}
	switch stateOf(string(s.State)) {
	case "failed", "deleted", "no_opt_in", "no_capability":
		return true
	}
	return false
}

// receipt reads the answer to POST /messages/ for the recipient waID.
func (c *Client) receipt(resp *providers.Response, waID string) (providers.Receipt, error) {
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 != 2 {
		return providers.Receipt{}, c.failure(resp, a, waID)
	}
	st := a.status(waID)
	if st != nil && st.failed() {
		return providers.Receipt{}, c.stateFailure(resp, st)
	}
	if st != nil {
		if id := strings.TrimSpace(string(st.MessageID)); id != "" {
			return providers.Receipt{ProviderMessageID: id, Status: receiptStatus(string(st.State))}, nil
		}
	}
	// An error code beats a bare id, which may name the request rather
	// than a message (failure marks the error Ambiguous).
	if a.namesErrorCode() {
		return providers.Receipt{}, c.failure(resp, a, waID)
	}
	if id := a.messageID(); id != "" {
		return providers.Receipt{ProviderMessageID: id, Status: message.Accepted}, nil
	}
	if a.isError() {
		return providers.Receipt{}, c.failure(resp, a, waID)
	}
	// A 2xx: Taqnyat may well have queued it.
	return providers.Receipt{}, wire.NoMessageID(resp, ok, c.redactions...)
}

// receiptStatus is where a synchronous answer leaves the message: accepted
// (queued, dispatched) unless Taqnyat already reports it further along.
func receiptStatus(state string) message.Status {
	switch stateOf(state) {
	case "sent":
		return message.Sent
	case "delivered":
		return message.Delivered
	case "read":
		return message.Read
	}
	return message.Accepted
}

// provisioned reads the answer to POST or DELETE /provision/optin/: any
// 2xx (the document's API answers 200 with an empty body, Taqnyat also
// {"type":"Opt-In","statuses":[{"status":"success","state":"enable"}]}) is
// success unless it reports a failure.
func (c *Client) provisioned(resp *providers.Response) error {
	a, _ := parseAnswer(resp.Body)
	if resp.Status/100 != 2 {
		return c.failure(resp, a, "")
	}
	for i := range a.Statuses {
		if st := &a.Statuses[i]; strings.EqualFold(string(st.Status), "failure") {
			return c.stateFailure(resp, st)
		}
	}
	if len(a.Failed) > 0 {
		return &providers.SendError{Class: providers.Permanent, Code: "failed_to_opt_in", HTTPStatus: resp.Status,
			Message: wire.Prose(string(resp.Body), c.redactions...)}
	}
	if a.isError() {
		return c.failure(resp, a, "")
	}
	return nil
}

// stateFailure is a delivery report that says the message failed: the
// state is the code (no_opt_in, no_capability, failed, deleted).
func (c *Client) stateFailure(resp *providers.Response, st *deliveryStatus) *providers.SendError {
	code := stateOf(string(st.State))
	if code == "" {
		code = "failure"
	}
	text := wire.Join(st.Details...)
	class, reason := classifyState(code, text)
	if text == "" {
		text = "Taqnyat reports the message " + code
	}
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Message:    wire.Prose(text, c.redactions...),
	}
}

// failure turns an error answer (any status, or a 2xx error envelope) into
// a *SendError classified by classify. a is resp.Body parsed (zero when it
// is not JSON); waID picks the delivery report of an error that carries one.
func (c *Client) failure(resp *providers.Response, a answer, waID string) *providers.SendError {
	if st := a.status(waID); st != nil && st.failed() {
		return c.stateFailure(resp, st)
	}
	code := a.code()
	if code == "" {
		code = strconv.Itoa(resp.Status)
	}
	// When the body is not JSON, or JSON in no documented shape, its own
	// text explains.
	text := wire.Explain(a.words(), resp.Body, resp.Status)
	class, reason := classify(code, resp.Status, text)
	return &providers.SendError{
		Class:      class,
		Reason:     reason,
		Code:       code,
		HTTPStatus: resp.Status,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		// A 2xx that names an error and a message id is contradictory:
		// the message may have gone out.
		Ambiguous: resp.Status/100 == 2 && a.messageID() != "",
		Message:   wire.Prose(text, c.redactions...),
	}
}

// stateOf normalizes a state word: "No_Opt_In " → "no_opt_in".
func stateOf(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// statusList decodes "statuses" in every shape seen: an array of reports,
// a single report object, or an object of reports keyed by anything (read
// in key order). A string ("PENDING") or anything else decodes as empty.
type statusList []deliveryStatus

func (l *statusList) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(b, []byte("[")):
		var raws []json.RawMessage
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
		for _, r := range raws {
			var s deliveryStatus
			if bytes.HasPrefix(bytes.TrimSpace(r), []byte("{")) && json.Unmarshal(r, &s) == nil {
				*l = append(*l, s)
			}
		}
	case bytes.HasPrefix(b, []byte("{")):
		var fields map[string]json.RawMessage
		if json.Unmarshal(b, &fields) != nil {
			return nil
		}
		for _, k := range []string{"message_id", "state", "status", "recipient"} {
			if _, ok := fields[k]; ok { // one report
				var s deliveryStatus
				if json.Unmarshal(b, &s) == nil {
					*l = statusList{s}
				}
				return nil
			}
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var s deliveryStatus
			if bytes.HasPrefix(bytes.TrimSpace(fields[k]), []byte("{")) && json.Unmarshal(fields[k], &s) == nil {
				*l = append(*l, s)
			}
		}
	}
	return nil
}
