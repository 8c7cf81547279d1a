package subscription_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/dflix/dflix/services/subscription"
)

// lease is how long a Subscribe's claim lasts (subscribeLease).
const lease = 2 * time.Minute

// deadStore is a state that takes no more writes once its process died.
type deadStore struct {
	platform.State
	dead atomic.Bool
}

func (s *deadStore) Transact(ctx context.Context, ops []platform.Op) error {
	if s.dead.Load() {
		return platform.Errorf(platform.KindUnavailable, "process died")
	}
	return s.State.Transact(ctx, ops)
}

// dyingGateway kills its process's store right after the gateway answered
// a charge: the charge went through, and nothing after it is written (not
// even the claim's lapse).
type dyingGateway struct {
	subscription.Payments
	store *deadStore
}

func (g *dyingGateway) Charge(ctx context.Context, req subscription.ChargeRequest) (subscription.ChargeResult, error) {
	res, err := g.Payments.Charge(ctx, req)
	g.store.dead.Store(true)
	return res, err
}

// crashAfterFirstCharge subscribes viewer to plan with card on a process
// that dies right after the gateway answered, and returns the key charged.
func crashAfterFirstCharge(t *testing.T, f *fixture, plan subscription.Plan, card string) string {
	t.Helper()
	store := &deadStore{State: f.state}
	svc, err := subscription.New(ctx, subscription.Config{}, store, f.rec, &dyingGateway{Payments: f.gw, store: store}, f.clock.Now, nil)
	require.NoError(t, err)
	_, err = svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(card)})
	require.Error(t, err)
	charges := f.gw.chargesWithPrefix("subscribe:")
	require.Len(t, charges, 1, "the gateway got the charge")
	return charges[0].IdempotencyKey
}

// TestSweepRecoversFirstCharge: a Subscribe dies after its first charge;
// once its claim's lease lapses the sweep sends the same charge under the
// same key and finishes what the Subscribe would have.
func TestSweepRecoversFirstCharge(t *testing.T) {
	tests := []struct {
		name string
		card string
		// meanwhile runs after the crash, once the lease lapsed.
		meanwhile func(t *testing.T, f *fixture)
		down      int32 // sweeps that find the gateway unreachable
		want      subscription.RenewResponse
		check     func(t *testing.T, f *fixture, key string, logs string)
	}{
		{
			name: "approved: subscribed", card: cardOK,
			want: subscription.RenewResponse{Recovered: 1},
			check: func(t *testing.T, f *fixture, key, _ string) {
				sub := f.sub(t, viewer)
				assert.Equal(t, subscription.Active, sub.Status)
				requireTime(t, t0, sub.CurrentPeriodStart, "the period paid for")
				inv := f.invoices(t, viewer)
				require.Len(t, inv, 1)
				assert.Equal(t, key, inv[0].ID)
				assert.Equal(t, subscription.InvoicePaid, inv[0].Status)
				assert.Equal(t, "ch_0001", inv[0].ChargeID, "the charge the crashed Subscribe made")
				assert.Equal(t, []string{subscription.EventActivated}, f.subEvents(t, viewer.UserID))
			},
		},
		{
			name: "gateway unreachable: kept for the next sweep", card: cardOK, down: 1,
			want: subscription.RenewResponse{Recovered: 1},
			check: func(t *testing.T, f *fixture, key, _ string) {
				assert.Equal(t, subscription.Active, f.sub(t, viewer).Status)
				assert.Len(t, f.invoices(t, viewer), 1)
				assert.Equal(t, []string{subscription.EventActivated}, f.subEvents(t, viewer.UserID))
			},
		},
		{
			name: "price changed meanwhile: the same charge is sent", card: cardOK,
			meanwhile: func(t *testing.T, f *fixture) {
				plans, err := f.api.ListPlans(ctx, subscription.ListPlansRequest{Caller: admin})
				require.NoError(t, err)
				require.Len(t, plans.Plans, 1)
				_, err = f.api.UpdatePlan(ctx, subscription.UpdatePlanRequest{Caller: admin, ID: plans.Plans[0].ID, Input: planInput("Monthly+", 900, 0, 1)})
				require.NoError(t, err)
			},
			want: subscription.RenewResponse{Recovered: 1},
			check: func(t *testing.T, f *fixture, key, _ string) {
				inv := f.invoices(t, viewer)
				require.Len(t, inv, 1)
				assert.Equal(t, int64(700), inv[0].AmountMinor, "the price charged")
			},
		},
		{
			name: "declined: released, nothing subscribed", card: cardDeclined,
			check: func(t *testing.T, f *fixture, key, _ string) {
				resp, err := f.api.GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: viewer})
				require.NoError(t, err)
				assert.False(t, resp.Found)
				inv := f.invoices(t, viewer)
				require.Len(t, inv, 1)
				assert.Equal(t, key, inv[0].ID)
				assert.Equal(t, subscription.InvoiceFailed, inv[0].Status)
				assert.Empty(t, f.subEvents(t, viewer.UserID))
				plan := f.mustPlan(t, planInput("Other", 700, 0, 1))
				f.mustSubscribe(t, viewer, plan, cardOK)
				assert.Len(t, f.gw.chargesWithPrefix("subscribe:"), 2, "a new Subscribe is a new charge")
			},
		},
		{
			name: "viewer subscribed to another plan meanwhile: nothing overwritten", card: cardOK,
			meanwhile: func(t *testing.T, f *fixture) {
				trial := f.mustPlan(t, planInput("Trial", 900, 7, 1))
				f.mustSubscribe(t, viewer, trial, cardOK)
			},
			check: func(t *testing.T, f *fixture, key, logs string) {
				sub := f.sub(t, viewer)
				assert.Equal(t, subscription.Trialing, sub.Status)
				assert.Empty(t, f.invoices(t, viewer), "the trial charged nothing and the first charge paid for nothing")
				assert.Equal(t, []string{subscription.EventTrialStarted}, f.subEvents(t, viewer.UserID))
				assert.Contains(t, logs, "level=ERROR")
				assert.Contains(t, logs, "refund it")
				assert.Contains(t, logs, key)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDirect(t, subscription.Config{})
			logs := &platformtest.Buffer{}
			flaky := &flakyPayments{Payments: f.gw}
			sweeper, err := subscription.New(ctx, subscription.Config{}, f.state, f.rec, flaky, f.clock.Now, slog.New(slog.NewTextHandler(logs, nil)))
			require.NoError(t, err)
			sweep := func(at time.Time) subscription.RenewResponse {
				t.Helper()
				f.clock.Set(at)
				got, err := sweeper.Renew(ctx, subscription.RenewRequest{})
				require.NoError(t, err)
				return got
			}
			plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
			key := crashAfterFirstCharge(t, f, plan, tt.card)

			assert.Equal(t, subscription.RenewResponse{}, sweep(t0.Add(lease-time.Second)), "the claim is not touched before its lease lapses")
			assert.Equal(t, 1, f.gw.callsOf(key))
			if tt.meanwhile != nil {
				f.clock.Set(t0.Add(lease))
				tt.meanwhile(t, f)
			}
			flaky.down.Store(tt.down)
			for range tt.down {
				assert.Equal(t, subscription.RenewResponse{Deferred: 1}, sweep(t0.Add(lease)), "outcome unknown")
				assert.Equal(t, 1, f.gw.callsOf(key))
			}
			assert.Equal(t, tt.want, sweep(t0.Add(lease)))
			assert.Equal(t, 2, f.gw.callsOf(key), "the same key was sent again")
			assert.Empty(t, f.gw.reusedKeys(), "with the same body")
			assert.Len(t, f.gw.chargesWithPrefix("subscribe:"), 1, "charged once")

			assert.Equal(t, subscription.RenewResponse{}, sweep(t0.Add(3*lease)), "the claim is released, not left to lapse")
			assert.Equal(t, 2, f.gw.callsOf(key))
			tt.check(t, f, key, logs.String())
		})
	}
}

