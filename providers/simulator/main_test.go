package simulator

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// closed simulator leaves no server, receipt or callback goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
