package platformtest_test

import (
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// TestMemStateConformance keeps the fake honest, and exercises KeySet and
// RetryConflict through the shared suite.
func TestMemStateConformance(t *testing.T) {
	platformtest.TestState(t, func(*testing.T) platform.State { return platformtest.NewMemState() })
}
