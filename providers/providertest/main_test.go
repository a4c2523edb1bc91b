package providertest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// Fake a test starts is closed when the test ends.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
