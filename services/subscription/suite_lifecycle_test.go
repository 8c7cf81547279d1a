package subscription_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// key returns the renewal idempotency key of user for the period from
// start, attempt n.
func key(user string, start time.Time, n int) string {
	return fmt.Sprintf("renew:%s:%d:%d", user, start.Unix(), n)
}

func testSubscribe(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Basic", 499, 0, 1))

	t.Run("declined first charge subscribes nothing", func(t *testing.T) {
		_, err := f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardDeclined)})
		requireCode(t, err, platform.KindInvalid, subscription.CodePaymentDeclined)
		assert.Contains(t, platform.PublicMessage(err), "card_declined")
		resp, err := f.api.GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: viewer})
		require.NoError(t, err)
		assert.False(t, resp.Found)
		inv := f.invoices(t, viewer)
		require.Len(t, inv, 1)
		assert.Equal(t, subscription.InvoiceFailed, inv[0].Status)
		assert.Equal(t, "card_declined", inv[0].DeclineReason)
		assert.Equal(t, "0002", inv[0].Last4)
	})
	t.Run("a refused card number", func(t *testing.T) {
		_, err := f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard("1234")})
		requireCode(t, err, platform.KindInvalid, subscription.CodePaymentDeclined)
	})
	t.Run("approved first charge is ACTIVE at once", func(t *testing.T) {
		sub := f.mustSubscribe(t, viewer, plan, cardOK)
		assert.Equal(t, subscription.Active, sub.Status)
		assert.Equal(t, plan.ID, sub.PlanID)
		assert.Equal(t, "4242", sub.PaymentMethod.Last4)
		requireTime(t, t0, sub.CurrentPeriodStart, "period start")
		requireTime(t, t0.AddDate(0, 1, 0), sub.CurrentPeriodEnd, "period end")
		inv := f.invoices(t, viewer)
		require.Len(t, inv, 2)
		assert.Equal(t, subscription.InvoicePaid, inv[0].Status)
		assert.Equal(t, int64(499), inv[0].AmountMinor)
		assert.True(t, strings.HasPrefix(inv[0].IdempotencyKey, "subscribe:u-viewer:"), inv[0].IdempotencyKey)
		assert.Equal(t, []string{subscription.EventActivated}, f.subEvents(t, viewer.UserID))
		got, err := f.api.GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, plan.ID, got.Plan.ID)
	})
	t.Run("one subscription per viewer", func(t *testing.T) {
		_, err := f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardOK)})
		requireKind(t, err, platform.KindConflict, "you already have a subscription (ACTIVE)")
	})
	t.Run("a deactivated plan can't be subscribed, its subscribers keep it", func(t *testing.T) {
		_, err := f.api.DeactivatePlan(ctx, subscription.DeactivatePlanRequest{Caller: admin, ID: plan.ID})
		require.NoError(t, err)
		_, err = f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer2, PlanID: plan.ID, Card: testCard(cardOK)})
		requireKind(t, err, platform.KindConflict, `plan "Basic" is not available`)
		got := f.renew(t, t0.AddDate(0, 1, 0))
		assert.Equal(t, 1, got.Renewed)
		assert.Equal(t, subscription.Active, f.sub(t, viewer).Status)
	})
	t.Run("bad requests", func(t *testing.T) {
		_, err := f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: anon, PlanID: plan.ID, Card: testCard(cardOK)})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer2, PlanID: "nope", Card: testCard(cardOK)})
		requireKind(t, err, platform.KindNotFound, "plan not found")
		_, err = f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer2, Card: testCard(cardOK)})
		requireKind(t, err, platform.KindInvalid, "plan id is required")
		_, err = f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer2})
		requireKind(t, err, platform.KindNotFound, "you have no subscription")
	})
}

