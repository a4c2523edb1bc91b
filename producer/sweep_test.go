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

// An API message whose task is gone (its send stopped between record and
// task) is settled failed no_task once old enough; one with its task is
// left queued.
func TestSweepDirectSettlesAPIMessagesWithoutATask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	lost, err := p.Send(bg, sendReq("lost-api"))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := p.Send(bg, sendReq("kept-api"))
	if err != nil {
		t.Fatal(err)
	}
	queue := message.SendQueue(h.R.Prefix, message.LaneHigh, lost.ID, 1)
	if err := h.Insp.DeleteTask(queue, lost.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := p.SweepDirect(bg, time.Minute, 100); err != nil || n != 0 {
		t.Fatalf("sweep of young messages: %d, %v", n, err)
	}
	h.Clock.Advance(2 * time.Minute)
	if n, err := p.SweepDirect(bg, time.Minute, 100); err != nil || n != 1 {
		t.Fatalf("sweep: %d settled, %v; want 1", n, err)
	}
	for id, want := range map[string]message.Status{lost.ID: message.Failed, kept.ID: message.Queued} {
		rec, err := h.St.Get(bg, id)
		if err != nil || rec.Status != want {
			t.Errorf("%s: %+v, %v; want %s", id, rec, err, want)
		}
		if want == message.Failed && rec.ErrorCode != producer.NoTaskCode {
			t.Errorf("%s: code %q", id, rec.ErrorCode)
		}
	}
}
