package producer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wabulk/wabulk/message"
)

// placeholderRE finds {{ column }} in the JSON text of a Content. The name
// excludes '"' so a match never spans two JSON strings.
var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}"]*?)\s*\}\}`)

// template is a Content with {{column}} placeholders, compiled once per
// import: its JSON text split into literal segments around column
// references. Rendering a row writes the literals and the row's values,
// each JSON-string-escaped, and decodes the result, so values may hold
// anything (quotes, backslashes, newlines, emoji) and arrive verbatim.
type template struct {
	lits [][]byte // len(refs)+1 literal JSON segments
	refs []int    // per placeholder: index into cols
	cols []string // referenced columns, lower-cased, in order of first use
	size int      // total literal length, to size the render buffer
}

// body is what one row renders: the message and its optional fallback
// template, compiled together so both may use the row's columns.
type body struct {
	Message  message.Content   `json:"message"`
	Fallback *message.Template `json:"fallback,omitempty"`
}

// compileTemplate compiles the placeholders of b's message and fallback.
func compileTemplate(b0 *body) (*template, error) {
	b, err := json.Marshal(b0)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	t := &template{}
	index := map[string]int{}
	last := 0
	for _, m := range placeholderRE.FindAllSubmatchIndex(b, -1) {
		var name string
		// The name is JSON-escaped text; read it back as a JSON string.
		if err := json.Unmarshal([]byte(`"`+string(b[m[2]:m[3]])+`"`), &name); err != nil {
			return nil, fmt.Errorf("placeholder %s: %w", b[m[0]:m[1]], err)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return nil, fmt.Errorf("empty placeholder %s: write {{column}} with a column name", b[m[0]:m[1]])
		}
		i, ok := index[name]
		if !ok {
			i = len(t.cols)
			index[name] = i
			t.cols = append(t.cols, name)
		}
		t.lits = append(t.lits, b[last:m[0]])
		t.refs = append(t.refs, i)
		last = m[1]
	}
	t.lits = append(t.lits, b[last:])
	for _, l := range t.lits {
		t.size += len(l)
	}
	return t, nil
}

// render fills the placeholders with values (aligned with t.cols).
func (t *template) render(values []string) (body, error) {
	n := t.size
	for _, r := range t.refs {
		n += len(values[r]) + 8
	}
	buf := make([]byte, 0, n)
	for i, r := range t.refs {
		buf = append(buf, t.lits[i]...)
		buf = appendJSONEscaped(buf, values[r])
	}
	buf = append(buf, t.lits[len(t.lits)-1]...)
	var c body
	if err := json.Unmarshal(buf, &c); err != nil {
		// Cannot happen for a template compiled from a Content: every value
		// is escaped. Reported rather than hidden all the same.
		return c, fmt.Errorf("render message: %w", err)
	}
	return c, nil
}

// dummy renders t with every placeholder replaced by "x", for validating a
// spec before any row is read.
func (t *template) dummy() (body, error) {
	v := make([]string, len(t.cols))
	for i := range v {
		v[i] = "x"
	}
	return t.render(v)
}

const hexDigits = "0123456789abcdef"

// appendJSONEscaped appends s as the inside of a JSON string. Invalid
// UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return buf
}

// templatedMedia lists the media links of c that hold placeholders, with
// where they are, so their scheme can be checked before rows fill them.
func templatedMedia(c *message.Content) (where, urls []string) {
	add := func(w string, m *message.Media) {
		if m != nil && placeholderRE.MatchString(m.URL) {
			where = append(where, w)
			urls = append(urls, m.URL)
		}
	}
	add("image", c.Image)
	add("video", c.Video)
	add("audio", c.Audio)
	add("document", c.Document)
	add("sticker", c.Sticker)
	if t := c.Template; t != nil && t.Header != nil {
		add("template: header image", t.Header.Image)
		add("template: header video", t.Header.Video)
		add("template: header document", t.Header.Document)
	}
	return where, urls
}

// literalScheme reports whether a templated link starts with a literal
// http:// or https:// before its first placeholder.
func literalScheme(u string) bool {
	loc := placeholderRE.FindStringIndex(u)
	head := strings.ToLower(u)
	if loc != nil {
		head = head[:loc[0]]
	}
	return strings.HasPrefix(head, "http://") || strings.HasPrefix(head, "https://")
}
