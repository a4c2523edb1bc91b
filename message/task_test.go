package message_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
)

func TestNewSendTaskRejectsInvalidMessage(t *testing.T) {
	t.Parallel()
	m := validMessage()
	m.To = "0712345678"
	task, err := message.NewSendTask(&m)
	if err == nil {
		t.Fatal("NewSendTask of an invalid message: want an error")
	}
	if task != nil {
		t.Errorf("NewSendTask returned a task alongside error %v", err)
	}
	if !strings.Contains(err.Error(), "recipient") {
		t.Errorf("NewSendTask error %q does not name the recipient", err)
	}
}

func TestSendTaskRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)
	withContent := func(c message.Content) *message.Message {
		m := validMessage()
		m.Content = c
		return &m
	}
	full := validMessage()
	full.ExpiresAt = created.Add(48 * time.Hour)
	full.CreatedAt = created
	full.Content = message.Content{Template: &message.Template{
		Name:      "karibu_offer",
		Language:  "sw",
		Namespace: "ns-1",
		Header:    &message.TemplateHeader{Image: &message.Media{URL: imageURL, MIME: "image/png", Size: 1234}},
		Body:      []string{"Amina Jumá", "20% 🎉", "مرحبا", `"quoted" \ <b>`},
		Buttons:   []message.TemplateButton{{SubType: "url", Index: 0, Param: "ofa/ß"}, {SubType: "quick_reply", Index: 1, Param: "STOP"}},
	}}

	tests := map[string]*message.Message{
		"template with unicode, TTL and creation time": &full,
		"expires in another zone": func() *message.Message {
			m := validMessage()
			m.ExpiresAt = time.Date(2025, 3, 2, 0, 0, 0, 0, time.FixedZone("EAT", 3*60*60))
			return &m
		}(),
		"unicode text": withContent(message.Content{Text: &message.Text{Body: "Habari Amina 👋\nمرحبا — ¡hola!", PreviewURL: true}}),
		"no from":      func() *message.Message { m := validMessage(); m.From = ""; return &m }(),
	}
	for k, c := range validContents() {
		tests["kind "+string(k)] = withContent(c)
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			task, err := message.NewSendTask(m)
			if err != nil {
				t.Fatalf("NewSendTask: %v", err)
			}
			if task.Type() != message.TypeSend {
				t.Errorf("task type = %q, want %q", task.Type(), message.TypeSend)
			}
			got, err := message.DecodeSendTask(task.Payload())
			if err != nil {
				t.Fatalf("DecodeSendTask: %v", err)
			}
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendTaskPayloadIsVersioned(t *testing.T) {
	t.Parallel()
	m := validMessage()
	task, err := message.NewSendTask(&m)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		V  int    `json:"v"`
		ID string `json:"id"`
	}
	if err := json.Unmarshal(task.Payload(), &p); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	if p.V != 1 || p.ID != m.ID {
		t.Errorf("payload v=%d id=%q, want v=1 id=%q", p.V, p.ID, m.ID)
	}
	if strings.Contains(string(task.Payload()), "expires_at") {
		t.Errorf("payload %s carries a zero expires_at", task.Payload())
	}
}

func TestCompactSendTask(t *testing.T) {
	t.Parallel()
	task, err := message.NewCompactSendTask("spring-sale:+255712345678")
	if err != nil {
		t.Fatal(err)
	}
	if task.Type() != message.TypeSend || len(task.Payload()) != 0 || !message.IsCompactSendTask(task.Payload()) {
		t.Errorf("compact task type %q payload %q, want %q and no payload", task.Type(), task.Payload(), message.TypeSend)
	}
	full, err := message.NewSendTask(new(validMessage()))
	if err != nil {
		t.Fatal(err)
	}
	if message.IsCompactSendTask(full.Payload()) {
		t.Error("a full task reads as compact")
	}
	if task, err := message.NewCompactSendTask(""); err == nil {
		t.Errorf("NewCompactSendTask without an id = %v, want an error", task)
	}
}

