package subscription_test

import "testing"

// runSuite runs every behavioural test on the fixtures newFixture makes:
// the same assertions hold for the service in process and over the wire,
// so the wire format (results, error kinds, codes and messages) cannot
// drift.
func runSuite(t *testing.T, newFixture factory) {
	groups := []struct {
		name string
		run  func(t *testing.T, newFixture factory)
	}{
		{"Plans", testPlans},
		{"PlanValidation", testPlanValidation},
		{"Subscribe", testSubscribe},
		{"TrialToPastDueAndBack", testTrialToPastDueAndBack},
		{"RetriesExhausted", testRetriesExhausted},
		{"CancelAndResume", testCancelAndResume},
		{"ChangePlan", testChangePlan},
		{"ListSubscriptions", testListSubscriptions},
		{"Invoices", testInvoicePaging},
		{"Streams", testStreams},
		{"History", testHistory},
		{"ProgressPastTheEnd", testProgressPastTheEnd},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newFixture) })
	}
}

func TestServiceDirect(t *testing.T) { runSuite(t, newDirect) }

func TestServiceOverWire(t *testing.T) { runSuite(t, newWire) }
