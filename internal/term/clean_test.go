package term_test

import (
	"testing"

	"github.com/wabulk/wabulk/internal/term"
)

// Escape sequences, BEL, newlines and bidi overrides are shown, not obeyed.
func TestClean(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"out of credit":                       "out of credit",
		"\x1b[2Jcleared":                      `\x1b[2Jcleared`,
		"\x1b]0;owned\x07title":               `\x1b]0;owned\atitle`,
		"line1\nline2\rback":                  `line1\nline2\rback`,
		"Ajenti ya Tanzania — salio limeisha": "Ajenti ya Tanzania — salio limeisha",
		"abc\u202edcba":                       `abc\u202edcba`,
		"\u009b31m":                           `\u009b31m`,
	} {
		if got := term.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}
