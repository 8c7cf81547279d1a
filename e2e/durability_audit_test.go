package e2e

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuditFindsLossesAndDuplicates feeds the durability check states
// that lost an acknowledged write or applied one twice: it must say so,
// and pass the state that kept everything once.
func TestAuditFindsLossesAndDuplicates(t *testing.T) {
	acked := func() *account {
		return &account{email: "v@durable.test", registered: true,
			sub:   &membership{plan: "p1", nextPlan: "p2", changes: 1},
			watch: &watching{video: "v1", acked: 3, last: 30, inFlight: []float64{35}}}
	}
	const good = `{"mySubscription": {"status": "ACTIVE", "plan": {"id": "p1"}, "nextPlan": {"id": "p2"}},
		"invoices": {"edges": [{"node": {"status": "PAID"}}]},
		"watchHistory": {"edges": [{"node": {"video": {"id": "v1"}, "positionSeconds": 30}}]}}`
	tests := []struct {
		name              string
		state             string
		wantLost, wantDup int
	}{
		{"all there once", good, 0, 0},
		{"a later position in flight landed", `{"mySubscription": {"status": "ACTIVE", "plan": {"id": "p1"}, "nextPlan": {"id": "p2"}},
			"invoices": {"edges": [{"node": {"status": "PAID"}}]},
			"watchHistory": {"edges": [{"node": {"video": {"id": "v1"}, "positionSeconds": 35}}]}}`, 0, 0},
		{"subscription lost", `{"mySubscription": null, "invoices": {"edges": []},
			"watchHistory": {"edges": [{"node": {"video": {"id": "v1"}, "positionSeconds": 30}}]}}`, 1, 0},
		{"plan change lost, progress rolled back", `{"mySubscription": {"status": "ACTIVE", "plan": {"id": "p1"}, "nextPlan": null},
			"invoices": {"edges": [{"node": {"status": "PAID"}}]},
			"watchHistory": {"edges": [{"node": {"video": {"id": "v1"}, "positionSeconds": 20}}]}}`, 2, 0},
		{"charged twice, watched twice", `{"mySubscription": {"status": "ACTIVE", "plan": {"id": "p1"}, "nextPlan": {"id": "p2"}},
			"invoices": {"edges": [{"node": {"status": "PAID"}}, {"node": {"status": "PAID"}}]},
			"watchHistory": {"edges": [{"node": {"video": {"id": "v1"}, "positionSeconds": 30}}, {"node": {"video": {"id": "v1"}, "positionSeconds": 30}}]}}`, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st viewerState
			require.NoError(t, json.Unmarshal([]byte(tt.state), &st))
			a := &audit{found: map[string]int{}, dups: map[string]int{}}
			acc := acked()
			verifySubscription(a, acc, st)
			verifyProgress(a, acc, st)
			assert.Len(t, a.missing, tt.wantLost, "%v", a.missing)
			assert.Len(t, a.notes, tt.wantDup, "%v", a.notes)
			if tt.wantLost+tt.wantDup == 0 {
				assert.Equal(t, map[string]int{"subscribe": 1, "changePlan": 1, "cancelSubscription": 0, "recordProgress": 3}, a.found)
			}
		})
	}
}
