package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/wabulk/wabulk/internal/term"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/store"
	"github.com/wabulk/wabulk/store/storetest"
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
		term.PrintCounts(&b, c.counts)
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

// campaign pause, resume and cancel through the CLI, on an imported
// campaign no worker is sending.
func TestCLICampaignPauseResumeCancel(t *testing.T) {
	t.Parallel()
	r := storetest.New(t)
	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
	cfgPath := write("wabulk.yaml", redisYAML(r)+`default_region: TZ
log: {level: error}
providers:
  - {name: tj, kind: tujenge, api_key: k}
`)
	spec := write("c.yaml", "id: ops-1\naccount: tj\nmessage:\n  template: {name: promo, language: en, body: [\"{{name}}\"]}\n")
	csvPath := write("r.csv", "phone,name\n+255712345601,Amina\n+255712345602,Baraka\n+255712345603,Chausiku\n")
	ctx := context.Background()
	if code, _, stderr := runCLI(t, ctx, "import", "-c", cfgPath, "--spec", spec, "--csv", csvPath, "--quiet"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	steps := []struct {
		args       []string
		code       int
		out, state string
	}{
		{[]string{"pause", "ops-1", "--reason", "wrong price"}, 0, "campaign ops-1 paused", "paused since"},
		{[]string{"pause", "ops-1"}, 0, "already paused", "(wrong price)"},
		{[]string{"resume", "ops-1"}, 0, "campaign ops-1 resumed", "  active\n"},
		{[]string{"resume", "ops-1"}, 0, "was not paused", "  active\n"},
		{[]string{"cancel", "ops-1"}, 0, "3 queued messages ended cancelled", "cancelled since"},
		{[]string{"resume", "ops-1"}, 1, "", "cancelled since"},
		{[]string{"pause", "nope"}, 1, "", ""},
	}
	for _, s := range steps {
		code, out, stderr := runCLI(t, ctx, append(append([]string{"campaign"}, s.args...), "-c", cfgPath)...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Fatalf("%v: exit %d, %q %q; want exit %d with %q", s.args, code, out, stderr, s.code, s.out)
		}
		if s.state == "" {
			continue
		}
		_, status, _ := runCLI(t, ctx, "campaign", "status", "ops-1", "-c", cfgPath)
		if !strings.Contains(status, s.state) {
			t.Errorf("after %v, status lacks %q:\n%s", s.args, s.state, status)
		}
	}
	_, status, _ := runCLI(t, ctx, "campaign", "status", "ops-1", "-c", cfgPath)
	if !regexp.MustCompile(`(?m)^\s*cancelled\s+3\s+100\.0%`).MatchString(status) {
		t.Errorf("status after cancel:\n%s", status)
	}
}
