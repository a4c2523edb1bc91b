package message_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
)

func TestQuietHoursValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		start, end string
		want       string // "" = valid
	}{
		{"21:00", "08:00", ""},
		{"00:00", "23:59", ""},
		{"12:30", "14:00", ""},
		{"9:00", "08:00", `quiet_hours.start: "9:00": want HH:MM`},
		{"21:00", "24:00", `quiet_hours.end: "24:00": want HH:MM`},
		{"21:60", "08:00", `quiet_hours.start: "21:60"`},
		{"+1:00", "08:00", `quiet_hours.start: "+1:00"`},
		{"", "08:00", `quiet_hours.start: ""`},
		{"21:00", "9pm", `quiet_hours.end: "9pm"`},
		{"08:00", "08:00", "start and end are both 08:00"},
	}
	for _, c := range cases {
		q := message.QuietHours{Start: c.start, End: c.end}
		err := q.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s–%s: %v", c.start, c.end, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s–%s: error %v, want %q", c.start, c.end, err, c.want)
		}
	}
	// A message carries them validated.
	m := message.Message{ID: "x", Account: "a", To: "+255712345678", Content: message.Content{Text: &message.Text{Body: "hi"}},
		QuietHours: &message.QuietHours{Start: "21:00", End: "21:00"}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "quiet_hours") {
		t.Errorf("message with an empty window: %v", err)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone database for %s: %v", name, err)
	}
	return l
}

func TestQuietHoursWait(t *testing.T) {
	t.Parallel()
	night := message.QuietHours{Start: "21:00", End: "08:00"}
	lunch := message.QuietHours{Start: "12:00", End: "14:00"}
	dar, riyadh := mustZone(t, "Africa/Dar_es_Salaam"), mustZone(t, "Asia/Riyadh")
	london := mustZone(t, "Europe/London")
	anchorage, adak := mustZone(t, "America/Anchorage"), mustZone(t, "America/Adak")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name  string
		q     message.QuietHours
		now   string
		zones []*time.Location
		want  time.Duration
	}{
		{"Dar 22:30: until 08:00", night, "2026-11-23T19:30:00Z", []*time.Location{dar}, 9*time.Hour + 30*time.Minute},
		{"Dar 07:59:30: 30 s", night, "2026-11-24T04:59:30Z", []*time.Location{dar}, 30 * time.Second},
		{"Dar 08:00: goes", night, "2026-11-24T05:00:00Z", []*time.Location{dar}, 0},
		{"Dar 20:59: goes", night, "2026-11-23T17:59:00Z", []*time.Location{dar}, 0},
		{"Dar 21:00: quiet", night, "2026-11-23T18:00:00Z", []*time.Location{dar}, 11 * time.Hour},
		{"Riyadh 02:00", night, "2026-11-23T23:00:00Z", []*time.Location{riyadh}, 6 * time.Hour},
		{"lunch, not crossing midnight", lunch, "2026-11-23T09:15:00Z", []*time.Location{riyadh}, time.Hour + 45*time.Minute},
		{"lunch over", lunch, "2026-11-23T11:00:00Z", []*time.Location{riyadh}, 0},
		// Europe/London: 20:30 UTC is 21:30 in summer (BST), 20:30 in winter.
		{"London summer: quiet", night, "2026-07-01T20:30:00Z", []*time.Location{london}, 10*time.Hour + 30*time.Minute},
		{"London winter: goes", night, "2026-01-14T20:30:00Z", []*time.Location{london}, 0},
		// The night the clocks go back (25 Oct 2026, 02:00 BST → 01:00 GMT):
		// 22:00 BST on the 24th to 08:00 GMT on the 25th is 11 hours.
		{"London DST night", night, "2026-10-24T21:00:00Z", []*time.Location{london}, 11 * time.Hour},
		// +1 907: Anchorage and Adak, an hour apart. 17:30 UTC is 08:30 in
		// Anchorage but 07:30 in Adak: wait for Adak's 08:00.
		{"two zones: the later morning", night, "2026-11-23T17:30:00Z", []*time.Location{anchorage, adak}, 30 * time.Minute},
		// 06:30 UTC is 21:30 in Anchorage (quiet) and 20:30 in Adak (not yet):
		// both are outside the window only from Adak's 08:00.
		{"two zones: Anchorage's evening to Adak's morning", night, "2026-11-24T06:30:00Z", []*time.Location{anchorage, adak}, 11*time.Hour + 30*time.Minute},
		{"two zones: both allowed", night, "2026-11-23T19:30:00Z", []*time.Location{anchorage, adak}, 0},
		{"no zone: UTC", night, "2026-11-23T22:00:00Z", nil, 10 * time.Hour},
	}
	for _, c := range cases {
		if got := c.q.Wait(at(c.now), c.zones); got != c.want {
			t.Errorf("%s: Wait = %v, want %v", c.name, got, c.want)
		}
	}
}

// Wait agrees with a scan of the next two days: the first time at which
// the most zones are outside the window (all of them when some time allows
// it), for random windows, zone sets and times. Windows, times and zone
// offsets (Kathmandu's +5:45 included) fall on quarter hours, so a scan by
// quarter hours sees every change.
func TestQuietHoursWaitMatchesAScan(t *testing.T) {
	t.Parallel()
	names := []string{"Africa/Dar_es_Salaam", "Asia/Riyadh", "Europe/London", "America/New_York", "America/Los_Angeles",
		"Pacific/Honolulu", "Pacific/Guam", "Asia/Kathmandu", "Australia/Adelaide", "America/St_Johns", "America/Adak", "UTC"}
	var zones []*time.Location
	for _, n := range names {
		zones = append(zones, mustZone(t, n))
	}
	rng := rand.New(rand.NewPCG(6, 6))
	hhmm := func() string {
		return time.Date(0, 1, 1, rng.IntN(24), rng.IntN(4)*15, 0, 0, time.UTC).Format("15:04")
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 400 {
		q := message.QuietHours{Start: hhmm(), End: hhmm()}
		if q.Validate() != nil {
			continue
		}
		var zs []*time.Location
		for range 1 + rng.IntN(4) {
			zs = append(zs, zones[rng.IntN(len(zones))])
		}
		now := base.Add(time.Duration(rng.IntN(365*24*4)) * 15 * time.Minute)
		got := q.Wait(now, zs)
		bestN, best := -1, time.Duration(0)
		for m := range 48 * 4 {
			d := time.Duration(m) * 15 * time.Minute
			n := 0
			for _, z := range zs {
				if !q.Quiet(now.Add(d).In(z)) {
					n++
				}
			}
			if n > bestN {
				bestN, best = n, d
			}
		}
		if got != best {
			t.Fatalf("case %d: %s–%s at %s in %v: Wait = %v, scan says %v", i, q.Start, q.End, now.Format(time.RFC3339), zs, got, best)
		}
	}
}
