package httpapi_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// API server a test starts is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
