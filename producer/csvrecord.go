package producer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// csvRecords splits CSV input into its records the way encoding/csv reads
// them (a line break inside a quoted field belongs to the field), holding
// at most maxBytes of one record: encoding/csv alone holds a whole record,
// so one unclosed quote or a line without end would take the whole input
// into memory. A record over maxBytes or maxCols is read to its end and
// dropped, and reported as such, so the rows after it are read as usual.
type csvRecords struct {
	br       *bufio.Reader
	maxBytes int
	maxCols  int
	buf      []byte
	lines    int64 // line breaks read so far
}

// csvRecord is one record as csvRecords read it.
type csvRecord struct {
	b    []byte // the record with its line break; reused by the next call; empty when over a limit
	line int64  // 1-based line where it starts
	// tooLong and tooManyCols say it was over a limit and dropped.
	tooLong     bool
	tooManyCols bool
}

// UnclosedQuoteError is the end of an import whose input opens a quoted
// field and never closes it: encoding/csv would read the rest of the input
// as that one field.
type UnclosedQuoteError struct {
	Line    int64 // where the quoted field opens
	EndLine int64 // the input's last line
}

func (e *UnclosedQuoteError) Error() string {
	return fmt.Sprintf("line %d: a quoted field opened here is never closed, so lines %d to %d read as one field and were not imported; close the quote and re-run",
		e.Line, e.Line, e.EndLine)
}

// The states of the quote tracker, as encoding/csv (LazyQuotes off) sees a
// byte: a quote opens a quoted field only at the start of a field, and a
// quote in a quoted field either escapes a quote or closes the field.
const (
	csvFieldStart = iota // at the start of a field
	csvBare              // in a field without quotes
	csvQuoted            // in a quoted field
	csvQuote             // just after a quote in a quoted field
)

// next returns the next record, or io.EOF at the end. A record is never
// empty: a blank line is a record of its line break.
func (c *csvRecords) next() (csvRecord, error) {
	rec := csvRecord{line: c.lines + 1}
	c.buf = c.buf[:0]
	state, cols, quoteLine := csvFieldStart, 1, int64(0)
	read, partial := false, false // bytes read; bytes read since the last line break
	for {
		chunk, err := c.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		for _, b := range chunk {
			switch state {
			case csvFieldStart:
				switch b {
				case '"':
					state, quoteLine = csvQuoted, c.lines+1
				case ',':
					cols++
				default:
					state = csvBare
				}
			case csvBare:
				if b == ',' {
					state = csvFieldStart
					cols++
				}
			case csvQuoted:
				if b == '"' {
					state = csvQuote
				}
			case csvQuote:
				switch b {
				case '"':
					state = csvQuoted
				case ',':
					state = csvFieldStart
					cols++
				default:
					// encoding/csv refuses the row (extraneous quote) and
					// drops the rest of its line, as of a bare field.
					state = csvBare
				}
			}
		}
		if cols > c.maxCols {
			rec.tooManyCols = true
		}
		if !rec.tooLong && len(c.buf)+len(chunk) > c.maxBytes {
			rec.tooLong = true
		}
		if rec.tooLong || rec.tooManyCols {
			c.buf = c.buf[:0]
		} else {
			c.buf = append(c.buf, chunk...)
		}
		if len(chunk) > 0 {
			partial = chunk[len(chunk)-1] != '\n'
		}
		if len(chunk) > 0 && !partial {
			c.lines++
			if state != csvQuoted {
				rec.b = c.buf
				return rec, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if partial {
				c.lines++ // the last line, without a line break
			}
			if state == csvQuoted {
				return csvRecord{}, &UnclosedQuoteError{Line: quoteLine, EndLine: c.lines}
			}
			if !read {
				return csvRecord{}, io.EOF
			}
			rec.b = c.buf
			return rec, nil
		}
		if err != nil {
			return csvRecord{}, err
		}
	}
}

// recordFeed is what encoding/csv reads: one record at a time, then io.EOF
// until the next one is set.
type recordFeed struct {
	b []byte
}

func (f *recordFeed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
