package loadtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/providers/simulator"
)

// learnPhases judges each limit by 5-s windows: when every window from
// some point on holds ≥ 95 % of the limit, and when the 429s from there
// on also stay ≤ 2 %.
func TestLearnPhases(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var ws []simulator.Window
	second := func(accepted, limited int64) {
		ws = append(ws, simulator.Window{Start: start.Add(time.Duration(len(ws)) * time.Second), Accepted: accepted, RateLimited: limited})
	}
	// Limit 10/s: 5 s overshooting (10 accepted, 10 refused a second), 5 s
	// at 9/s, then 10/s with one 429 every 5 s. Then 18/s, climbed to
	// over 10 s.
	for range 5 {
		second(10, 10)
	}
	for range 5 {
		second(9, 0)
	}
	for i := range 40 {
		second(10, int64(i%5/4))
	}
	for range 10 {
		second(14, 0)
	}
	for range 35 {
		second(18, 0)
	}
	got := learnPhases(ws, 20, 10, 50*time.Second, 18)
	if len(got) != 2 {
		t.Fatalf("%d phases, want 2", len(got))
	}
	sec := func(v float64) *float64 { return &v }
	first := got[0]
	if diff := cmp.Diff(sec(10), first.ReachedSec); diff != "" {
		t.Errorf("first limit reached (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sec(10), first.ConvergedSec); diff != "" {
		t.Errorf("first limit converged (-want +got):\n%s", diff)
	}
	want := &learnSpan{Rate: 10, RatioOfTarget: 1, Throttled: 8, ThrottledRatio: 0.0196}
	if diff := cmp.Diff(want, first.AfterConverged); diff != "" {
		t.Errorf("after converging (-want +got):\n%s", diff)
	}
	second18 := got[1]
	if second18.FromSec != 50 || second18.Target != 18 || len(second18.Windows) != 9 {
		t.Errorf("second phase: from %v, target %v, %d windows; want 50, 18, 9", second18.FromSec, second18.Target, len(second18.Windows))
	}
	if diff := cmp.Diff(sec(10), second18.ConvergedSec); diff != "" {
		t.Errorf("second limit converged (-want +got):\n%s", diff)
	}
	// A fleet that never holds 95 % never converges.
	low := learnPhases(ws[:20], 20, 12, 0, 0)[0]
	if low.ReachedSec != nil || low.ConvergedSec != nil || low.AfterConverged != nil {
		t.Errorf("at 10/s of 12: %+v, want never reached", low)
	}
}
