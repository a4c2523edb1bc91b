package message_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
)

// terminal are the states a record never leaves.
var terminal = []message.Status{
	message.Read, message.Failed, message.Expired, message.WindowClosed,
	message.OptedOut, message.Invalid, message.Cancelled,
}

func TestStatusValidAndParse(t *testing.T) {
	t.Parallel()
	if len(message.Statuses) != 12 {
		t.Errorf("len(Statuses) = %d, want 12", len(message.Statuses))
	}
	seen := map[message.Status]bool{}
	for _, s := range message.Statuses {
		if seen[s] {
			t.Errorf("Statuses lists %q twice", s)
		}
		seen[s] = true
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
		got, err := message.ParseStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, nil", s, got, err, s)
		}
	}
	for _, bad := range []string{"", "bogus", "Queued", "QUEUED", " queued", "window-closed"} {
		if message.Status(bad).Valid() {
			t.Errorf("Status(%q).Valid() = true", bad)
		}
		got, err := message.ParseStatus(bad)
		if err == nil {
			t.Errorf("ParseStatus(%q) = %q, nil; want an error", bad, got)
		}
		if got != "" {
			t.Errorf("ParseStatus(%q) returned %q alongside an error", bad, got)
		}
	}
}

func TestStatusPartitions(t *testing.T) {
	t.Parallel()
	type class struct{ Pending, Outcome, ProviderTook bool }
	want := map[message.Status]class{
		message.Queued:       {Pending: true},
		message.Sending:      {Pending: true},
		message.Accepted:     {Outcome: true, ProviderTook: true},
		message.Sent:         {Outcome: true, ProviderTook: true},
		message.Delivered:    {Outcome: true, ProviderTook: true},
		message.Read:         {Outcome: true, ProviderTook: true},
		message.Failed:       {Outcome: true},
		message.Expired:      {Outcome: true},
		message.WindowClosed: {Outcome: true},
		message.OptedOut:     {Outcome: true},
		message.Invalid:      {Outcome: true},
		message.Cancelled:    {Outcome: true},
		"bogus":              {}, // not a status: neither pending nor an outcome
		"":                   {},
	}
	got := map[message.Status]class{}
	for s := range want {
		got[s] = class{Pending: s.Pending(), Outcome: s.Outcome(), ProviderTook: s.ProviderTook()}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status classes mismatch (-want +got):\n%s", diff)
	}
	for _, s := range message.Statuses {
		if s.Pending() == s.Outcome() {
			t.Errorf("%q: Pending() = Outcome() = %v, want exactly one", s, s.Pending())
		}
		if s.ProviderTook() && !s.Outcome() {
			t.Errorf("%q: ProviderTook() without Outcome()", s)
		}
	}
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to message.Status
		want     bool
	}{
		// forward
		{message.Queued, message.Sending, true},
		{message.Sending, message.Accepted, true},
		{message.Accepted, message.Sent, true},
		{message.Sent, message.Delivered, true},
		{message.Delivered, message.Read, true},
		{message.Accepted, message.Read, true}, // receipts may skip ahead
		{message.Sending, message.Delivered, true},
		{message.Sending, message.Failed, true},
		{message.Accepted, message.Failed, true},
		{message.Queued, message.Expired, true},
		{message.Queued, message.Cancelled, true},
		{message.Sending, message.WindowClosed, true},
		// retry
		{message.Sending, message.Queued, true},
		// backwards
		{message.Read, message.Sent, false},
		{message.Delivered, message.Accepted, false},
		{message.Delivered, message.Failed, false},
		{message.Failed, message.Queued, false},
		{message.Expired, message.Sending, false},
		{message.Accepted, message.Sending, false},
		{message.Accepted, message.Queued, false},
		{message.Sent, message.Accepted, false},
		// skipping sending, cancelling in flight, standing still
		{message.Queued, message.Accepted, false},
		{message.Sending, message.Cancelled, false},
		{message.Queued, message.Queued, false},
		{message.Sending, message.Sending, false},
		// not statuses
		{"", message.Queued, false},
		{message.Queued, "bogus", false},
	}
	for _, tt := range tests {
		if got := message.CanTransition(tt.from, tt.to); got != tt.want {
			t.Errorf("CanTransition(%q, %q) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestTerminalStatesHaveNoWayOut(t *testing.T) {
	t.Parallel()
	for _, from := range terminal {
		for _, to := range message.Statuses {
			if message.CanTransition(from, to) {
				t.Errorf("CanTransition(%q, %q) = true, want false: %q is terminal", from, to, from)
			}
		}
		if _, ok := message.Transitions()[from]; ok {
			t.Errorf("Transitions() has moves out of terminal %q", from)
		}
	}
}

func TestTransitionsAgreesWithCanTransition(t *testing.T) {
	t.Parallel()
	table := message.Transitions()
	for from, tos := range table {
		if !from.Valid() {
			t.Errorf("Transitions() has unknown source %q", from)
		}
		for _, to := range tos {
			if !to.Valid() {
				t.Errorf("Transitions()[%q] has unknown target %q", from, to)
			}
		}
	}
	for _, from := range message.Statuses {
		for _, to := range message.Statuses {
			inTable := false
			for _, s := range table[from] {
				inTable = inTable || s == to
			}
			if got := message.CanTransition(from, to); got != inTable {
				t.Errorf("CanTransition(%q, %q) = %v, but Transitions() says %v", from, to, got, inTable)
			}
		}
	}
}

func TestTransitionsReturnsACopy(t *testing.T) {
	t.Parallel()
	before := message.Transitions()

	got := message.Transitions()
	got[message.Queued][0] = message.Read                // overwrite an element
	got[message.Sending] = nil                           // replace a slice
	got[message.Read] = []message.Status{message.Queued} // add a way out of a terminal state
	delete(got, message.Accepted)

	if !message.CanTransition(message.Queued, message.Sending) {
		t.Error("mutating Transitions() removed queued→sending")
	}
	if message.CanTransition(message.Queued, message.Read) {
		t.Error("mutating Transitions() added queued→read")
	}
	if !message.CanTransition(message.Sending, message.Accepted) {
		t.Error("mutating Transitions() removed sending→accepted")
	}
	if message.CanTransition(message.Read, message.Queued) {
		t.Error("mutating Transitions() added read→queued")
	}
	if !message.CanTransition(message.Accepted, message.Sent) {
		t.Error("mutating Transitions() removed accepted→sent")
	}
	if diff := cmp.Diff(before, message.Transitions()); diff != "" {
		t.Errorf("Transitions() changed after mutating a copy (-want +got):\n%s", diff)
	}
}
