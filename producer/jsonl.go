package producer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wabulk/wabulk/internal/jsonkeys"
)

// jsonlSource reads one JSON object per line.
type jsonlSource struct {
	br   *bufio.Reader
	max  int // bytes of one line (Config.MaxRecordBytes): a longer one is rejected unread, so a file without newlines is never held whole
	cols []string
	line int64
	buf  []byte
	row  row
}

func newJSONLSource(br *bufio.Reader, t *template, max int) *jsonlSource {
	return &jsonlSource{br: br, max: max, cols: t.cols, row: row{values: make([]string, len(t.cols))}}
}

func (s *jsonlSource) rejectsHeader() []string { return []string{"line", "reason", "raw"} }

func (s *jsonlSource) valueNoun() string { return "field" }

// readLine returns the next line without its line break; long is set when
// the line was longer than s.max (nothing of it is returned).
func (s *jsonlSource) readLine() (line []byte, long bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if !long && len(s.buf)+len(chunk) <= s.max {
			s.buf = append(s.buf, chunk...)
		} else {
			long, s.buf = true, s.buf[:0]
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || (len(s.buf) == 0 && !long)) {
			return nil, false, err
		}
		return bytes.TrimRight(s.buf, "\r\n"), long, nil
	}
}

func (s *jsonlSource) next() (*row, error) {
	for {
		b, long, err := s.readLine()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		s.line++
		if len(bytes.TrimSpace(b)) == 0 && !long {
			continue
		}
		r := &s.row
		r.line, r.phone, r.reject = s.line, "", ""
		r.raw, r.text = []string{string(b)}, b
		if long {
			r.raw, r.text = nil, nil
			r.reject = fmt.Sprintf("line is longer than %d bytes", s.max)
			return r, nil
		}
		r.reject = s.parse(b)
		return r, nil
	}
}

// parse fills s.row from one JSON object and returns why it cannot, or "".
func (s *jsonlSource) parse(b []byte) string {
	t := bytes.TrimSpace(b)
	if t[0] != '{' {
		return "not a JSON object"
	}
	// Keys are matched without regard to case: two that differ only in
	// case would leave which one counts to chance.
	if err := jsonkeys.Check(t); err != nil {
		return err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "invalid JSON: " + err.Error()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "invalid JSON: more than one value on the line"
	}
	fields := make(map[string]any, len(obj))
	for k, v := range obj {
		name := strings.ToLower(strings.TrimSpace(k))
		if _, dup := fields[name]; dup {
			return fmt.Sprintf("keys %q differ only in case or spaces from another key: give one", k)
		}
		fields[name] = v
	}
	text := func(name string) (string, string) {
		v, ok := fields[name]
		if !ok {
			return "", fmt.Sprintf("field %q is missing", name)
		}
		switch v := v.(type) {
		case nil:
			return "", ""
		case string:
			return v, ""
		case json.Number:
			return v.String(), ""
		case bool:
			return strconv.FormatBool(v), ""
		}
		return "", fmt.Sprintf("field %q is an object or array, want a string or number", name)
	}
	var why string
	if s.row.phone, why = text("phone"); why != "" {
		return why
	}
	for i, c := range s.cols {
		if s.row.values[i], why = text(c); why != "" {
			return why
		}
	}
	return ""
}
