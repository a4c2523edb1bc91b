package wire_test

import (
	"strings"
	"testing"

	"github.com/wabulk/wabulk/providers/internal/wire"
)

func TestHasControl(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"tj-live-7Q2x9LmN4pR8sV1w": false,
		"with space and ünïcode":   false,
		"":                         false,
		"key\n":                    true,
		"key\x00x":                 true,
		"tab\there":                true,
		"del\x7f":                  true,
	} {
		if got := wire.HasControl(s); got != want {
			t.Errorf("HasControl(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{"Bad Request"}, "Bad Request"},
		{[]string{" Bad Request ", "", "  ", "see the FAQ"}, "Bad Request: see the FAQ"},
		{[]string{"Unauthorized", "Unauthorized", "bad key"}, "Unauthorized: bad key"},
		{[]string{"a", "b", "a"}, "a: b: a"}, // only a repeat of the word before is dropped
		{[]string{"A", "a"}, "A: a"},
	}
	for _, tt := range tests {
		if got := wire.Join(tt.words...); got != tt.want {
			t.Errorf("Join(%q) = %q, want %q", tt.words, got, tt.want)
		}
	}
}

func TestProse(t *testing.T) {
	t.Parallel()
	const key = "tj-live-7Q2x9LmN4pR8sV1w"
	long := strings.Repeat("x", 195) + key
	tests := []struct {
		name, in, want string
	}{
		{"one line", "invalid\n  key\t" + key, "invalid key [redacted]"},
		{"redacted before it is cut", long, strings.Repeat("x", 195) + "[reda…"},
		{"nothing to hide", "Bad Request", "Bad Request"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := wire.Prose(tt.in, key); got != tt.want {
			t.Errorf("%s: Prose = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text   string
		body   string
		status int
		want   string
	}{
		{"Template missing", "{...}", 404, "Template missing"},
		{"", "<h1>502 Bad Gateway</h1>", 502, "<h1>502 Bad Gateway</h1>"},
		{"", "", 503, "Service Unavailable"},
		{"", "", 599, "no reason given"},
	}
	for _, tt := range tests {
		if got := wire.Explain(tt.text, []byte(tt.body), tt.status); got != tt.want {
			t.Errorf("Explain(%q, %q, %d) = %q, want %q", tt.text, tt.body, tt.status, got, tt.want)
		}
	}
}
