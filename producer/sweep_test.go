package producer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/producer"
)

// Queued records whose tasks are gone (an importer killed between records
// and tasks) get them back from Sweep, once they are old enough; records
// with their tasks, and young ones, are left alone; a second sweep finds
// nothing to do.
func TestSweepGivesOrphansTheirTasksBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	var csv strings.Builder
	csv.WriteString("phone,name,code\n")
	for _, n := range []string{"01", "02", "03", "04", "05"} {
		csv.WriteString("+2557123456" + n + ",N" + n + ",C" + n + "\n")
	}
	if res, err := p.Import(bg, textSpec("sw1"), strings.NewReader(csv.String()), producer.Options{}); err != nil || res.Accepted != 5 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	queue := message.SendQueue(h.R.Prefix, message.LaneNormal, "sw1:+255712345601", 1)
	if n, _ := h.Insp.GetQueueInfo(queue); n == nil || n.Pending != 5 {
		t.Fatalf("queue %s: %+v", queue, n)
	}
	// Young records are not looked at; old ones with their tasks are found.
	if res, err := p.Sweep(bg, "sw1", time.Minute); err != nil || res.Checked != 0 {
		t.Fatalf("sweep of young records: %+v, %v", res, err)
	}
	h.Clock.Advance(2 * time.Minute)
	if res, err := p.Sweep(bg, "sw1", time.Minute); err != nil || res.Checked != 5 || res.Missing != 0 || res.Reenqueued != 0 {
		t.Fatalf("sweep with every task there: %+v, %v", res, err)
	}
	for _, id := range []string{"sw1:+255712345602", "sw1:+255712345604"} {
		if err := h.Insp.DeleteTask(queue, id); err != nil {
			t.Fatal(err)
		}
	}
	res, err := p.Sweep(bg, "sw1", time.Minute)
	if err != nil || res.Missing != 2 || res.Reenqueued != 2 {
		t.Fatalf("sweep with two tasks gone: %+v, %v", res, err)
	}
	tasks, err := h.Insp.ListPendingTasks(queue, asynq.PageSize(10))
	if err != nil || len(tasks) != 5 {
		t.Fatalf("pending after the sweep: %d, %v", len(tasks), err)
	}
	if res, err := p.Sweep(bg, "sw1", time.Minute); err != nil || res.Missing != 0 || res.Reenqueued != 0 {
		t.Errorf("second sweep: %+v, %v", res, err)
	}
}
