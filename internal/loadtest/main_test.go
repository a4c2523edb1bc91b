package loadtest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// run stops its workers, servers, simulators and embedded Redis before it
// returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