// testTrialToPastDueAndBack walks a viewer from a trial to ACTIVE, a
// renewal, a declined renewal (PAST_DUE) and a successful retry.
func testTrialToPastDueAndBack(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Trial", 999, 7, 2))
	u := viewer.UserID

	sub := f.mustSubscribe(t, viewer, plan, cardOK)
	trialEnd := t0.AddDate(0, 0, 7)
	assert.Equal(t, subscription.Trialing, sub.Status)
	requireTime(t, trialEnd, sub.TrialEnd, "trial end")
	requireTime(t, trialEnd, sub.CurrentPeriodEnd, "period end")
	assert.Empty(t, f.gw.chargeKeys(), "a trial charges nothing")
	_, err := f.startStream(viewer, "v1")
	require.NoError(t, err, "a trial plays")

	assert.Equal(t, subscription.RenewResponse{}, f.renew(t, trialEnd.Add(-time.Second)), "nothing due before the trial ends")

	assert.Equal(t, subscription.RenewResponse{Activated: 1}, f.renew(t, trialEnd))
	sub = f.sub(t, viewer)
	end1 := trialEnd.AddDate(0, 1, 0)
	assert.Equal(t, subscription.Active, sub.Status)
	requireTime(t, trialEnd, sub.CurrentPeriodStart, "period start")
	requireTime(t, end1, sub.CurrentPeriodEnd, "period end")

	assert.Equal(t, subscription.RenewResponse{Renewed: 1}, f.renew(t, end1))
	end2 := end1.AddDate(0, 1, 0)
	requireTime(t, end2, f.sub(t, viewer).CurrentPeriodEnd, "period end")

	f.gw.set(sub.PaymentMethod.Token, declineFunds)
	assert.Equal(t, subscription.RenewResponse{Failed: 1}, f.renew(t, end2))
	sub = f.sub(t, viewer)
	assert.Equal(t, subscription.PastDue, sub.Status)
	assert.Equal(t, 1, sub.FailedAttempts)
	requireTime(t, end2.Add(24*time.Hour), sub.NextRetryAt, "next retry")
	requireTime(t, end2, sub.CurrentPeriodEnd, "period end stays")
	_, err = f.startStream(viewer, "v1")
	requireCode(t, err, platform.KindForbidden, subscription.CodeSubscriptionRequired)

	assert.Equal(t, subscription.RenewResponse{}, f.renew(t, end2.Add(23*time.Hour)), "no retry before its time")

	f.gw.set(sub.PaymentMethod.Token, approve)
	assert.Equal(t, subscription.RenewResponse{Renewed: 1}, f.renew(t, end2.Add(24*time.Hour)))
	sub = f.sub(t, viewer)
	assert.Equal(t, subscription.Active, sub.Status)
	assert.Zero(t, sub.FailedAttempts)
	assert.True(t, sub.NextRetryAt.IsZero())
	requireTime(t, end2, sub.CurrentPeriodStart, "the retry pays the period from the missed renewal")
	requireTime(t, end2.AddDate(0, 1, 0), sub.CurrentPeriodEnd, "period end")
	assert.Equal(t, int64(5), sub.Version)

	assert.Equal(t, subscription.RenewResponse{}, f.renew(t, end2.Add(25*time.Hour)), "nothing left due")
	wantKeys := []string{key(u, trialEnd, 1), key(u, end1, 1), key(u, end2, 1), key(u, end2, 2)}
	assert.Equal(t, wantKeys, f.gw.chargeKeys())
	for _, c := range f.gw.chargesWithPrefix("renew:") {
		assert.Equal(t, int64(999), c.AmountMinor)
		assert.Equal(t, "USD", c.Currency)
	}
	assert.Equal(t, []string{
		subscription.EventTrialStarted, subscription.EventActivated, subscription.EventRenewed,
		subscription.EventPastDue, subscription.EventRenewed,
	}, f.subEvents(t, u))

	inv := f.invoices(t, viewer)
	require.Len(t, inv, 4)
	for i, want := range []struct {
		key    string
		status subscription.InvoiceStatus
		reason string
		start  time.Time
	}{
		{key(u, end2, 2), subscription.InvoicePaid, "", end2},
		{key(u, end2, 1), subscription.InvoiceFailed, "insufficient_funds", end2},
		{key(u, end1, 1), subscription.InvoicePaid, "", end1},
		{key(u, trialEnd, 1), subscription.InvoicePaid, "", trialEnd},
	} {
		assert.Equal(t, want.key, inv[i].ID, "invoice %d", i)
		assert.Equal(t, want.key, inv[i].IdempotencyKey)
		assert.Equal(t, want.status, inv[i].Status, "invoice %d", i)
		assert.Equal(t, want.reason, inv[i].DeclineReason, "invoice %d", i)
		requireTime(t, want.start, inv[i].PeriodStart, "invoice period start")
		requireTime(t, want.start.AddDate(0, 1, 0), inv[i].PeriodEnd, "invoice period end")
		assert.Equal(t, int64(999), inv[i].AmountMinor)
	}
	assert.Empty(t, f.gw.reusedKeys())
}

