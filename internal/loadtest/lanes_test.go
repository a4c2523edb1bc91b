package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// The lanes benchmark sends every reminder and campaign message once and
// reports both phases.
func TestLanesLoadReportsBothPhases(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a small campaign for a few seconds")
	}
	t.Parallel()
	var out bytes.Buffer
	err := Lanes(context.Background(), LanesOptions{N: 400, Rate: 200, Reminders: 20, Concurrency: 10,
		Timeout: time.Minute, JSON: true, FloorFor: time.Second}, &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var rep lanesReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// How many reminders a phase injects depends on the machine's load; every
	// one injected must be sent, and each phase must have some.
	if rep.Floor.Injected < 3 || rep.During.Injected < 3 || rep.Floor.Sent != rep.Floor.Injected ||
		rep.During.Sent != rep.During.Injected || rep.Lost != 0 || rep.Duplicates != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.During.P99MS <= 0 || rep.During.MaxMS < rep.During.P99MS {
		t.Errorf("latencies %+v", rep.During)
	}
}
