package term

import (
	"strconv"
	"strings"
	"unicode"
)

// Clean makes text from users or providers (a pause reason, an error
// message) safe to print on a terminal: control characters (escape
// sequences that clear the screen or set the title, BEL, newlines,
// carriage returns) are written as Go escapes (\x1b, \a, \n), so they are
// seen, not obeyed. Printable text, non-ASCII letters included, passes.
func Clean(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !needsEscape(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return unicode.IsControl(r) || r == unicode.ReplacementChar ||
		r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}