// testRetriesExhausted declines every retry until the subscription
// expires, then subscribes again.
func testRetriesExhausted(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Monthly", 500, 0, 1))
	u := viewer.UserID
	sub := f.mustSubscribe(t, viewer, plan, cardFailsLater)
	require.Equal(t, subscription.Active, sub.Status)
	end := t0.AddDate(0, 1, 0)

	due := end
	for i, delay := range []time.Duration{24 * time.Hour, 72 * time.Hour, 120 * time.Hour} {
		assert.Equal(t, subscription.RenewResponse{Failed: 1}, f.renew(t, due), "attempt %d", i+1)
		sub = f.sub(t, viewer)
		assert.Equal(t, subscription.PastDue, sub.Status)
		assert.Equal(t, i+1, sub.FailedAttempts)
		due = due.Add(delay)
		requireTime(t, due, sub.NextRetryAt, "next retry")
	}
	assert.Equal(t, subscription.RenewResponse{Failed: 1, Expired: 1}, f.renew(t, due))
	assert.Equal(t, subscription.Expired, f.sub(t, viewer).Status)
	assert.Equal(t, subscription.RenewResponse{}, f.renew(t, due.AddDate(0, 2, 0)), "an expired subscription is left alone")

	renewals := f.gw.chargesWithPrefix("renew:")
	require.Len(t, renewals, 4)
	for i, c := range renewals {
		assert.Equal(t, key(u, end, i+1), c.IdempotencyKey)
	}
	assert.Len(t, f.gw.chargeKeys(), 5, "the first charge and four renewal attempts")
	assert.Equal(t, []string{
		subscription.EventActivated, subscription.EventPastDue, subscription.EventPastDue,
		subscription.EventPastDue, subscription.EventExpired,
	}, f.subEvents(t, u))
	_, err := f.startStream(viewer, "v1")
	requireCode(t, err, platform.KindForbidden, subscription.CodeSubscriptionRequired)

	again := f.mustSubscribe(t, viewer, plan, cardOK)
	assert.Equal(t, subscription.Active, again.Status)
	assert.Greater(t, again.Version, sub.Version, "versions go on across subscriptions")
}

func testCancelAndResume(t *testing.T, newFixture factory) {
	t.Run("canceled runs to its period's end, then expires", func(t *testing.T) {
		f := newFixture(t, subscription.Config{})
		plan := f.mustPlan(t, planInput("Monthly", 500, 0, 1))
		f.mustSubscribe(t, viewer, plan, cardOK)
		resp, err := f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, subscription.Canceled, resp.Subscription.Status)
		assert.Equal(t, subscription.Active, resp.Subscription.CanceledFrom)
		_, err = f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
		requireKind(t, err, platform.KindConflict, "already canceled")

		end := t0.AddDate(0, 1, 0)
		f.clock.Set(end.Add(-time.Second))
		_, err = f.startStream(viewer, "v1")
		require.NoError(t, err, "canceled still plays until the period ends")

		assert.Equal(t, subscription.RenewResponse{Expired: 1}, f.renew(t, end))
		assert.Equal(t, subscription.Expired, f.sub(t, viewer).Status)
		assert.Len(t, f.gw.chargeKeys(), 1, "no renewal charge")
		_, err = f.startStream(viewer, "v2")
		requireCode(t, err, platform.KindForbidden, subscription.CodeSubscriptionRequired)
		_, err = f.api.Resume(ctx, subscription.ResumeRequest{Caller: viewer})
		requireKind(t, err, platform.KindConflict, "not canceled")
		assert.Equal(t, []string{subscription.EventActivated, subscription.EventCanceled, subscription.EventExpired}, f.subEvents(t, viewer.UserID))
	})
	t.Run("resume before the end restores the trial", func(t *testing.T) {
		f := newFixture(t, subscription.Config{})
		plan := f.mustPlan(t, planInput("Trial", 500, 14, 1))
		f.mustSubscribe(t, viewer, plan, cardOK)
		_, err := f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
		require.NoError(t, err)
		f.clock.Advance(24 * time.Hour)
		resp, err := f.api.Resume(ctx, subscription.ResumeRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, subscription.Trialing, resp.Subscription.Status)
		assert.Empty(t, resp.Subscription.CanceledFrom)
		_, err = f.api.Resume(ctx, subscription.ResumeRequest{Caller: viewer})
		requireKind(t, err, platform.KindConflict, "not canceled")

		trialEnd := t0.AddDate(0, 0, 14)
		assert.Equal(t, subscription.RenewResponse{Activated: 1}, f.renew(t, trialEnd))
		assert.Equal(t, []string{key(viewer.UserID, trialEnd, 1)}, f.gw.chargeKeys())
		assert.Equal(t, []string{
			subscription.EventTrialStarted, subscription.EventCanceled, subscription.EventResumed, subscription.EventActivated,
		}, f.subEvents(t, viewer.UserID))
	})
	t.Run("resume after the end is refused", func(t *testing.T) {
		f := newFixture(t, subscription.Config{})
		plan := f.mustPlan(t, planInput("Monthly", 500, 0, 1))
		f.mustSubscribe(t, viewer, plan, cardOK)
		_, err := f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
		require.NoError(t, err)
		f.clock.Set(t0.AddDate(0, 1, 0))
		_, err = f.api.Resume(ctx, subscription.ResumeRequest{Caller: viewer})
		requireKind(t, err, platform.KindConflict, "your subscription ended on 2025-04-01")
	})
}

