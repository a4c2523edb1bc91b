package message

import "fmt"

// Status is where a message stands. The zero value is not a valid status.
type Status string

// The states of a message. Pending states are Queued and Sending; every
// other state is an outcome (see Status.Outcome).
const (
	Queued       Status = "queued"        // record created, task waiting in Redis
	Sending      Status = "sending"       // a request to the provider is (or was) in flight
	Accepted     Status = "accepted"      // the provider accepted the request and gave an id
	Sent         Status = "sent"          // the provider reports it left for the handset
	Delivered    Status = "delivered"     // the handset has it
	Read         Status = "read"          // the recipient opened it
	Failed       Status = "failed"        // a permanent failure, with the provider's code
	Expired      Status = "expired"       // its TTL passed before it could be sent
	WindowClosed Status = "window_closed" // free-form message outside the 24 h customer-service window
	OptedOut     Status = "opted_out"     // the recipient asked not to be contacted
	Invalid      Status = "invalid"       // the message itself is unusable (bad payload, bad content)
	Cancelled    Status = "cancelled"     // an operator cancelled it before it was sent
)

// Statuses lists every status in display order.
var Statuses = []Status{Queued, Sending, Accepted, Sent, Delivered, Read, Failed, Expired, WindowClosed, OptedOut, Invalid, Cancelled}

// transitions is the one table of allowed moves. Receipts only move a
// record forward; terminal failures stay where they are.
var transitions = map[Status][]Status{
	Queued:  {Sending, Failed, Expired, WindowClosed, OptedOut, Invalid, Cancelled},
	Sending: {Queued, Accepted, Sent, Delivered, Read, Failed, Expired, WindowClosed, OptedOut, Invalid},
	// A provider's receipt may refuse an accepted message for the 24-hour
	// window (470, 131047): it ends window_closed, like a refusal at send.
	Accepted:  {Sent, Delivered, Read, Failed, WindowClosed},
	Sent:      {Delivered, Read, Failed, WindowClosed},
	Delivered: {Read},
}

// Transitions returns the allowed moves, for packages (store) that must
// enforce the same table elsewhere, e.g. inside a Redis script.
func Transitions() map[Status][]Status {
	out := make(map[Status][]Status, len(transitions))
	for k, v := range transitions {
		out[k] = append([]Status(nil), v...)
	}
	return out
}

// CanTransition reports whether a record in state from may move to state to.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// Pending reports whether the message has no outcome yet.
func (s Status) Pending() bool { return s == Queued || s == Sending }

// Outcome reports whether s is an outcome: the provider took the message
// (accepted and the delivery family after it) or it ended in a terminal
// failure. Every recipient ends with exactly one outcome.
func (s Status) Outcome() bool { return s.Valid() && !s.Pending() }

// ProviderTook reports whether a provider has accepted the message: such a
// message is never sent again.
func (s Status) ProviderTook() bool {
	return s == Accepted || s == Sent || s == Delivered || s == Read
}

// ParseStatus returns the Status named by s.
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Valid() {
		return "", fmt.Errorf("unknown status %q", s)
	}
	return st, nil
}
