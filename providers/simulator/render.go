package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Receipt is one status receipt for RenderReceipt: the one a simulator
// would post about the Seq-th message it accepted.
type Receipt struct {
	// Nonce is the simulator instance's part of every message id, 8
	// upper-case hex digits. Defaults to "00000000".
	Nonce string
	// Seq numbers the message, from 1: its provider message id is the one
	// a simulator with Nonce hands out for its Seq-th message, so distinct
	// Seqs give distinct ids.
	Seq uint64
	// Recipient is the customer's number; a leading "+" is dropped.
	Recipient string
	// Business is the sender. Defaults to DefaultBusinessNumber.
	Business string
	// Status is "sent", "delivered", "read" or "failed" (carrying the
	// format's window error, as the simulator's own receipts do).
	Status string
	// Time is when the message reached Status. Defaults to time.Now().
	Time time.Time
}

// Callback is a rendered callback POST.
type Callback struct {
	// MessageID is the provider message id the callback is about.
	MessageID string
	Body      []byte
	// Header holds the format's headers (Content-Type, ...) and, when
	// signed, its signature (Meta: X-Hub-Signature-256).
	Header http.Header
}

// RenderReceipt renders r exactly as a simulator of kind posts it to
// Config.CallbackURL, for a load generator or a test that drives a webhook
// receiver without a simulator: the body in the provider's wire format and
// its headers, signed with secret when the kind signs its callbacks (as
// Config.CallbackSecret; Meta) and secret is not empty.
// Config.CallbackHeaders and URL credentials are the caller's to add.
// ok is false when kind pushes no such receipt (socnet pushes none; modica
// has no "read").
func RenderReceipt(kind string, r Receipt, secret string) (cb Callback, ok bool, err error) {
	f, err := lookup(kind)
	if err != nil {
		return Callback{}, false, err
	}
	if r.Nonce == "" {
		r.Nonce = "00000000"
	}
	if !validNonce(r.Nonce) {
		return Callback{}, false, fmt.Errorf("nonce %q: want 8 upper-case hex digits", r.Nonce)
	}
	if r.Seq == 0 {
		return Callback{}, false, fmt.Errorf("seq 0: message sequence numbers start at 1")
	}
	if !slices.Contains(knownStatuses, r.Status) {
		return Callback{}, false, fmt.Errorf("status %q: want one of %s", r.Status, strings.Join(knownStatuses, ", "))
	}
	if r.Business == "" {
		r.Business = DefaultBusinessNumber
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	st := statusEvent{
		MessageID: f.messageID(r.Nonce, r.Seq),
		Recipient: strings.TrimPrefix(r.Recipient, "+"),
		Business:  r.Business,
		Status:    r.Status,
		Time:      r.Time,
	}
	if st.Status == "failed" {
		st.ErrorCode = f.windowCode()
	}
	body, h := f.renderStatus(st)
	if body == nil {
		return Callback{}, false, nil
	}
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" { // as the engine posts it
		h.Set("Content-Type", "application/json")
	}
	if signer, signs := f.(callbackSigner); signs && secret != "" {
		signer.signCallback(secret, body, h)
	}
	return Callback{MessageID: st.MessageID, Body: body, Header: h}, true, nil
}

func validNonce(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
