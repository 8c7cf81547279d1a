// Package platformtest is the conformance suite every adapter of the
// platform ports passes: TestState, TestPubSub, TestInvoker and TestBlob.
//
// The suite uses only the port interfaces, and every key, topic and blob it
// touches is unique to the run, so it can run against a shared external
// store (a Dapr sidecar with Redis, say) as well as an embedded one:
//
//	func TestConformance(t *testing.T) {
//		platformtest.TestState(t, func(t *testing.T) platform.State { ... })
//	}
//
// It also offers Recorder, a recording platform.Publisher for the tests of
// the services themselves.
package platformtest

import "github.com/google/uuid"

// unique returns a name no other run uses, such as "pt-state-1a2b3c4d".
func unique(kind string) string {
	return "pt-" + kind + "-" + uuid.NewString()[:8]
}
