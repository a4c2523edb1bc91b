package scheduler_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// scheduler, worker and poller a test starts is stopped.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