func testChangePlan(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	basic := f.mustPlan(t, planInput("Basic", 499, 0, 1))
	premium := f.mustPlan(t, planInput("Premium", 1499, 0, 4))
	retired := f.mustPlan(t, planInput("Retired", 99, 0, 1))
	_, err := f.api.DeactivatePlan(ctx, subscription.DeactivatePlanRequest{Caller: admin, ID: retired.ID})
	require.NoError(t, err)
	f.mustSubscribe(t, viewer, basic, cardOK)

	change := func(planID string) (subscription.Subscription, error) {
		resp, err := f.api.ChangePlan(ctx, subscription.ChangePlanRequest{Caller: viewer, PlanID: planID})
		return resp.Subscription, err
	}
	_, err = change(basic.ID)
	requireKind(t, err, platform.KindConflict, `you are already on plan "Basic"`)
	_, err = change(retired.ID)
	requireKind(t, err, platform.KindConflict, `plan "Retired" is not available`)

	sub, err := change(premium.ID)
	require.NoError(t, err)
	assert.Equal(t, basic.ID, sub.PlanID, "the plan changes at the next period")
	assert.Equal(t, premium.ID, sub.NextPlanID)
	again, err := change(premium.ID)
	require.NoError(t, err)
	assert.Equal(t, sub.Version, again.Version, "asking again changes nothing")
	undone, err := change(basic.ID)
	require.NoError(t, err)
	assert.Empty(t, undone.NextPlanID, "the current plan undoes the change")
	_, err = change(premium.ID)
	require.NoError(t, err)

	end := t0.AddDate(0, 1, 0)
	assert.Equal(t, subscription.RenewResponse{Renewed: 1}, f.renew(t, end))
	sub = f.sub(t, viewer)
	assert.Equal(t, premium.ID, sub.PlanID)
	assert.Empty(t, sub.NextPlanID)
	renewals := f.gw.chargesWithPrefix("renew:")
	require.Len(t, renewals, 1)
	assert.Equal(t, int64(1499), renewals[0].AmountMinor, "the renewal charges the new plan's price")
	inv := f.invoices(t, viewer)
	assert.Equal(t, premium.ID, inv[0].PlanID)
	assert.Equal(t, int64(1499), inv[0].AmountMinor)
	resp, err := f.startStream(viewer, "v1")
	require.NoError(t, err)
	assert.Equal(t, 4, resp.MaxStreams)
	assert.Equal(t, []string{
		subscription.EventActivated, subscription.EventPlanChanged, subscription.EventPlanChanged,
		subscription.EventPlanChanged, subscription.EventRenewed,
	}, f.subEvents(t, viewer.UserID))

	_, err = f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
	require.NoError(t, err)
	_, err = change(basic.ID)
	requireKind(t, err, platform.KindConflict, "resume your subscription before changing its plan")
}
