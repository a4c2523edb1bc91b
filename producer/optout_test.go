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
	must(t, h.St.OptOut(bg, "tujenge-main", "+255712345679", "STOP"))
	must(t, h.St.OptOut(bg, "another-account", "+255712345680", "STOP"))
	input := "phone,name,code\n" +
		"+255712345678,Amina,A1\n" +
		"0712345679,Baraka,B2\n" + // opted out (after normalization)
		"+255712345680,Chausiku,C3\n" +
		"+255712345679,Baraka,B2\n" // opted out again, in a later batch

	var rejects bytes.Buffer
	p := h.Producer(producer.Config{DefaultRegion: "TZ", BatchSize: 2})
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
	for _, m := range h.Pending(t, message.LaneNormal) {
		tos = append(tos, m.To)
	}
	if diff := cmp.Diff([]string{"+255712345678", "+255712345680"}, tos); diff != "" {
		t.Errorf("queued recipients (-want +got):\n%s", diff)
	}
	if _, err := h.St.Get(bg, message.CampaignMessageID("quiet", "+255712345679")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of the opted-out recipient: %v, want none", err)
	}
	stats, _, err := h.St.CampaignImportStats(bg, "quiet")
	must(t, err)
	if diff := cmp.Diff(store.ImportStats{Accepted: 2, OptedOut: 2}, stats); diff != "" {
		t.Errorf("import stats (-want +got):\n%s", diff)
	}
}

// A record an earlier, crashed import left queued without its task, whose
// recipient opted out meanwhile, ends opted_out at re-import instead of
// staying queued forever; the campaign still drains.
func TestReimportSettlesAStrandedRecordOfAnOptedOutRecipient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	input := "phone,name,code\n+255712345678,Amina,A1\n+255712345679,Baraka,B2\n"
	_, err := h.Producer(producer.Config{}).Import(bg, textSpec("strand"), strings.NewReader(input), producer.Options{})
	must(t, err)
	lost := message.CampaignMessageID("strand", "+255712345679")
	must(t, h.Insp.DeleteTask(h.Queue(message.LaneNormal), lost))
	must(t, h.St.OptOut(bg, "tujenge-main", "+255712345679", "STOP"))

	res, err := h.Producer(producer.Config{}).Import(bg, textSpec("strand"), strings.NewReader(input), producer.Options{})
	must(t, err)
	want := producer.Result{Progress: producer.Progress{Lines: 2, AlreadyPresent: 1, OptedOut: 1}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("re-import (-want +got):\n%s", diff)
	}
	rec, err := h.St.Get(bg, lost)
	must(t, err)
	if rec.Status != message.OptedOut || rec.ErrorCode != "opted_out" {
		t.Errorf("stranded record %s/%s, want opted_out", rec.Status, rec.ErrorCode)
	}
	counts, err := h.St.CampaignCounts(bg, "strand")
	must(t, err)
	if counts[message.Queued] != 1 || counts[message.OptedOut] != 1 {
		t.Errorf("counts %v, want 1 queued (its task still there) and 1 opted_out", counts)
	}
	if n := len(h.Pending(t, message.LaneNormal)); n != 1 {
		t.Errorf("%d tasks, want only the first recipient's", n)
	}
}
