package decisiontelecom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/providers"
	"github.com/wabulk/wabulk/providers/internal/wire"
)

// notification is one status callback: the document says only that
// callback_url receives message status changes, so it is read as the
// receive-whatsapp answer it mirrors, {"message_id":554,"status":1}, with
// the recipient when DecisionTelecom names it.
type notification struct {
	MessageID       number `json:"message_id"`
	Status          number `json:"status"`
	DestinationAddr number `json:"destination_addr"`
}

// ParseCallback reads a POST to callback_url into status events: one JSON
// object, or an array of them. The status may be the document's code (a
// number or a numeric string) or its word. An object without a message id
// or with a status the document does not list yields no event; a body that
// is not a JSON object or array of objects is an error. DecisionTelecom
// documents no inbound messages, so there are no inbound events.
func (c *Client) ParseCallback(_ http.Header, body []byte) ([]providers.Event, error) {
	body = bytes.TrimSpace(body)
	var raws []json.RawMessage
	switch {
	case bytes.HasPrefix(body, []byte("{")):
		raws = []json.RawMessage{body}
	case bytes.HasPrefix(body, []byte("[")):
		if err := wire.UnmarshalTrailingCommas(body, &raws); err != nil {
			return nil, fmt.Errorf("decisiontelecom callback: %w", err)
		}
	default:
		return nil, errors.New("decisiontelecom callback: the body is not a JSON object")
	}
	var events []providers.Event
	for i, raw := range raws {
		if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			return nil, fmt.Errorf("decisiontelecom callback: item %d is not a JSON object", i)
		}
		var n notification
		if err := wire.UnmarshalTrailingCommas(raw, &n); err != nil {
			return nil, fmt.Errorf("decisiontelecom callback: %w", err)
		}
		id := messageID(n.MessageID)
		s, known := lookupStatus(n.Status)
		if id == "" || !known {
			continue // well-formed, but nothing wabulk uses
		}
		ev := statusEvent(id, s)
		if d := n.DestinationAddr; d.ok && message.IsE164(fmt.Sprintf("+%d", d.n)) {
			ev.Recipient = fmt.Sprintf("+%d", d.n)
		}
		events = append(events, ev)
	}
	return events, nil
}
