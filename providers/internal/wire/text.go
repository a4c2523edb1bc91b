package wire

import (
	"net/http"
	"strings"

	"github.com/wabulk/wabulk/providers"
)

// HasControl reports whether s holds a control character (below U+0020,
// or DEL): a credential with one cannot go in an HTTP header.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Join joins words with ": ", each trimmed, leaving out the empty ones and
// any that repeats the word before it.
func Join(words ...string) string {
	var out []string
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" || (len(out) > 0 && out[len(out)-1] == w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, ": ")
}

// Prose is provider text fit for an error: secrets redacted, then cut to
// one short line (in that order, so a cut never leaves half a secret
// behind).
func Prose(s string, secrets ...string) string {
	return providers.Snippet([]byte(providers.Redact(s, secrets...)))
}

// Explain is what an error answer says: text (the provider's own words),
// else body (an HTML error page, a proxy's plain text), else the status
// text, else "no reason given".
func Explain(text string, body []byte, status int) string {
	for _, s := range []string{text, string(body), http.StatusText(status)} {
		if s != "" {
			return s
		}
	}
	return "no reason given"
}
