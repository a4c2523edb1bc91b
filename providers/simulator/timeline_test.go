package simulator

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabulk/wabulk/internal/sharedtest"
)

// PeakPerSecond is a sliding one-second window: a burst straddling a
// second boundary counts whole. Gaps are the longest pauses between
// consecutive accepts.
func TestPeakPerSecondSlides(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := sharedtest.NewClock(t0)
	set := func(d time.Duration) { clock.Set(t0.Add(d)) }
	s, base := newSim(t, Config{APIKey: testKey, Now: clock.Now})
	n := 0
	at := func(d time.Duration, count int) {
		set(d)
		for range count {
			if r := send(t, base, textTo("2557123456"+string(rune('0'+n/10%10))+string(rune('0'+n%10)))); r.status != 200 {
				t.Fatalf("send: %d %s", r.status, r.raw)
			}
			n++
		}
	}
	at(0, 3)
	at(500*time.Millisecond, 2)
	at(1200*time.Millisecond, 4)
	st := s.Stats()
	// [0.5 s, 1.5 s) holds 2 + 4.
	if st.PeakPerSecond != 6 || !st.FirstAccept.Equal(t0) || !st.LastAccept.Equal(t0.Add(1200*time.Millisecond)) {
		t.Fatalf("peak %d, first %v, last %v; want 6, t0, t0+1.2s", st.PeakPerSecond, st.FirstAccept, st.LastAccept)
	}
	if r := st.AcceptRate(); r < 6.6 || r > 6.7 {
		t.Errorf("AcceptRate = %v, want 8 accepts over 1.2 s ≈ 6.67", r)
	}
	// The stalls, longest first: 0.5 s → 1.2 s, then 0 → 0.5 s (accepts
	// at the same instant leave no gap).
	wantGaps := []Gap{{From: t0.Add(500 * time.Millisecond), To: t0.Add(1200 * time.Millisecond)}, {From: t0, To: t0.Add(500 * time.Millisecond)}}
	if diff := cmp.Diff(wantGaps, st.Gaps); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	s.Reset()
	if st := s.Stats(); st.PeakPerSecond != 0 || !st.FirstAccept.IsZero() || st.Gaps != nil {
		t.Errorf("after Reset: %+v", st)
	}
}

// The timeline keeps the MaxGaps longest gaps, longest first, whatever
// order they come in.
func TestGapsKeepsTheLongest(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var tl timeline
	at := t0
	tl.add(at)
	for _, ms := range []int{30, 700, 10, 50, 900, 20, 700, 60, 40} {
		at = at.Add(time.Duration(ms) * time.Millisecond)
		tl.add(at)
	}
	_, _, _, gaps := tl.peak()
	var got []time.Duration
	for _, g := range gaps {
		got = append(got, g.Len())
	}
	want := []time.Duration{900 * time.Millisecond, 700 * time.Millisecond, 700 * time.Millisecond, 60 * time.Millisecond, 50 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gap lengths (-want +got):\n%s", diff)
	}
	// The longest one ends at the accept that ended it.
	if wantTo := t0.Add(1690 * time.Millisecond); !gaps[0].To.Equal(wantTo) {
		t.Errorf("the longest gap ends %v, want %v", gaps[0].To, wantTo)
	}
}

// Outage fails every send with the format's transient error for a while.
func TestOutage(t *testing.T) {
	t.Parallel()
	clock := sharedtest.NewClock(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	s, base := newSim(t, Config{APIKey: testKey, Now: clock.Now})
	s.Outage(30 * time.Second)
	if r := send(t, base, textTo("255712345678")); r.status != 503 {
		t.Fatalf("during the outage: %d %s, want 503", r.status, r.raw)
	}
	clock.Advance(31 * time.Second)
	if r := send(t, base, textTo("255712345678")); r.status != 200 {
		t.Fatalf("after the outage: %d %s, want 200", r.status, r.raw)
	}
}
