package producer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
)

// The import tests' inputs, as seeds for the source fuzz targets.
var (
	csvSeeds = []string{
		"\ufeffphone, Name ,code\r\n+255712345678,Amina,A1\n0712345679,Baraka,B2\n+25571234,Chausiku,C3\n" +
			"+255712345680,,D4\n+255712345681,Dora\n+255 712 345 678,Amina again,A1\n\n" +
			`"+255712345682","Eli ""the"" one",E5` + "\n+255712345683,\"two\nlines\",F6\n+255712345684,bad\"quote,G7\n,,\n,Nobody,H8\n",
		"phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n+255712345680,Chausiku,C3\nnot-a-phone,X,Y\n",
		"phone,name,code\n+255712345678,Amina,A1\n+255712345679,\"Baraka,B2\n+255712345680,Chiku,C3\n+255712345681,Daudi,D4\n",
		"phone,name\n+255712345678,Amina\n",
		"phone,name,Name,code\n",
		"phone\n",
		"",
	}
	jsonlSeeds = []string{
		"\ufeff" + strings.Join([]string{
			`{"phone":"+255712345678","name":"Amina","code":"A1"}`,
			`{"phone":255712345679,"name":"Baraka","code":42}`,
			`{"phone":"+255712345680","name":"Chausiku"`,
			`   `,
			`{"phone":"+255712345681","code":"D4"}`,
			`{"Phone":"+255712345678","NAME":"Amina","code":"A1"}`,
			`{"phone":"+255712345682","name":{"first":"Eli"},"code":"E5"}`,
			`["+255712345683"]`,
			`{"phone":"+255712345684","name":"Eli","code":"F6"} {"x":1}`,
			`{"name":"Nobody","code":"G7"}`,
			`{"phone":"+255712345685","name":"","code":"H8"}`,
			`{"phone":"+255712345686","name":"Faraji","code":"J10","extra":[1]}`,
			`{"phone":"+255712345687","PHONE":"+255712345688","name":"X","code":"K1"}`,
		}, "\r\n"),
		`{"phone":null,"name":true,"code":1e3}`,
		"",
	}
)

