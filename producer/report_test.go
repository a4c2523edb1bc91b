package producer_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	must(t, p.Report(bg, "c1", producer.FormatCSV, &buf))
	want := strings.Join(producer.ReportColumns, ",") + "\n" +
		"c1:+255712345678,c1,+255712345678,tujenge-main,queued,,,0,,2026-11-21T09:00:00.000Z,false\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	buf.Reset()
	if err := p.Report(bg, "nope", producer.FormatCSV, &buf); !errors.Is(err, store.ErrNotFound) || buf.Len() != 0 {
		t.Errorf("report of an unknown campaign: %v, %q written; want store.ErrNotFound and nothing", err, buf.String())
	}
}
