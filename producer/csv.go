package producer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvSource reads a CSV file with a header row.
type csvSource struct {
	r        *csv.Reader
	header   []string // as written (BOM stripped), for the rejects file
	phoneIdx int
	colIdx   []int // per template column: its index in a record
	row      row
}

func newCSVSource(r io.Reader, t *template) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	h, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("input is empty: want a header row naming the columns, one of them phone")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	s := &csvSource{r: cr, header: append([]string(nil), h...), phoneIdx: -1}
	index := map[string]int{}
	names := make([]string, len(h))
	for i, name := range h {
		n := strings.ToLower(strings.TrimSpace(name))
		names[i] = n
		if n == "" {
			continue
		}
		if j, dup := index[n]; dup {
			return nil, fmt.Errorf("header names column %q twice (columns %d and %d)", n, j+1, i+1)
		}
		index[n] = i
	}
	found := strings.Join(names, ", ")
	i, ok := index["phone"]
	if !ok {
		return nil, fmt.Errorf("header has no phone column (found: %s)", found)
	}
	s.phoneIdx = i
	var missing []string
	for _, c := range t.cols {
		i, ok := index[c]
		if !ok {
			missing = append(missing, "{{"+c+"}}")
		}
		s.colIdx = append(s.colIdx, i)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the message uses %s but the header has no such column (found: %s)", strings.Join(missing, ", "), found)
	}
	s.row.values = make([]string, len(t.cols))
	return s, nil
}

func (s *csvSource) rejectsHeader() []string {
	return append([]string{"line", "reason"}, s.header...)
}

func (s *csvSource) valueNoun() string { return "column" }

func (s *csvSource) next() (*row, error) {
	for {
		rec, err := s.r.Read()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		r := &s.row
		r.reject, r.raw, r.phone = "", nil, ""
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
			// An unclosed quote swallows the rest of the file into one
			// field: rejecting that as one row would drop every row after it
			// without a word, so the import stops and says where.
			return nil, fmt.Errorf("line %d: a quoted field opened here is never closed, so lines %d to %d read as one field and were not imported; close the quote and re-run",
				pe.StartLine, pe.StartLine, pe.Line)
		}
		if errors.As(err, &pe) {
			r.line = int64(pe.StartLine)
			r.reject = "unreadable CSV: " + pe.Err.Error()
			return r, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		if blank(rec) {
			continue
		}
		line, _ := s.r.FieldPos(0)
		r.line = int64(line)
		r.raw = rec
		if len(rec) != len(s.header) {
			r.reject = fmt.Sprintf("row has %d fields, the header has %d", len(rec), len(s.header))
			return r, nil
		}
		r.phone = rec[s.phoneIdx]
		for i, j := range s.colIdx {
			r.values[i] = rec[j]
		}
		return r, nil
	}
}

// blank reports whether every field of rec is empty or spaces: a blank
// line, or a spreadsheet's empty row (",,,"), skipped silently.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