// sourceTemplate is the template the source fuzz targets read rows for:
// it uses the columns name and code.
func sourceTemplate(t testing.TB) *template {
	tm, err := compileTemplate(&body{Message: message.Content{Text: &message.Text{Body: "Hi {{name}}, your code is {{ Code }}"}}})
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// readAll reads every row of in as format f, checking what holds for any
// input: rows come in file order with line numbers inside the file, a
// row either is rejected or has a value per template column, and the
// source ends with io.EOF or an error, never a row after it.
func readAll(t *testing.T, f Format, in []byte, tm *template) (phones []string, values [][]string, stopped error) {
	t.Helper()
	src, err := newSource(f, bytes.NewReader(in), tm, limits{bytes: DefaultMaxRecordBytes, cols: DefaultMaxColumns})
	if err != nil {
		return nil, nil, err
	}
	lines := int64(bytes.Count(in, []byte("\n")) + 1)
	var last int64
	for {
		r, err := src.next()
		if errors.Is(err, io.EOF) {
			return phones, values, nil
		}
		if err != nil {
			if r != nil {
				t.Fatalf("input %q: a row alongside error %v", in, err)
			}
			return phones, values, err
		}
		if r.line <= last || r.line > lines {
			t.Fatalf("input %q: row at line %d after line %d, of %d lines", in, r.line, last, lines)
		}
		last = r.line
		if r.reject != "" {
			continue
		}
		if len(r.values) != len(tm.cols) {
			t.Fatalf("input %q: line %d has %d values for %d columns", in, r.line, len(r.values), len(tm.cols))
		}
		phones = append(phones, r.phone)
		values = append(values, append([]string(nil), r.values...))
	}
}

// FuzzCSVSource reads any bytes as a CSV import (readAll's checks).
func FuzzCSVSource(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	tm := sourceTemplate(f)
	f.Fuzz(func(t *testing.T, in []byte) { readAll(t, FormatCSV, in, tm) })
}

// FuzzJSONLSource reads any bytes as a JSONL import (readAll's checks).
func FuzzJSONLSource(f *testing.F) {
	for _, s := range jsonlSeeds {
		f.Add([]byte(s))
	}
	tm := sourceTemplate(f)
	f.Fuzz(func(t *testing.T, in []byte) { readAll(t, FormatJSONL, in, tm) })
}

// FuzzSourceRoundTrip: a row written by encoding/csv, or by encoding/json
// as a JSONL line, is read back with its values verbatim (CSV turns a
// quoted "\r\n" into "\n", as RFC 4180 readers do).
func FuzzSourceRoundTrip(f *testing.F) {
	f.Add("+255712345678", "Amina", "A1")
	f.Add("0712345679", `Eli "the" one`, "42")
	f.Add("+255712345683", "two\nlines", "")
	f.Add(" +255 712 345 678", "bad\"quote", "{{code}}")
	tm := sourceTemplate(f)
	f.Fuzz(func(t *testing.T, phone, name, code string) {
		if !utf8.ValidString(phone) || !utf8.ValidString(name) || !utf8.ValidString(code) {
			return // both formats are text
		}
		var in bytes.Buffer
		w := csv.NewWriter(&in)
		_ = w.Write([]string{"phone", "name", "code"})
		_ = w.Write([]string{phone, name, code})
		w.Flush()
		crlf := strings.NewReplacer("\r\n", "\n")
		want := []string{crlf.Replace(name), crlf.Replace(code)}
		phones, values, err := readAll(t, FormatCSV, in.Bytes(), tm)
		switch {
		case err != nil:
			t.Fatalf("CSV %q: %v", in.Bytes(), err)
		case strings.TrimSpace(phone+name+code) == "":
			if len(phones) != 0 {
				t.Fatalf("CSV %q: a blank row read as %q %q", in.Bytes(), phones, values)
			}
		case len(phones) != 1 || phones[0] != crlf.Replace(phone) || !cmp.Equal(values[0], want):
			t.Fatalf("CSV %q: read %q %q, want %q %q", in.Bytes(), phones, values, phone, want)
		}

		line, err := json.Marshal(map[string]string{"phone": phone, "name": name, "code": code})
		if err != nil {
			t.Fatal(err)
		}
		phones, values, err = readAll(t, FormatJSONL, line, tm)
		if err != nil || len(phones) != 1 || phones[0] != phone || !cmp.Equal(values[0], []string{name, code}) {
			t.Fatalf("JSONL %s: read %q %q, %v", line, phones, values, err)
		}
	})
}

// FuzzPlaceholders: a compiled message renders as its text with each
// placeholder replaced by its column's value, once: a value holding
// "{{name}}" arrives verbatim and is not expanded again.
func FuzzPlaceholders(f *testing.F) {
	for _, s := range [][2]string{
		{"Hi {{name}} 👋", "Amina"},
		{"For {{name}}", `"quoted" \ <b>`},
		{"{{name}}, {{ discount }}%", "{{discount}}"},
		{"hi {{ }}", "x"},
		{"{{ Name }} and {{NAME}}", "two\nlines\ttab"},
		{"no placeholders", "{{name}}"},
		{"{{a\"b}} {{a\\b}} {{<x>}}", "\u2028"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		if !utf8.ValidString(text) || !utf8.ValidString(value) {
			return // encoding/json would replace the invalid bytes
		}
		tm, err := compileTemplate(&body{Message: message.Content{Text: &message.Text{Body: text}}})
		wantErr := false
		for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
			wantErr = wantErr || strings.TrimSpace(m[1]) == ""
		}
		if (err != nil) != wantErr {
			t.Fatalf("compile %q: %v, want an error %v", text, err, wantErr)
		}
		if err != nil {
			return
		}
		// Each column's value holds the value and a placeholder of its own.
		values := make([]string, len(tm.cols))
		index := map[string]int{}
		for i, c := range tm.cols {
			values[i] = value + "{{" + c + "}}"
			index[c] = i
		}
		b, err := tm.render(values)
		if err != nil {
			t.Fatalf("render %q with %q: %v", text, values, err)
		}
		want := placeholderRE.ReplaceAllStringFunc(text, func(p string) string {
			name := strings.ToLower(strings.TrimSpace(placeholderRE.FindStringSubmatch(p)[1]))
			return values[index[name]]
		})
		if got := b.Message.Text.Body; got != want {
			t.Fatalf("render %q with %q = %q, want %q", text, values, got, want)
		}
		for _, v := range values {
			if !strings.Contains(b.Message.Text.Body, v) {
				t.Fatalf("render %q: value %q does not arrive verbatim in %q", text, v, b.Message.Text.Body)
			}
		}
	})
}

