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

// A row whose recipient opted out of the account is counted, and gets no
// record, no task and no line in the rejects file; an opt-out on another
// account changes nothing.
func TestImportSkipsOptedOutRecipients(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	must(t, h.st.OptOut(bg, "tujenge-main", "+255712345679", "STOP"))
	must(t, h.st.OptOut(bg, "another-account", "+255712345680", "STOP"))
	input := "phone,name,code\n" +
		"+255712345678,Amina,A1\n" +
		"0712345679,Baraka,B2\n" + // opted out (after normalization)
		"+255712345680,Chausiku,C3\n" +
		"+255712345679,Baraka,B2\n" // opted out again, in a later batch

	var rejects bytes.Buffer
	p := h.producer(producer.Config{DefaultRegion: "TZ", BatchSize: 2})
	res, err := p.Import(bg, textSpec("quiet"), strings.NewReader(input), producer.Options{Rejects: &rejects})
	must(t, err)
	want := producer.Result{CampaignCreated: true, Progress: producer.Progress{Lines: 4, Accepted: 2, OptedOut: 2}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if rejects.Len() != 0 {
		t.Errorf("rejects file = %q, want nothing", rejects.String())
	}
	var tos []string
	for _, m := range h.pending(t, message.LaneNormal) {
		tos = append(tos, m.To)
	}
	if diff := cmp.Diff([]string{"+255712345678", "+255712345680"}, tos); diff != "" {
		t.Errorf("queued recipients (-want +got):\n%s", diff)
	}
	if _, err := h.st.Get(bg, message.CampaignMessageID("quiet", "+255712345679")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of the opted-out recipient: %v, want none", err)
	}
	stats, _, err := h.st.CampaignImportStats(bg, "quiet")
	must(t, err)
	if diff := cmp.Diff(store.ImportStats{Accepted: 2, OptedOut: 2}, stats); diff != "" {
		t.Errorf("import stats (-want +got):\n%s", diff)
	}
}
