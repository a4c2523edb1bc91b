package decisiontelecom

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// messageStatus is one row of the document's "WhatsApp messages statuses".
type messageStatus struct {
	word   string         // the document's word, kept as Event.ProviderStatus
	status message.Status // wabulk's
}

// statuses maps the document's codes (0–7) to wabulk's statuses.
var statuses = map[int64]messageStatus{
	0: {"sent", message.Sent},
	1: {"delivered", message.Delivered},
	2: {"rejected", message.Failed},
	3: {"error", message.Failed},
	4: {"failed", message.Failed},
	// WhatsApp's "deleted": the recipient deleted the message, which they
	// can do only once it reached their phone.
	5: {"deleted", message.Delivered},
	6: {"pending", message.Accepted},
	7: {"seen", message.Read},
}

// statusByWord is statuses keyed by word, for callbacks that spell it
// out: the document's words, and WhatsApp's "read" for its "seen".
var statusByWord = func() map[string]int64 {
	m := make(map[string]int64, len(statuses)+1)
	for code, s := range statuses {
		m[s.word] = code
	}
	m["read"] = 7
	return m
}()

// lookupStatus reads a status sent as a number, a numeric string or the
// document's word.
func lookupStatus(v number) (messageStatus, bool) {
	if !v.set {
		return messageStatus{}, false
	}
	code, ok := v.n, v.ok
	if !ok {
		code, ok = statusByWord[strings.ToLower(v.raw)]
	}
	if !ok {
		return messageStatus{}, false
	}
	s, ok := statuses[code]
	return s, ok
}

// statusEvent is the event for message id and status s.
func statusEvent(id string, s messageStatus) providers.Event {
	ev := providers.Event{Kind: providers.EventStatus, ProviderMessageID: id, Status: s.status, ProviderStatus: s.word}
	if s.status == message.Failed {
		ev.ErrorCode = s.word // rejected, error or failed: the document says no more
	}
	return ev
}

// PollStatus asks receive-whatsapp for the current status of the message
// DecisionTelecom accepted as providerMessageID. A failure is a
// *providers.SendError classified like a send failure, never Ambiguous (a
// status query changes nothing at DecisionTelecom).
func (c *Client) PollStatus(ctx context.Context, providerMessageID string) (providers.Event, error) {
	id := messageID(numberText(providerMessageID))
	if id == "" {
		return providers.Event{}, &providers.SendError{Class: providers.Permanent,
			Message: fmt.Sprintf("%q is not a DecisionTelecom message id (empty, zero or negative)", providerMessageID)}
	}
	req := pollRequest{MessageID: id}
	if isDecimal(id) {
		req.MessageID = json.Number(id)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return providers.Event{}, &providers.SendError{Class: providers.Permanent, Message: "building the request", Err: err}
	}
	resp, err := c.post(ctx, c.pollURL, body)
	if err != nil {
		return providers.Event{}, unambiguous(err)
	}
	a, ok := parseAnswer(resp.Body)
	if resp.Status/100 != 2 || a.failed() {
		return providers.Event{}, unambiguous(c.failure(resp, a))
	}
	switch {
	case !ok:
		return providers.Event{}, wire.Malformed(resp, "status answer is not JSON", false, c.redactions...)
	case a.MessageID.set && a.id() != id:
		return providers.Event{}, wire.Malformed(resp, "status answer is about another message", false, c.redactions...)
	}
	s, known := lookupStatus(a.Status)
	if !known {
		why := "status answer carries no status"
		if a.Status.set {
			why = fmt.Sprintf("status answer carries an unknown status %q", a.Status.raw)
		}
		return providers.Event{}, wire.Malformed(resp, why, false, c.redactions...)
	}
	return statusEvent(id, s), nil
}

// unambiguous clears Ambiguous on a poll's error: asking for a status is
// safe to repeat.
func unambiguous(err error) error {
	se := providers.AsSendError(err)
	se.Ambiguous = false
	return se
}
