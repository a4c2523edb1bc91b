package producer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/producer"
)

// A send_at before 2000 or more than a year ahead is refused before
// anything is written: no campaign, no record, no task.
func TestSendAtOutOfRangeIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.Producer(producer.Config{})
	now := h.Clock.Now()
	for _, at := range []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		now.Add(producer.MaxScheduleAhead + time.Hour),
	} {
		spec := textSpec("sched-" + at.Format("2006"))
		spec.SendAt = at
		if _, err := p.Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{}); err == nil || !strings.Contains(err.Error(), "send_at") {
			t.Errorf("import with send_at %s: %v, want a send_at error", at, err)
		}
		if _, err := h.St.Campaign(bg, spec.ID); err == nil {
			t.Errorf("send_at %s: the campaign was created", at)
		}
		req := sendReq("sched-" + at.Format("2006"))
		req.SendAt = at
		_, err := p.Send(bg, req)
		var fe *producer.FieldError
		if !errors.As(err, &fe) || fe.Field != "send_at" {
			t.Errorf("send with send_at %s: %v, want a send_at field error", at, err)
		}
	}
	// A year ahead, less an hour, is a schedule.
	spec := textSpec("sched-ok")
	spec.SendAt = now.Add(producer.MaxScheduleAhead - time.Hour)
	if res, err := p.Import(bg, spec, strings.NewReader("phone,name,code\n+255712345678,Amina,A1\n"), producer.Options{}); err != nil || res.Accepted != 1 {
		t.Errorf("import a year ahead: %+v, %v", res, err)
	}
}
