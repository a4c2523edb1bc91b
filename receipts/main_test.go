package receipts_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// webhook server a test starts is closed, every poller's Run returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
