package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
)

// The outcome table says how many of the messages the provider took were
// delivered and read, once receipts arrive; before that it says nothing.
func TestPrintCountsShowsDeliveryAndReadRates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		counts store.Counts
		want   string // "" means no receipts line
	}{
		{store.Counts{message.Accepted: 1, message.Sent: 1, message.Delivered: 2, message.Read: 1, message.Failed: 5},
			"receipts: 3 delivered (60.0% of 5 the provider took), 1 read (20.0%)\n"},
		{store.Counts{message.Accepted: 4, message.WindowClosed: 1}, ""},
	} {
		var b bytes.Buffer
		printCounts(&b, c.counts)
		got := ""
		if i := strings.Index(b.String(), "receipts:"); i >= 0 {
			got = b.String()[i:]
		}
		if got != c.want {
			t.Errorf("counts %v: receipts line %q, want %q\n%s", c.counts, got, c.want, b.String())
		}
	}
}

// simulate --callback-header takes "Name: value" and refuses anything else.
func TestHeaderFlag(t *testing.T) {
	t.Parallel()
	var h headerFlag
	for _, ok := range []string{"X-Webhook-Token: s3cret", "Authorization: Basic dTpw"} {
		if err := h.Set(ok); err != nil {
			t.Errorf("Set(%q): %v", ok, err)
		}
	}
	if h.m["X-Webhook-Token"] != "s3cret" || h.m["Authorization"] != "Basic dTpw" {
		t.Errorf("headers = %v", h.m)
	}
	for _, bad := range []string{"no colon", ": value", "Two Words: v"} {
		if err := h.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
