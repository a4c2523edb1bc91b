package producer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvSource reads a CSV file with a header row, one bounded record at a
// time (csvRecords), each parsed by encoding/csv.
type csvSource struct {
	recs     *csvRecords
	feed     *recordFeed
	r        *csv.Reader
	lim      limits
	header   []string // as written (BOM stripped), for the rejects file
	phoneIdx int
	colIdx   []int // per template column: its index in a record
	row      row
}

func newCSVSource(br *bufio.Reader, t *template, lim limits) (*csvSource, error) {
	feed := &recordFeed{}
	cr := csv.NewReader(feed)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	s := &csvSource{recs: &csvRecords{br: br, maxBytes: lim.bytes, maxCols: lim.cols}, feed: feed, r: cr, lim: lim, phoneIdx: -1}
	h, err := s.header1()
	if err != nil {
		return nil, err
	}
	s.header = append([]string(nil), h...)
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

// header1 reads the header row, skipping blank lines before it.
func (s *csvSource) header1() ([]string, error) {
	for {
		rec, err := s.recs.next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("input is empty: want a header row naming the columns, one of them phone")
		}
		if err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		switch {
		case rec.tooLong:
			return nil, fmt.Errorf("read header: line %d: the header is longer than %d bytes", rec.line, s.lim.bytes)
		case rec.tooManyCols:
			return nil, fmt.Errorf("read header: line %d: the header has more than %d columns", rec.line, s.lim.cols)
		}
		h, err := s.parse(rec.b)
		if errors.Is(err, io.EOF) {
			continue // a blank line
		}
		if err != nil {
			return nil, fmt.Errorf("read header: line %d: %w", rec.line, parseErrorCause(err))
		}
		return h, nil
	}
}

// parse reads one record csvRecords split with encoding/csv; io.EOF for a
// blank line.
func (s *csvSource) parse(b []byte) ([]string, error) {
	s.feed.b = b
	start := s.r.InputOffset()
	rec, err := s.r.Read()
	if s.r.InputOffset()-start < int64(len(b)) {
		// After a malformed field encoding/csv goes on at the next line
		// while the record goes on (a quoted field across lines after it):
		// the rest is the same row.
		for {
			if _, e := s.r.Read(); errors.Is(e, io.EOF) {
				break
			}
		}
		if err == nil {
			err = errors.New("malformed quotes")
		}
	}
	return rec, err
}

// parseErrorCause is what encoding/csv says without its line numbers,
// which count records, not the input's lines.
func parseErrorCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (s *csvSource) next() (*row, error) {
	for {
		src, err := s.recs.next()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var uq *UnclosedQuoteError
		if errors.As(err, &uq) {
			// An unclosed quote swallows the rest of the file into one
			// field: rejecting that as one row would drop every row after it
			// without a word, so the import stops and says where.
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		r := &s.row
		r.reject, r.raw, r.phone = "", nil, ""
		r.line, r.text = src.line, bytes.TrimRight(src.b, "\r\n")
		switch {
		case src.tooLong:
			r.reject = fmt.Sprintf("row is longer than %d bytes", s.lim.bytes)
			return r, nil
		case src.tooManyCols:
			r.reject = fmt.Sprintf("row has more than %d columns", s.lim.cols)
			return r, nil
		}
		rec, err := s.parse(src.b)
		if errors.Is(err, io.EOF) {
			continue // a blank line
		}
		if err != nil {
			r.reject = "unreadable CSV: " + parseErrorCause(err).Error()
			return r, nil
		}
		if blank(rec) {
			continue
		}
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
