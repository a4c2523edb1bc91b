package worker_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// asynq server a test starts is shut down, every simulator closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
