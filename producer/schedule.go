package producer

import (
	"fmt"
	"time"
)

// MaxScheduleAhead is how far ahead a send_at may be: a message scheduled
// further out is almost surely a typo (a year of 2062 for 2026), and would
// sit in Redis until then.
const MaxScheduleAhead = 366 * 24 * time.Hour

// earliestSendAt bounds send_at from below: an earlier one is a typo or a
// zero time (0000-01-01), not a schedule.
var earliestSendAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkSendAtRange reports a send_at outside [2000-01-01, now+MaxScheduleAhead].
// A send_at in the recent past is fine: the messages go at once.
func checkSendAtRange(t, now time.Time) error {
	switch {
	case t.IsZero():
		return nil
	case t.Before(earliestSendAt):
		return fmt.Errorf("send_at %s is before %s: not a schedule (leave send_at out to send now)", t.Format(time.RFC3339), earliestSendAt.Format("2006-01-02"))
	case t.After(now.Add(MaxScheduleAhead)):
		return fmt.Errorf("send_at %s is more than a year ahead (latest %s): a typo in the year?", t.Format(time.RFC3339), now.Add(MaxScheduleAhead).UTC().Format("2006-01-02"))
	}
	return nil
}