// TestSweepRacesSubscribe: once a crashed Subscribe's claim lapsed, the
// sweep (on one replica or two) and the viewer's new Subscribe to the same
// plan go for the claim at once: exactly one of them takes it, and the
// card is charged once, for one subscription.
func TestSweepRacesSubscribe(t *testing.T) {
	tests := []struct {
		name   string
		sweeps int
	}{
		{"one sweep", 1},
		{"two replicas sweeping", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 20 {
				f := newDirect(t, subscription.Config{})
				plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
				key := crashAfterFirstCharge(t, f, plan, cardOK)
				f.clock.Set(t0.Add(lease))

				var (
					recovered  atomic.Int32
					subscribed atomic.Int32
					wg         sync.WaitGroup
				)
				for range tt.sweeps {
					replica := f.newService(t, subscription.Config{}, f.gw)
					wg.Go(func() {
						got, err := replica.Renew(ctx, subscription.RenewRequest{})
						assert.NoError(t, err)
						assert.Zero(t, got.Deferred)
						recovered.Add(int32(got.Recovered))
					})
				}
				wg.Go(func() {
					_, err := f.svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardOK)})
					if err == nil {
						subscribed.Add(1)
						return
					}
					assert.Equal(t, platform.KindConflict, platform.KindOf(err), "round %d: %v", i, err)
				})
				wg.Wait()

				assert.Equal(t, int32(1), recovered.Load()+subscribed.Load(), "round %d: one of them subscribed", i)
				assert.Equal(t, []string{key}, keysOf(f.gw.chargesWithPrefix("subscribe:")), "round %d: charged once", i)
				assert.Equal(t, 2, f.gw.callsOf(key), "round %d: only the one that took the claim sent it again", i)
				assert.Empty(t, f.gw.reusedKeys())
				sub := f.sub(t, viewer)
				assert.Equal(t, subscription.Active, sub.Status)
				assert.Equal(t, int64(1), sub.Version, "round %d: stored once", i)
				assert.Len(t, f.invoices(t, viewer), 1, "round %d", i)
				assert.Equal(t, []string{subscription.EventActivated}, f.subEvents(t, viewer.UserID), "round %d", i)
				assert.Equal(t, subscription.RenewResponse{}, f.renew(t, t0.Add(lease+time.Second)), "round %d: nothing left", i)
			}
		})
	}
}
