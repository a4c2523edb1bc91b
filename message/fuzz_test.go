package message_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
)

// FuzzNormalizePhone: a number NormalizePhone accepts comes out in E.164,
// and normalizing that again, with or without the region, gives it back.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range [][2]string{
		{"+255 712-345-678", ""}, {"0712 345 678", "TZ"}, {"712345678", "TZ"}, {"00255712345678", ""},
		{"+1 415 555 2671", ""}, {"0712 345 678", "tz"}, {"0712345678", " TZ "}, {"  +255712345678\t", ""},
		{"+255712345678", "US"}, {"0712 345 678", ""}, {"0712345678", "  "}, {"", ""}, {"   ", "TZ"},
		{"call me", "TZ"}, {"+2557", ""}, {"12", "TZ"}, {"+999 123456789", ""}, {"0712 345 678", "XX"},
		{"+255 112 345 678", ""}, {"+1 555 555 5555", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := message.NormalizePhone(raw, region)
		if err != nil {
			if got != "" {
				t.Fatalf("NormalizePhone(%q, %q) = %q alongside error %v", raw, region, got, err)
			}
			return
		}
		if !message.IsE164(got) {
			t.Fatalf("NormalizePhone(%q, %q) = %q, not E.164", raw, region, got)
		}
		for _, r := range []string{"", region} {
			again, err := message.NormalizePhone(got, r)
			if err != nil || again != got {
				t.Fatalf("NormalizePhone(%q, %q) = %q, but NormalizePhone(%q, %q) = %q, %v", raw, region, got, got, r, again, err)
			}
		}
	})
}

// FuzzDecodeSendTask: every failure is a *PayloadError, and a message
// DecodeSendTask accepts encodes (NewSendTask) and decodes back to itself.
// Seeded with the messages the round-trip test uses and the payloads the
// error test refuses.
func FuzzDecodeSendTask(f *testing.F) {
	m := validMessage()
	task, err := message.NewSendTask(&m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(task.Payload())
	for _, c := range validContents() {
		m := validMessage()
		m.Content = c
		task, err := message.NewSendTask(&m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(task.Payload())
	}
	var p map[string]any
	if err := json.Unmarshal(task.Payload(), &p); err != nil {
		f.Fatal(err)
	}
	edit := func(change func(map[string]any)) []byte {
		q := map[string]any{}
		for k, v := range p {
			q[k] = v
		}
		change(q)
		b, err := json.Marshal(q)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	for _, b := range [][]byte{
		[]byte("not json"), nil, []byte(`[1,2]`), []byte("null"),
		edit(func(p map[string]any) { p["v"] = 2 }),
		edit(func(p map[string]any) { delete(p, "v") }),
		edit(func(p map[string]any) { p["content"] = map[string]any{"text": map[string]any{"body": ""}} }),
		edit(func(p map[string]any) { p["to"] = "0712345678" }),
		edit(func(p map[string]any) { delete(p, "id") }),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := message.DecodeSendTask(b)
		if err != nil {
			if !message.IsPayloadError(err) {
				t.Fatalf("DecodeSendTask(%q): error %T (%v), want a *PayloadError", b, err, err)
			}
			if m != nil {
				t.Fatalf("DecodeSendTask(%q) = %+v alongside an error", b, m)
			}
			return
		}
		task, err := message.NewSendTask(m)
		if err != nil {
			t.Fatalf("DecodeSendTask(%q) accepted %+v, which NewSendTask refuses: %v", b, m, err)
		}
		again, err := message.DecodeSendTask(task.Payload())
		if err != nil {
			t.Fatalf("payload %s of a decoded message does not decode: %v", task.Payload(), err)
		}
		if diff := cmp.Diff(m, again); diff != "" {
			t.Fatalf("DecodeSendTask(NewSendTask(m)) != m (-m +again):\n%s", diff)
		}
		if !strings.Contains(string(task.Payload()), `"v":1`) {
			t.Fatalf("payload %s carries no version", task.Payload())
		}
	})
}
