package producer_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
	"github.com/wabulk/wabulk/store"
)

// Report writes one row per recipient, and nothing at all for a campaign
// that does not exist.
func TestReportWritesNothingForAnUnknownCampaign(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	_, err := p.Import(bg, textSpec("c1"), strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{})
	must(t, err)

	var buf bytes.Buffer
	must(t, p.Report(bg, "c1", producer.FormatCSV, &buf, producer.ReportOptions{}))
	want := strings.Join(producer.ReportColumns, ",") + "\n" +
		"c1:+255712345678,c1,+255712345678,tujenge-main,queued,,,0,,2026-11-21T09:00:00.000Z,false\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	buf.Reset()
	if err := p.Report(bg, "nope", producer.FormatCSV, &buf, producer.ReportOptions{}); !errors.Is(err, store.ErrNotFound) || buf.Len() != 0 {
		t.Errorf("report of an unknown campaign: %v, %q written; want store.ErrNotFound and nothing", err, buf.String())
	}
}

// A provider's error text that a spreadsheet would run as a formula is
// neutralised in the CSV report (raw on request), and so is a rejected
// row in the rejects file.
func TestReportAndRejectsNeutraliseFormulas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	var rejects bytes.Buffer
	_, err := p.Import(bg, textSpec("f1"), strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n=1+1,@SUM(A1),=cmd|' /C calc'!A0\n"),
		producer.Options{Rejects: &rejects})
	must(t, err)
	if got := rejects.String(); !strings.Contains(got, "'=1+1,'@SUM(A1),'=cmd|' /C calc'!A0") {
		t.Errorf("rejects file keeps formulas:\n%s", got)
	}
	ref := store.Ref{ID: "f1:+255712345678", CampaignID: "f1", Account: "tujenge-main"}
	if _, err := h.St.Transition(bg, ref, message.Sending, store.Update{From: message.Queued}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.St.Transition(bg, ref, message.Failed, store.Update{ErrorCode: "=HYPERLINK(\"http://evil\",\"x\")", Error: "-2+3"}); err != nil {
		t.Fatal(err)
	}
	var safe, raw bytes.Buffer
	must(t, p.Report(bg, "f1", producer.FormatCSV, &safe, producer.ReportOptions{}))
	must(t, p.Report(bg, "f1", producer.FormatCSV, &raw, producer.ReportOptions{RawCSV: true}))
	if !strings.Contains(safe.String(), `,+255712345678,tujenge-main,failed,"'=HYPERLINK(""http://evil"",""x"")",'-2+3,`) {
		t.Errorf("report keeps formulas:\n%s", safe.String())
	}
	if !strings.Contains(raw.String(), `,"=HYPERLINK(""http://evil"",""x"")",-2+3,`) {
		t.Errorf("raw report changed cells:\n%s", raw.String())
	}
}
