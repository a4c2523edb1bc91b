package providers_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// server and listener a transport test starts is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