// The spec tests' specs, as seeds for FuzzParseSpec.
var specSeeds = func() []string {
	const head = "id: c1\naccount: tujenge-main\n"
	text := "message: {text: {body: hi}}\n"
	return []string{
		head + "message:\n  text:\n    body: \"Hi {{name}} 👋\"\n    preview_url: true\n",
		head + "message:\n  image:\n    url: https://cdn.example.com/{{file}}.jpg\n    caption: For {{name}}\n    mime: image/jpeg\n    size: 204800\n",
		head + "message:\n  document: {url: \"https://cdn.example.com/terms.pdf\", filename: terms.pdf}\n",
		head + "message:\n  template:\n    name: spring_sale\n    language: en_US\n    header: {image: {url: \"https://cdn.example.com/sale.png\"}}\n    body: [\"{{name}}\", \"{{ discount }}%\"]\n",
		head + "sender: \"+255 700 000 001\"\nttl: 2d12h\nsend_at: 2026-11-21T09:00:00+03:00\npriority: low\ndefault_region: tz\nmessage: {text: {body: hello}}\n",
		head + "quiet_hours: {start: \"21:00\", end: \"08:00\"}\nerror_budget: {max_failure_ratio: 0.2, min_outcomes: 50}\n" + text,
		head + text + "fallback_template: {name: f, language: en, body: [\"{{name}}\"]}\n",
		head + "colour: blue\n" + text,
		head + "message:\n  text:\n    body: hi\n    bold: true\n",
		head + "ttl: soon\n" + text,
		head + "ttl: 0\n" + text,
		head + "ttl: -1h\n" + text,
		head + "ttl: {hours: 1}\n" + text,
		head + "send_at: tomorrow morning\n" + text,
		"id: [c1\n",
		"",
		head + text + "---\n" + head + text,
		text,
		"id: spring sale\naccount: a\n" + text,
		head + "sender: \"0712345678\"\n" + text,
		head + "priority: urgent\n" + text,
		head + "default_region: XX\n" + text,
		head,
		head + "message:\n  text: {body: hi}\n  location: {latitude: 1, longitude: 2}\n",
		head + "message: {image: {url: \"{{link}}\"}}\n",
		head + "message: {template: {name: t, language: en, header: {document: {url: \"cdn/{{f}}\"}}}}\n",
		head + "message: {video: {url: \"ftp://x/{{f}}.mp4\"}}\n",
		head + "message: {text: {body: \"hi {{ }}\"}}\n",
		head + "message: {location: {latitude: 91, longitude: 0}}\n",
		head + "message: {template: {name: t, language: en}}\nfallback_template: {name: f, language: en}\n",
		"account: a\npriority: top\nmessage: {contacts: [{name: {first_name: X}}]}\n",
		`{"id":"c1","account":"a","ttl":"36h","message":{"text":{"body":"hi {{name}}"}}}`,
	}
}()

// FuzzParseSpec: ParseSpec never returns a spec Validate refuses, and a
// spec it accepts is stored (canonicalJSON) in a form ParseSpec accepts
// again with the same meaning: a re-import compares equal.
func FuzzParseSpec(f *testing.F) {
	for _, s := range specSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec(b)
		if err != nil {
			if s != nil {
				t.Fatalf("ParseSpec(%q) = %+v alongside error %v", b, s, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpec(%q) accepted a spec Validate refuses: %v", b, err)
		}
		stored, err := s.canonicalJSON()
		if err != nil {
			t.Fatalf("ParseSpec(%q) accepted a spec that cannot be stored: %v", b, err)
		}
		again, err := ParseSpec(stored)
		if err != nil {
			t.Fatalf("spec %q stored as %s, which ParseSpec refuses: %v", b, stored, err)
		}
		restored, err := again.canonicalJSON()
		if err != nil {
			t.Fatalf("stored spec %s: %v", stored, err)
		}
		if !bytes.Equal(stored, restored) {
			t.Fatalf("spec %q stored as %s, read back and stored as %s", b, stored, restored)
		}
	})
}

// FuzzDuration: a duration parseDuration accepts is positive, and its
// String form reads back as the same duration.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"24h", "90m", "45s", "2d", "1d6h30m", " 7d ", "", "0", "0s", "-5m", "d", "2d-1h", "1.5d", "3 days", "100001d", "2d12h", "1.5h", "100000d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d <= 0 {
			t.Fatalf("parseDuration(%q) = %v, want it positive", s, d)
		}
		text := Duration(d).String()
		back, err := parseDuration(text)
		if err != nil || back != d {
			t.Fatalf("parseDuration(%q) = %v, written %q, read back as %v, %v", s, d, text, back, err)
		}
		var fromJSON Duration
		if err := json.Unmarshal([]byte(`"`+text+`"`), &fromJSON); err != nil || time.Duration(fromJSON) != d {
			t.Fatalf("%q through JSON: %v, %v", text, time.Duration(fromJSON), err)
		}
	})
}
