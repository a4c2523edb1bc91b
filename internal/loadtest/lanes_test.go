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
	if rep.Floor.Sent < 10 || rep.During.Sent < 10 || rep.Lost != 0 || rep.Duplicates != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep.During.P99MS <= 0 || rep.During.MaxMS < rep.During.P99MS {
		t.Errorf("latencies %+v", rep.During)
	}
}
