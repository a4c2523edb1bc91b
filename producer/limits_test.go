package producer_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
)

// repeatReader yields n bytes made of pattern, generated as read, so a
// test feeds tens of megabytes without holding them.
type repeatReader struct {
	pattern []byte
	n, off  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if rest := r.n - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	for i := range p {
		p[i] = r.pattern[(r.off+int64(i))%int64(len(r.pattern))]
	}
	r.off += int64(len(p))
	return len(p), nil
}

func repeat(pattern string, n int64) io.Reader {
	return &repeatReader{pattern: []byte(pattern), n: n}
}

// Hostile CSV: a 10 MB line and a row of 1M columns are rejected rows with
// their line, read without being held, and the good rows around them are
// imported.
func TestCSVRowsOverTheLimitsAreRejectedWithTheirLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := io.MultiReader(
		strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"),                       // 1, 2
		strings.NewReader("+255712345679,"), repeat("x", 10<<20), strings.NewReader(",B2\n"), // 3: 10 MB line
		strings.NewReader("+255712345680,Chiku,C3\n"), // 4
		repeat(",", 1<<20), strings.NewReader("\n"),   // 5: 1M columns, 1 MB
		strings.NewReader("+255712345681,\"a long\nquoted "), repeat("y", 200<<10), strings.NewReader("\nfield\",D4\n"), // 6-8: quoted, over the limit
		strings.NewReader("+255712345682,\"two\nlines\",E5\n"), // 9-10
		strings.NewReader("+255712345683,Faraji,F6"),           // 11
	)
	var rejects bytes.Buffer
	p := h.Producer(producer.Config{})
	res, err := p.Import(bg, textSpec("hostile"), input, producer.Options{Rejects: &rejects})
	must(t, err)
	want := producer.Progress{Lines: 7, Accepted: 4, Rejected: 3}
	if diff := cmp.Diff(want, res.Progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	wantRejects := "line,reason,phone,name,code\n" +
		"3,row is longer than 65536 bytes\n" +
		"5,row has more than 256 columns\n" +
		"6,row is longer than 65536 bytes\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	var got []string
	for _, m := range h.Pending(t, message.LaneNormal) {
		got = append(got, m.To)
	}
	if diff := cmp.Diff([]string{"+255712345678", "+255712345680", "+255712345682", "+255712345683"}, got); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
}

// The limits are the producer's config.
func TestCSVLimitsAreConfigurable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka Baraka Baraka,B2\n+255712345680,Chiku,C3,,\n"
	var rejects bytes.Buffer
	p := h.Producer(producer.Config{MaxRecordBytes: 32, MaxColumns: 4})
	res, err := p.Import(bg, textSpec("small"), strings.NewReader(input), producer.Options{Rejects: &rejects})
	must(t, err)
	if res.Accepted != 1 || res.Rejected != 2 {
		t.Errorf("progress %+v; want 1 accepted, 2 rejected", res.Progress)
	}
	wantRejects := "line,reason,phone,name,code\n3,row is longer than 32 bytes\n4,row has more than 4 columns\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

// An unclosed quote on line 2 followed by 50 MB stops the import, naming
// the line where the quoted field opens, without holding the 50 MB.
func TestUnclosedQuoteBeforeFiftyMegabytesNamesItsLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := io.MultiReader(
		strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,\"B2\n"),
		repeat("+255712345680,Chiku,C3\n", 50<<20),
	)
	p := h.Producer(producer.Config{})
	res, err := p.Import(bg, textSpec("quote50"), input, producer.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 3: a quoted field opened here is never closed, so lines 3 to 2279517 ") {
		t.Fatalf("err = %v, want it to name the unclosed quote at line 3", err)
	}
	if res.Accepted != 1 || len(h.Pending(t, message.LaneNormal)) != 1 {
		t.Errorf("result %+v; want the row before the quote imported and queued", res.Progress)
	}
}

// The quote tracker agrees with encoding/csv on where records end: quotes
// escaped, a quote closing a field followed by more text, a bare quote.
func TestCSVMalformedQuotesRejectOneRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n" +
		"+255712345678,\"Amina \"\"A\"\"\",A1\n" + // 2: escaped quotes: accepted
		"+255712345679,\"Baraka\"x,\"B\n2\"\n" + // 3-4: text after a closing quote, then a quoted field across lines: one row
		"+255712345680,Ch\"iku,C3\n" + // 5: bare quote
		"+255712345681,Dora,D4\r\n" // 6
	var rejects bytes.Buffer
	res, err := h.Producer(producer.Config{}).Import(bg, textSpec("quotes"), strings.NewReader(input), producer.Options{Rejects: &rejects})
	must(t, err)
	want := producer.Progress{Lines: 4, Accepted: 2, Rejected: 2}
	if diff := cmp.Diff(want, res.Progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	wantRejects := "line,reason,phone,name,code\n" +
		`3,"unreadable CSV: extraneous or missing "" in quoted-field"` + "\n" +
		`5,"unreadable CSV: bare "" in non-quoted-field"` + "\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

// A header over the limits stops the import before any row.
func TestCSVHeaderOverTheLimitsIsAnError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	_, err := p.Import(bg, textSpec("hdr"), io.MultiReader(strings.NewReader("phone,name,code"), repeat(",c", 1000), strings.NewReader("\n")), producer.Options{})
	if err == nil || !strings.Contains(err.Error(), "line 1: the header has more than 256 columns") {
		t.Errorf("err = %v", err)
	}
}

// A JSONL line over the limit is rejected without being held whole, and
// the lines after it are read as usual; the limit is MaxRecordBytes.
func TestJSONLRejectsAnOverlongLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := io.MultiReader(
		strings.NewReader(`{"phone":"+255712345678","name":"`), repeat("x", 10<<20), strings.NewReader(`","code":"A1"}`+"\n"),
		strings.NewReader(`{"phone":"+255712345679","name":"`+strings.Repeat("y", 100)+`","code":"B2"}`+"\n"),
		strings.NewReader(`{"phone":"+255712345680","name":"Chiku","code":"C3"}`+"\n"),
	)
	var rejects bytes.Buffer
	res, err := h.Producer(producer.Config{MaxRecordBytes: 100}).Import(bg, textSpec("big"), input,
		producer.Options{Format: producer.FormatJSONL, Rejects: &rejects})
	must(t, err)
	want := producer.Progress{Lines: 3, Accepted: 1, Rejected: 2}
	if diff := cmp.Diff(want, res.Progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	wantRejects := "line,reason,raw\n1,line is longer than 100 bytes\n2,line is longer than 100 bytes\n"
	if diff := cmp.Diff(wantRejects, rejects.String()); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}
