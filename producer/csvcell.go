package producer

import (
	"encoding/csv"
	"strings"
)

// SafeCell neutralises a CSV cell that a spreadsheet would run as a
// formula (CSV injection: `=HYPERLINK(…)`, `=cmd|' /C calc'!A0`, `@SUM(…)`):
// a cell starting with '=', '@', a tab or a carriage return, or with '+' or
// '-' unless it is a plain number (an E.164 recipient such as
// +255712345678, a count), gets a leading apostrophe, which spreadsheets
// show as text and do not evaluate. Reports, rejects files and the API's
// CSV report write every cell through it unless asked for raw cells.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if !plainNumber(s[1:]) {
			return "'" + s
		}
	}
	return s
}

// plainNumber reports whether s is digits with at most one '.'.
func plainNumber(s string) bool {
	if s == "" || strings.Count(s, ".") > 1 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// safeWriter writes CSV rows through SafeCell unless raw.
type safeWriter struct {
	*csv.Writer
	raw bool
	buf []string
}

func (w *safeWriter) Write(row []string) error {
	if w.raw {
		return w.Writer.Write(row)
	}
	w.buf = w.buf[:0]
	for _, c := range row {
		w.buf = append(w.buf, SafeCell(c))
	}
	return w.Writer.Write(w.buf)
}
