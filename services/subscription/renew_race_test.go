package subscription_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// TestConcurrentSweeps runs the sweep from several goroutines over two
// replicas on one state: every due subscription is charged exactly once
// and ends in the same state as after a single sweep.
func TestConcurrentSweeps(t *testing.T) {
	for _, workers := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d sweeps", workers), func(t *testing.T) {
			f := newDirect(t, subscription.Config{})
			replicas := []*subscription.Service{f.svc, f.newService(t, subscription.Config{}, f.gw)}
			plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
			const n = 10
			for i := range n {
				card := cardOK
				if i%3 == 2 {
					card = cardNoFunds
				}
				sub := f.mustSubscribe(t, user(i), plan, cardOK)
				f.gw.set(sub.PaymentMethod.Token, cardBehaviour[card])
			}
			end := t0.AddDate(0, 1, 0)
			f.clock.Set(end)

			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				total subscription.RenewResponse
			)
			for w := range workers {
				wg.Go(func() {
					got, err := replicas[w%2].Renew(ctx, subscription.RenewRequest{})
					assert.NoError(t, err)
					mu.Lock()
					total = addTally(total, got)
					mu.Unlock()
				})
			}
			wg.Wait()

			assert.Equal(t, subscription.RenewResponse{Renewed: 7, Failed: 3}, total, "each outcome applied by one sweep")
			renewals := f.gw.chargesWithPrefix("renew:")
			assert.Len(t, renewals, n, "one charge per subscription")
			assert.Empty(t, f.gw.reusedKeys())
			for i := range n {
				u := user(i)
				k := key(u.UserID, end, 1)
				assert.Contains(t, f.gw.chargeKeys(), k)
				sub := f.sub(t, u)
				assert.Equal(t, int64(2), sub.Version, "%s written once by the sweeps", u.UserID)
				assert.Len(t, f.invoices(t, u), 2, "%s: the first charge and one renewal", u.UserID)
				want, wantEvent := subscription.Active, subscription.EventRenewed
				if i%3 == 2 {
					want, wantEvent = subscription.PastDue, subscription.EventPastDue
				}
				assert.Equal(t, want, sub.Status, u.UserID)
				assert.Equal(t, []string{subscription.EventActivated, wantEvent}, f.subEvents(t, u.UserID))
			}
			again := f.renew(t, end)
			assert.Equal(t, subscription.RenewResponse{}, again, "nothing left due")
		})
	}
}

// user returns the viewer number i.
func user(i int) platform.Caller {
	return platform.Caller{UserID: fmt.Sprintf("u-%02d", i), Role: platform.RoleViewer}
}

// addTally sums two sweep tallies.
func addTally(a, b subscription.RenewResponse) subscription.RenewResponse {
	return subscription.RenewResponse{
		Renewed: a.Renewed + b.Renewed, Activated: a.Activated + b.Activated,
		Failed: a.Failed + b.Failed, Expired: a.Expired + b.Expired, Deferred: a.Deferred + b.Deferred,
		Recovered: a.Recovered + b.Recovered,
	}
}

