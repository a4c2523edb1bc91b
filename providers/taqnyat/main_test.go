package taqnyat_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// stand-in provider server a test starts is closed, and the client's
// connections to it with it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
