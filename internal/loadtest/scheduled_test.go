package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// The lateness benchmark sends every message once, none before its
// send_at, and reports the floor beside the pipeline.
func TestScheduledLoadtestReports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two short rounds of scheduled sends")
	}
	t.Parallel()
	// At leaves room for a loaded machine (race detector, parallel packages)
	// to schedule a round before its first send_at.
	var out bytes.Buffer
	err := Scheduled(context.Background(), ScheduledOptions{N: 30, Rounds: 2, At: 3 * time.Second, Spread: 2 * time.Second,
		DelayedCheck: 100 * time.Millisecond, Concurrency: 10, Timeout: time.Minute, JSON: true}, &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var rep scheduledReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Pipeline.N != 30 || rep.Bare.N != 30 || rep.SendTimes != 2 || rep.Lost != 0 || rep.Duplicates != 0 || rep.EarlySends != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.Pipeline.MinMS < 0 || rep.Pipeline.MaxMS < rep.Pipeline.P99MS || rep.Bare.MinMS < 0 {
		t.Errorf("latenesses %+v, %+v", rep.Pipeline, rep.Bare)
	}
}