// TestCrashBetweenChargeAndWrite loses the gateway's answer after the
// charge went through: the subscription stays due, and the next sweep
// sends the same key, gets the same answer and charges nothing more.
func TestCrashBetweenChargeAndWrite(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	flaky := &flakyPayments{Payments: f.gw}
	svc := f.newService(t, subscription.Config{}, flaky)
	plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	f.mustSubscribe(t, viewer, plan, cardOK)
	end := t0.AddDate(0, 1, 0)
	k := key(viewer.UserID, end, 1)
	f.clock.Set(end)

	flaky.crashes.Store(1)
	got, err := svc.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	assert.Equal(t, subscription.RenewResponse{Deferred: 1}, got)
	assert.Equal(t, []string{k}, keysOf(f.gw.chargesWithPrefix("renew:")), "the gateway charged")
	sub := f.sub(t, viewer)
	assert.Equal(t, subscription.Active, sub.Status)
	requireTime(t, end, sub.CurrentPeriodEnd, "nothing applied yet")

	// A price change meanwhile does not change the pending charge: the
	// same key must carry the same body.
	_, err = f.api.UpdatePlan(ctx, subscription.UpdatePlanRequest{Caller: admin, ID: plan.ID, Input: planInput("Monthly+", 900, 0, 1)})
	require.NoError(t, err)

	got, err = svc.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	assert.Equal(t, subscription.RenewResponse{Renewed: 1}, got)
	assert.Equal(t, 2, f.gw.callsOf(k), "the same key was sent again")
	assert.Empty(t, f.gw.reusedKeys(), "with the same body")
	assert.Len(t, f.gw.chargesWithPrefix("renew:"), 1, "and charged once")
	requireTime(t, end.AddDate(0, 1, 0), f.sub(t, viewer).CurrentPeriodEnd, "period")
	inv := f.invoices(t, viewer)
	require.Len(t, inv, 2)
	assert.Equal(t, k, inv[0].ID)
	assert.Equal(t, int64(700), inv[0].AmountMinor)
	assert.Equal(t, "ch_0002", inv[0].ChargeID, "the charge the first call made")

	f.renew(t, end.AddDate(0, 1, 0))
	renewals := f.gw.chargesWithPrefix("renew:")
	require.Len(t, renewals, 2)
	assert.Equal(t, int64(900), renewals[1].AmountMinor, "the next renewal pays the new price")
}

// TestGatewayDown leaves a due subscription alone while the gateway cannot
// be reached, and charges it on the next sweep.
func TestGatewayDown(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	flaky := &flakyPayments{Payments: f.gw}
	svc := f.newService(t, subscription.Config{}, flaky)
	plan := f.mustPlan(t, planInput("Trial", 700, 3, 1))
	f.mustSubscribe(t, viewer, plan, cardOK)
	f.clock.Set(t0.AddDate(0, 0, 3))

	flaky.down.Store(1)
	got, err := svc.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	assert.Equal(t, subscription.RenewResponse{Deferred: 1}, got)
	assert.Empty(t, f.gw.chargeKeys())
	assert.Equal(t, subscription.Trialing, f.sub(t, viewer).Status)

	got, err = svc.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	assert.Equal(t, subscription.RenewResponse{Activated: 1}, got)
	assert.Len(t, f.gw.chargeKeys(), 1)
}

// TestCancelWhileCharging cancels a subscription between the sweep's charge
// and its write (the charge's answer is lost): the next sweep applies the
// money taken, and the subscription stays canceled until the end of the
// period paid for.
func TestCancelWhileCharging(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	flaky := &flakyPayments{Payments: f.gw}
	svc := f.newService(t, subscription.Config{}, flaky)
	plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	f.mustSubscribe(t, viewer, plan, cardOK)
	end := t0.AddDate(0, 1, 0)
	f.clock.Set(end)
	flaky.crashes.Store(1)
	_, err := svc.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	_, err = f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
	require.NoError(t, err)

	got := f.renew(t, end)
	assert.Equal(t, subscription.RenewResponse{Renewed: 1}, got, "the pending charge settles first")
	sub := f.sub(t, viewer)
	assert.Equal(t, subscription.Canceled, sub.Status, "still canceled")
	requireTime(t, end.AddDate(0, 1, 0), sub.CurrentPeriodEnd, "but runs to the end of the period paid for")
	_, err = f.startStream(viewer, "v1")
	require.NoError(t, err)
	assert.Len(t, f.gw.chargesWithPrefix("renew:"), 1)

	assert.Equal(t, subscription.RenewResponse{Expired: 1}, f.renew(t, end.AddDate(0, 1, 0)))
	assert.Len(t, f.gw.chargesWithPrefix("renew:"), 1, "no charge after the cancel")
	assert.Equal(t, []string{
		subscription.EventActivated, subscription.EventCanceled, subscription.EventRenewed, subscription.EventExpired,
	}, f.subEvents(t, viewer.UserID))
}

// keysOf returns the idempotency keys of charges.
func keysOf(charges []subscription.ChargeRequest) []string {
	out := make([]string, len(charges))
	for i, c := range charges {
		out[i] = c.IdempotencyKey
	}
	return out
}
