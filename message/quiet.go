package message

import (
	"fmt"
	"time"
)

// QuietHours is a daily window of the recipient's local time in which a
// message is not sent: it waits until the window ends (and expires if its
// TTL passes first). Start and End are "HH:MM", 24-hour; a window whose
// end comes before its start crosses midnight ("21:00"–"08:00"). Start is
// inside the window, End is not.
type QuietHours struct {
	Start string `json:"start" yaml:"start"`
	End   string `json:"end" yaml:"end"`
}

// Validate reports what makes q unusable, naming the field.
func (q *QuietHours) Validate() error {
	s, err := clockMinute(q.Start)
	if err != nil {
		return fmt.Errorf("quiet_hours.start: %w", err)
	}
	e, err := clockMinute(q.End)
	if err != nil {
		return fmt.Errorf("quiet_hours.end: %w", err)
	}
	if s == e {
		return fmt.Errorf("quiet_hours: start and end are both %s; a window needs two different times", q.Start)
	}
	return nil
}

// clockMinute reads "HH:MM" as minutes after midnight. Only that exact
// form is read, so two specs that mean the same are written the same.
func clockMinute(s string) (int, error) {
	bad := fmt.Errorf("%q: want HH:MM, 24-hour (e.g. 21:00 or 08:30)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, bad
	}
	return h*60 + m, nil
}

// Quiet reports whether t, read in its own location, is inside the
// window. q must be valid.
func (q QuietHours) Quiet(t time.Time) bool {
	s, _ := clockMinute(q.Start)
	e, _ := clockMinute(q.End)
	m := t.Hour()*60 + t.Minute()
	if s < e {
		return m >= s && m < e
	}
	return m >= s || m < e // crosses midnight
}

// ends returns the instants at which the window ends on the local days
// around t (yesterday through the day after tomorrow, in t's location).
func (q QuietHours) ends(t time.Time) []time.Time {
	e, _ := clockMinute(q.End)
	y, mo, d := t.Date()
	out := make([]time.Time, 0, 4)
	for dd := -1; dd <= 2; dd++ {
		// time.Date moves a wall time that a DST change skips forward.
		out = append(out, time.Date(y, mo, d+dd, e/60, e%60, 0, 0, t.Location()))
	}
	return out
}

// Wait returns how long a message due at now waits for the quiet hours of
// a recipient who may be in any of zones: 0 when it may go now.
//
// A number may map to several time zones (the +1 area codes that span
// two, a mobile range valid across a country). The rule is the one that is
// safest for the recipient: the message goes only at a time that is
// outside the window in every one of them, the earliest such time. When
// no such time exists (zones further apart than the allowed part of the
// day is long: toll-free +1 800 spans Guam to Hawaii), it goes at the
// earliest time outside the window in the most zones. No zones at all
// means UTC.
func (q QuietHours) Wait(now time.Time, zones []*time.Location) time.Duration {
	if len(zones) == 0 {
		zones = []*time.Location{time.UTC}
	}
	allowed := func(t time.Time) int {
		n := 0
		for _, z := range zones {
			if !q.Quiet(t.In(z)) {
				n++
			}
		}
		return n
	}
	best, bestN := now, allowed(now)
	if bestN == len(zones) {
		return 0
	}
	// The number of zones outside the window only rises where a window
	// ends somewhere, so the best time is now or one of those ends.
	horizon := now.Add(48 * time.Hour)
	for _, z := range zones {
		for _, end := range q.ends(now.In(z)) {
			if !end.After(now) || end.After(horizon) {
				continue
			}
			if n := allowed(end); n > bestN || (n == bestN && end.Before(best)) {
				best, bestN = end, n
			}
		}
	}
	return best.Sub(now)
}
