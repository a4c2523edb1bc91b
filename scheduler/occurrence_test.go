package scheduler_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/message"
	"github.com/wabulk/wabulk/scheduler"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone database for %s: %v", name, err)
	}
	return l
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	dar := zone(t, "Africa/Dar_es_Salaam")
	for _, ok := range []string{"0 9 * * MON-FRI", "*/15 * * * *", "@daily", "@hourly", "30 8 1 * *", " 0 9 * * 1-5 "} {
		s, err := scheduler.ParseSchedule(ok, dar)
		if err != nil {
			t.Errorf("%q: %v", ok, err)
			continue
		}
		if want := "CRON_TZ=Africa/Dar_es_Salaam " + strings.TrimSpace(ok); s.Cronspec() != want {
			t.Errorf("Cronspec = %q, want %q", s.Cronspec(), want)
		}
	}
	for spec, want := range map[string]string{
		"":                                "cron is empty",
		"@every 1h":                       "@every is not supported",
		"CRON_TZ=UTC 0 9 * * *":           "give the time zone as the job's timezone",
		"0 9 * *":                         "want five fields",
		"61 9 * * *":                      "above maximum",
		"0 9 * * MON-FRI extra":           "want five fields",
		"0 0 30 2 *":                      "never fires",
		"* * * * * *":                     "want five fields",
		"0 9 * * SOMEDAY":                 "want five fields",
		"TZ=Africa/Dar_es_Salaam 0 9 * *": "give the time zone",
	} {
		if _, err := scheduler.ParseSchedule(spec, dar); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", spec, err, want)
		}
	}
}

func TestLatestIsTheLastFireTimeAtOrBefore(t *testing.T) {
	t.Parallel()
	dar := zone(t, "Africa/Dar_es_Salaam")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		spec string
		loc  *time.Location
		t    string
		want string
	}{
		// Mon 23 Nov 2026, 09:00 in Dar es Salaam is 06:00 UTC.
		{"0 9 * * MON-FRI", dar, "2026-11-23T06:00:00Z", "2026-11-23T06:00:00Z"},
		{"0 9 * * MON-FRI", dar, "2026-11-23T06:00:00.5Z", "2026-11-23T06:00:00Z"},
		{"0 9 * * MON-FRI", dar, "2026-11-23T05:59:59Z", "2026-11-20T06:00:00Z"}, // the Friday before
		{"0 9 * * MON-FRI", dar, "2026-11-22T12:00:00Z", "2026-11-20T06:00:00Z"}, // Sunday
		{"* * * * *", time.UTC, "2026-11-23T12:34:56Z", "2026-11-23T12:34:00Z"},
		{"0 0 29 2 *", time.UTC, "2027-03-01T00:00:00Z", "2024-02-29T00:00:00Z"}, // leap days only
		{"@hourly", dar, "2026-11-23T06:59:59Z", "2026-11-23T06:00:00Z"},
	}
	for _, c := range cases {
		s, err := scheduler.ParseSchedule(c.spec, c.loc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := s.Latest(at(c.t))
		if !ok || !got.Equal(at(c.want)) {
			t.Errorf("%s in %s, at %s: Latest = %s (%v), want %s", c.spec, c.loc, c.t, got.UTC().Format(time.RFC3339), ok, c.want)
		}
	}

	// For any time: Latest is a fire time, at or before it, and the next
	// fire time comes after it — across DST changes too.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, spec := range []string{"0 9 * * MON-FRI", "30 1 * * *", "*/7 * * * *", "0 2 * * SUN", "15 3 1 * *"} {
		for _, tz := range []string{"Europe/London", "America/New_York", "Australia/Adelaide", "Africa/Dar_es_Salaam"} {
			s, err := scheduler.ParseSchedule(spec, zone(t, tz))
			if err != nil {
				t.Fatal(err)
			}
			for range 200 {
				now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
				f, ok := s.Latest(now)
				if !ok || f.After(now) || !s.IsFire(f) || !s.Next(f).After(now) {
					t.Fatalf("%s in %s at %s: Latest = %s, ok %v, next %s", spec, tz, now, f, ok, s.Next(f))
				}
			}
		}
	}
}

// An occurrence's id is the job and the fire time in UTC; its messages'
// ids add the recipient.
func TestOccurrenceIDs(t *testing.T) {
	t.Parallel()
	dar := zone(t, "Africa/Dar_es_Salaam")
	fire := time.Date(2026, 11, 23, 9, 0, 0, 0, dar)
	id := scheduler.OccurrenceID("dental-reminder", fire)
	if id != "dental-reminder.20261123T060000Z" {
		t.Errorf("OccurrenceID = %q", id)
	}
	if got := message.CampaignMessageID(id, "+255712345678"); got != "dental-reminder.20261123T060000Z:+255712345678" {
		t.Errorf("message id = %q", got)
	}
	for _, bad := range []string{"", "has space", "dots.not.allowed", strings.Repeat("x", 48)} {
		if scheduler.CheckJobID(bad) == nil {
			t.Errorf("job id %q accepted", bad)
		}
	}
	if err := scheduler.CheckJobID(strings.Repeat("x", 47)); err != nil {
		t.Errorf("47 characters: %v", err)
	}
}
