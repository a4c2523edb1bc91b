package loadtest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wabulk/wabulk/providers/simulator"
)

// A failover that comes due runs its command once and reports its output;
// the stall is the longest gap in sending that began while it ran.
func TestFailoverRunsAndFindsItsStall(t *testing.T) {
	t.Parallel()
	start := time.Now()
	f := startFailover(t.Context(), "echo switched; echo to-stderr >&2", 0, io.Discard)
	<-f.done
	f.finish()
	at := f.started
	// Gaps come longest first: one before the command (not its stall),
	// then one that began 0.5 s into it.
	stats := simulator.Stats{Gaps: []simulator.Gap{
		{From: at.Add(-10 * time.Second), To: at.Add(-1 * time.Second)},
		{From: at.Add(f.took / 2), To: at.Add(f.took/2 + 3*time.Second)},
	}}
	r := f.report(start, stats)
	if !r.Ran || r.Error != "" || !strings.Contains(r.Output, "switched") || !strings.Contains(r.Output, "to-stderr") {
		t.Errorf("report %+v, want a run with both output lines", r)
	}
	if r.StallSec != 3 || r.ResumedSec < r.StallStartSec || r.StallNote != "" {
		t.Errorf("stall %v s from %v s to %v s (%q), want the 3 s gap that began during the command", r.StallSec, r.StallStartSec, r.ResumedSec, r.StallNote)
	}

	// No gap during the command: the report says so rather than a 0.
	r = f.report(start, simulator.Stats{Gaps: stats.Gaps[:1]})
	if r.StallSec != 0 || r.StallNote == "" {
		t.Errorf("stall %v s, note %q: want none, and a note", r.StallSec, r.StallNote)
	}
}

// A failover not yet due when the campaign drains never runs, and a
// failing command is reported with its error.
func TestFailoverNotDueOrFailing(t *testing.T) {
	t.Parallel()
	f := startFailover(t.Context(), "echo never", time.Hour, io.Discard)
	f.finish()
	if r := f.report(time.Now(), simulator.Stats{}); r.Ran || r.Output != "" {
		t.Errorf("report %+v, want a failover that did not run", r)
	}

	f = startFailover(t.Context(), "echo no master >&2; exit 3", 0, io.Discard)
	<-f.done
	f.finish()
	if r := f.report(time.Now(), simulator.Stats{}); !r.Ran || !strings.Contains(r.Error, "exit status 3") || !strings.Contains(r.Output, "no master") {
		t.Errorf("report %+v, want the command's failure and output", r)
	}
}