func TestDecodeSendTaskErrors(t *testing.T) {
	t.Parallel()
	valid := validMessage()
	payload := func(edit func(map[string]any)) []byte {
		b, err := json.Marshal(valid)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		p["v"] = 1
		edit(p)
		if b, err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, err := message.DecodeSendTask(payload(func(map[string]any) {})); err != nil {
		t.Fatalf("the unedited payload does not decode: %v", err)
	}
	tests := []struct {
		name    string
		payload []byte
		wantID  string
		errText string
	}{
		{"not JSON", []byte("not json"), "", "not JSON"},
		{"empty (a compact task's)", nil, "", "compact send task"},
		{"JSON array", []byte(`[1,2]`), "", "not JSON"},
		{"wrong version", payload(func(p map[string]any) { p["v"] = 2 }), valid.ID, "payload version 2"},
		{"no version", payload(func(p map[string]any) { delete(p, "v") }), valid.ID, "payload version 0"},
		{"null", []byte("null"), "", "payload version 0"},
		{"invalid content", payload(func(p map[string]any) {
			p["content"] = map[string]any{"text": map[string]any{"body": ""}}
		}), valid.ID, "text: body is empty"},
		{"two kinds", payload(func(p map[string]any) {
			p["content"] = map[string]any{"text": map[string]any{"body": "hi"}, "location": map[string]any{"latitude": 1}}
		}), valid.ID, "exactly one"},
		{"bad recipient", payload(func(p map[string]any) { p["to"] = "0712345678" }), valid.ID, "recipient"},
		{"no id", payload(func(p map[string]any) { delete(p, "id") }), "", "id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := message.DecodeSendTask(tt.payload)
			if err == nil {
				t.Fatalf("DecodeSendTask = %+v, want an error", m)
			}
			if m != nil {
				t.Errorf("DecodeSendTask returned %+v alongside an error", m)
			}
			if !message.IsPayloadError(err) {
				t.Errorf("IsPayloadError(%v) = false", err)
			}
			var pe *message.PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *PayloadError", err)
			}
			if pe.ID != tt.wantID {
				t.Errorf("PayloadError.ID = %q, want %q", pe.ID, tt.wantID)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q does not mention %q", err, tt.errText)
			}
			if tt.wantID != "" && !strings.Contains(err.Error(), tt.wantID) {
				t.Errorf("error %q does not name message %q", err, tt.wantID)
			}
		})
	}
}

