package console_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/console"
	"github.com/wabulk/wabulk/store"
)

func TestChart(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, narrow := range []bool{false, true} {
		if svg := string(console.Chart(nil, narrow)); !strings.Contains(svg, "No outcome yet") {
			t.Errorf("no series: %s", svg)
		}
		// Two buckets 30 s apart: the empty ones between count as zero.
		svg := console.Chart([]store.SeriesPoint{{At: t0, Outcomes: 100, Failures: 10}, {At: t0.Add(30 * time.Second), Outcomes: 50}}, narrow)
		if err := xml.Unmarshal(svg, new(struct{})); err != nil {
			t.Fatalf("not well-formed SVG: %v\n%s", err, svg)
		}
		s := string(svg)
		for _, want := range []string{"09:00:00", "09:00:40", "messages/s", ">10<"} { // 90 ok in 10 s: the axis tops at 10/s
			if !strings.Contains(s, want) {
				t.Errorf("narrow %v: chart lacks %q:\n%s", narrow, want, s)
			}
		}
		if n := strings.Count(s, "<polyline"); n != 2 {
			t.Errorf("narrow %v: %d lines, want sent and failures", narrow, n)
		}
	}
}
