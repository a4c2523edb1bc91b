package producer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Format is the format of a recipients file.
type Format string

// The formats Import reads.
const (
	FormatCSV   Format = "csv"   // a header row naming the columns, one of them "phone"
	FormatJSONL Format = "jsonl" // one JSON object per line with a "phone" field
)

// row is one data row as a source read it.
type row struct {
	line   int64    // 1-based line of the file where the row starts
	phone  string   // as written
	values []string // aligned with the template's columns; reused between rows
	// reject, when set, is why the source could not read the row.
	reject string
	// raw is what the rejects file repeats after line and reason.
	raw []string
	// text is the row as written, without its line break (what the
	// campaign keeps of a reject); nil when over a limit. Reused by the
	// next row.
	text []byte
}

// source reads rows one at a time: a row, io.EOF at the end, or an error
// that stops the import (the input itself cannot be read).
type source interface {
	next() (*row, error)
	// rejectsHeader is the header of the rejects file.
	rejectsHeader() []string
	// valueNoun names a row's values in reasons: "column" or "field".
	valueNoun() string
}

// limits bound one input record.
type limits struct {
	bytes int // Config.MaxRecordBytes
	cols  int // Config.MaxColumns
}

func newSource(f Format, r io.Reader, t *template, lim limits) (source, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	switch f {
	case "", FormatCSV:
		return newCSVSource(br, t, lim)
	case FormatJSONL:
		return newJSONLSource(br, t, lim.bytes), nil
	}
	return nil, fmt.Errorf("unknown input format %q: want csv or jsonl", f)
}