func TestPayloadError(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	tests := []struct {
		name string
		err  *message.PayloadError
		want string
	}{
		{"with id", &message.PayloadError{ID: "c:+255712345678", Err: cause}, "bad send payload for message c:+255712345678: boom"},
		{"without id", &message.PayloadError{Err: cause}, "bad send payload: boom"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
		if !errors.Is(tt.err, cause) {
			t.Errorf("%s: errors.Is(err, cause) = false", tt.name)
		}
	}
}

func TestIsPayloadError(t *testing.T) {
	t.Parallel()
	pe := &message.PayloadError{Err: errors.New("boom")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("bad send payload: boom"), false},
		{"payload error", pe, true},
		{"wrapped", fmt.Errorf("task 7: %w", pe), true},
		{"joined", errors.Join(errors.New("other"), pe), true},
	}
	for _, tt := range tests {
		if got := message.IsPayloadError(tt.err); got != tt.want {
			t.Errorf("%s: IsPayloadError = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseLane(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    message.Lane
		wantErr bool
	}{
		{"", message.LaneNormal, false},
		{"high", message.LaneHigh, false},
		{"normal", message.LaneNormal, false},
		{"low", message.LaneLow, false},
		{"HIGH", "", true},
		{" high", "", true},
		{"urgent", "", true},
	}
	for _, tt := range tests {
		got, err := message.ParseLane(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLane(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
			t.Errorf("ParseLane(%q) error %q does not quote the input", tt.in, err)
		}
	}
	for _, l := range message.Lanes {
		if got, err := message.ParseLane(string(l)); err != nil || got != l {
			t.Errorf("ParseLane(%q) = %q, %v; want %q, nil", l, got, err, l)
		}
	}
}

func TestQueueName(t *testing.T) {
	t.Parallel()
	if got, want := message.QueueName("wabulk:", message.LaneNormal), "wabulk:normal"; got != want {
		t.Errorf("QueueName = %q, want %q", got, want)
	}
	seen := map[string]message.Lane{}
	for _, prefix := range []string{"wabulk:", "test-42:"} {
		for _, l := range message.Lanes {
			q := message.QueueName(prefix, l)
			if other, dup := seen[q]; dup {
				t.Errorf("QueueName(%q, %q) = %q, the same as for lane %q", prefix, l, q, other)
			}
			seen[q] = l
			if !strings.HasPrefix(q, prefix) {
				t.Errorf("QueueName(%q, %q) = %q, not under the prefix", prefix, l, q)
			}
		}
	}
}

func TestShardQueueName(t *testing.T) {
	t.Parallel()
	for _, l := range message.Lanes {
		if got, want := message.ShardQueueName("wabulk:", l, 0), message.QueueName("wabulk:", l); got != want {
			t.Errorf("ShardQueueName(%q, 0) = %q, want the unsharded name %q", l, got, want)
		}
		if diff := cmp.Diff([]string{message.QueueName("wabulk:", l)}, message.LaneQueues("wabulk:", l, 1)); diff != "" {
			t.Errorf("LaneQueues(%q, 1) (-want +got):\n%s", l, diff)
		}
	}
	if got, want := message.ShardQueueName("wabulk:", message.LaneNormal, 3), "wabulk:normal#3"; got != want {
		t.Errorf("ShardQueueName(normal, 3) = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"p:low", "p:low#1", "p:low#2"}, message.LaneQueues("p:", message.LaneLow, 3)); diff != "" {
		t.Errorf("LaneQueues(low, 3) (-want +got):\n%s", diff)
	}
	// Every queue of every lane is distinct, under the prefix, free of
	// hash-tag braces (each must keep a Cluster slot of its own), and reads
	// back as its lane and shard.
	seen := map[string]string{}
	for _, l := range message.Lanes {
		for i, q := range message.LaneQueues("wabulk:", l, message.MaxQueueShards) {
			if other, dup := seen[q]; dup {
				t.Fatalf("queue %q of lane %s shard %d is also %s", q, l, i, other)
			}
			seen[q] = fmt.Sprintf("lane %s shard %d", l, i)
			if !strings.HasPrefix(q, "wabulk:") || strings.ContainsAny(q, "{}") {
				t.Errorf("queue %q: want it under the prefix and without braces", q)
			}
			gl, gi, ok := message.ParseShardQueue("wabulk:", q)
			if !ok || gl != l || gi != i {
				t.Errorf("ParseShardQueue(%q) = %q, %d, %v; want %q, %d, true", q, gl, gi, ok, l, i)
			}
		}
	}
}

func TestParseShardQueueRejectsOtherQueues(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		"wabulk:events", "wabulk:bare", "other:normal", "other:normal#2", "wabulk:normal#", "wabulk:normal#0",
		"wabulk:normal#02", "wabulk:normal#-1", "wabulk:normal#x", "wabulk:normal#1#2", "wabulk:normalx", "wabulk:",
		"wabulk:normal#3:high",
	} {
		if l, i, ok := message.ParseShardQueue("wabulk:", q); ok {
			t.Errorf("ParseShardQueue(%q) = %q, %d, true; want not a lane queue", q, l, i)
		}
	}
}

// A message's shard depends on its id alone: every enqueue of it targets
// the queue where asynq's TaskID uniqueness (per queue) catches a second
// one. The values are pinned: changing the function moves queued
// messages to other shards on upgrade.
func TestShardOfIsStable(t *testing.T) {
	t.Parallel()
	id := message.CampaignMessageID("spring", "+255712000001")
	for _, n := range []int{-1, 0, 1} {
		if got := message.ShardOf(id, n); got != 0 {
			t.Errorf("ShardOf(%q, %d) = %d, want 0", id, n, got)
		}
	}
	for _, tt := range []struct {
		id   string
		n    int
		want int
	}{
		// FNV-1a 32 of "a" is 0xe40c292c, of "msg-1" 0xc9612324.
		{"a", 16, 0xe40c292c % 16},
		{"a", 7, 0xe40c292c % 7},
		{"msg-1", 256, 0xc9612324 % 256},
	} {
		if got := message.ShardOf(tt.id, tt.n); got != tt.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tt.id, tt.n, got, tt.want)
		}
	}
	for range 3 {
		if a, b := message.ShardOf(id, 16), message.ShardOf(id, 16); a != b {
			t.Fatalf("ShardOf(%q, 16) gave %d, then %d", id, a, b)
		}
	}
	if got, want := message.SendQueue("wabulk:", message.LaneHigh, id, 16), message.ShardQueueName("wabulk:", message.LaneHigh, message.ShardOf(id, 16)); got != want {
		t.Errorf("SendQueue = %q, want %q", got, want)
	}
}

// Campaign message ids differ only in their recipient: 10,000 of them
// spread over the shards within 25 % of an even share each.
func TestShardOfSpreadsEvenly(t *testing.T) {
	t.Parallel()
	const ids = 10_000
	for _, n := range []int{2, 4, 16, 32} {
		counts := make([]int, n)
		for i := range ids {
			id := message.CampaignMessageID("spring", fmt.Sprintf("+2557%08d", 12_000_000+i))
			s := message.ShardOf(id, n)
			if s < 0 || s >= n {
				t.Fatalf("ShardOf(%q, %d) = %d, out of range", id, n, s)
			}
			counts[s]++
		}
		even := ids / n
		for s, c := range counts {
			if c < even*3/4 || c > even*5/4 {
				t.Errorf("%d shards: shard %d has %d of %d ids, want %d ± 25 %% (all: %v)", n, s, c, ids, even, counts)
			}
		}
	}
}
