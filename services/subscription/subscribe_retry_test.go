package subscription_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// storeDown fails, while fails > 0, each write of a key with prefix, as a
// state store that went away (killed PostgreSQL, a dead sidecar) does.
type storeDown struct {
	platform.State
	prefix string
	fails  atomic.Int32
}

func (s *storeDown) Transact(ctx context.Context, ops []platform.Op) error {
	for _, op := range ops {
		if strings.HasPrefix(op.Key, s.prefix) && s.fails.Add(-1) >= 0 {
			return platform.Errorf(platform.KindUnavailable, "state store unavailable")
		}
	}
	return s.State.Transact(ctx, ops)
}

// TestSubscribeRetriedAfterTheChargeChargesOnce: a Subscribe fails after
// its first charge went through (the gateway's answer lost, or the
// subscription not stored); the viewer subscribes again, with the card
// typed again (a new gateway token), and the gateway charges the card
// once: the retry sends the same charge under the same key.
func TestSubscribeRetriedAfterTheChargeChargesOnce(t *testing.T) {
	tests := []struct {
		name  string
		fault func(flaky *flakyPayments, store *storeDown)
	}{
		{"answer lost", func(flaky *flakyPayments, _ *storeDown) { flaky.crashes.Store(1) }},
		{"subscription not stored", func(_ *flakyPayments, store *storeDown) { store.fails.Store(1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDirect(t, subscription.Config{})
			flaky := &flakyPayments{Payments: f.gw}
			store := &storeDown{State: f.state, prefix: "invoice/"}
			svc, err := subscription.New(ctx, subscription.Config{}, store, f.rec, flaky, f.clock.Now, nil)
			require.NoError(t, err)
			plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
			subscribe := func() (subscription.SubscribeResponse, error) {
				return svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardOK)})
			}

			tt.fault(flaky, store)
			_, err = subscribe()
			requireKind(t, err, platform.KindUnavailable, "")
			charges := f.gw.chargesWithPrefix("subscribe:")
			require.Len(t, charges, 1, "the first call charged")

			f.clock.Advance(1)
			resp, err := subscribe()
			require.NoError(t, err)
			assert.Equal(t, subscription.Active, resp.Subscription.Status)
			assert.Len(t, f.gw.chargesWithPrefix("subscribe:"), 1, "charged once")
			assert.Equal(t, 2, f.gw.callsOf(charges[0].IdempotencyKey), "the same key was sent again")
			assert.Empty(t, f.gw.reusedKeys(), "with the same body")
			assert.Equal(t, charges[0].Token, resp.Subscription.PaymentMethod.Token, "the card charged is the one kept")
			inv := f.invoices(t, viewer)
			require.Len(t, inv, 1)
			assert.Equal(t, subscription.InvoicePaid, inv[0].Status)
			assert.Equal(t, charges[0].IdempotencyKey, inv[0].ID)

			_, err = subscribe()
			requireKind(t, err, platform.KindConflict, "already have a subscription")
			assert.Len(t, f.gw.chargesWithPrefix("subscribe:"), 1)
		})
	}
}

// TestSubscribeRetriedForAnotherPlan: after a failed first charge the
// viewer picks another plan; that is another purchase, under a new key.
func TestSubscribeRetriedForAnotherPlan(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	flaky := &flakyPayments{Payments: f.gw}
	svc := f.newService(t, subscription.Config{}, flaky)
	monthly := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	other := f.mustPlan(t, planInput("Other", 900, 0, 1))

	flaky.crashes.Store(1)
	_, err := svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: monthly.ID, Card: testCard(cardOK)})
	requireKind(t, err, platform.KindUnavailable, "")
	resp, err := svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: other.ID, Card: testCard(cardOK)})
	require.NoError(t, err)
	assert.Equal(t, other.ID, resp.Subscription.PlanID)
	charges := f.gw.chargesWithPrefix("subscribe:")
	require.Len(t, charges, 2)
	assert.NotEqual(t, charges[0].IdempotencyKey, charges[1].IdempotencyKey)
	assert.Equal(t, int64(900), charges[1].AmountMinor)
	assert.Empty(t, f.gw.reusedKeys())
}
