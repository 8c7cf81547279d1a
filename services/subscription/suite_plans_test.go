package subscription_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

func testPlans(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	premium := f.mustPlan(t, planInput("Premium", 1999, 0, 4))
	basic := f.mustPlan(t, planInput("Basic", 499, 7, 1))
	standard := f.mustPlan(t, planInput("Standard", 999, 0, 2))
	assert.True(t, basic.Active)
	assert.Equal(t, "USD", basic.Currency)

	names := func(resp subscription.ListPlansResponse) []string {
		var out []string
		for _, p := range resp.Plans {
			out = append(out, p.Name)
		}
		return out
	}
	t.Run("listed by price, to anyone", func(t *testing.T) {
		resp, err := f.api.ListPlans(ctx, subscription.ListPlansRequest{Caller: anon})
		require.NoError(t, err)
		assert.Equal(t, []string{"Basic", "Standard", "Premium"}, names(resp))
	})
	t.Run("names are unique, case-insensitively", func(t *testing.T) {
		_, err := f.api.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: planInput("basic", 1, 0, 1)})
		requireKind(t, err, platform.KindConflict, `a plan named "basic" already exists`)
		_, err = f.api.UpdatePlan(ctx, subscription.UpdatePlanRequest{Caller: admin, ID: premium.ID, Input: planInput("STANDARD", 1999, 0, 4)})
		requireKind(t, err, platform.KindConflict, "already exists")
	})
	t.Run("update renames and reprices", func(t *testing.T) {
		resp, err := f.api.UpdatePlan(ctx, subscription.UpdatePlanRequest{Caller: admin, ID: premium.ID, Input: planInput("Premium 4K", 2499, 0, 4)})
		require.NoError(t, err)
		assert.Equal(t, "Premium 4K", resp.Plan.Name)
		assert.Equal(t, int64(2499), resp.Plan.PriceMinor)
		requireTime(t, premium.CreatedAt, resp.Plan.CreatedAt, "createdAt")
		// The old name is free again.
		again := f.mustPlan(t, planInput("Premium", 2999, 0, 4))
		assert.NotEqual(t, premium.ID, again.ID)
	})
	t.Run("deactivated plans are hidden but kept", func(t *testing.T) {
		resp, err := f.api.DeactivatePlan(ctx, subscription.DeactivatePlanRequest{Caller: admin, ID: standard.ID})
		require.NoError(t, err)
		assert.False(t, resp.Plan.Active)
		list, err := f.api.ListPlans(ctx, subscription.ListPlansRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, []string{"Basic", "Premium 4K", "Premium"}, names(list))
		all, err := f.api.ListPlans(ctx, subscription.ListPlansRequest{Caller: admin, IncludeInactive: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"Basic", "Standard", "Premium 4K", "Premium"}, names(all))
	})
	t.Run("admins only", func(t *testing.T) {
		_, err := f.api.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: viewer, Input: planInput("X", 1, 0, 1)})
		requireKind(t, err, platform.KindForbidden, "admin role required")
		_, err = f.api.UpdatePlan(ctx, subscription.UpdatePlanRequest{Caller: anon, ID: basic.ID, Input: planInput("X", 1, 0, 1)})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = f.api.DeactivatePlan(ctx, subscription.DeactivatePlanRequest{Caller: viewer, ID: basic.ID})
		requireKind(t, err, platform.KindForbidden, "admin role required")
		all, err := f.api.ListPlans(ctx, subscription.ListPlansRequest{Caller: viewer, IncludeInactive: true})
		require.NoError(t, err, "inactive plans are no secret: a subscriber keeps one")
		assert.NotEmpty(t, all.Plans)
	})
	t.Run("unknown plan", func(t *testing.T) {
		_, err := f.api.DeactivatePlan(ctx, subscription.DeactivatePlanRequest{Caller: admin, ID: "nope"})
		requireKind(t, err, platform.KindNotFound, "plan not found")
	})
	t.Run("every change is an event", func(t *testing.T) {
		// 4 creates, 1 update, 1 deactivation.
		assert.Len(t, f.rec.OfType(subscription.EventPlanUpdated), 6)
		var p subscription.PlanChanged
		evs := f.rec.OfType(subscription.EventPlanUpdated)
		require.NoError(t, evs[len(evs)-1].Decode(&p))
		assert.Equal(t, standard.ID, p.Plan.ID)
		assert.False(t, p.Plan.Active)
	})
}

func testPlanValidation(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	tests := []struct {
		name string
		edit func(*subscription.PlanInput)
		msg  string
	}{
		{"empty name", func(in *subscription.PlanInput) { in.Name = "  " }, "name is required"},
		{"long name", func(in *subscription.PlanInput) { in.Name = strings.Repeat("n", 81) }, "name must be 1 to 80 characters"},
		{"lower-case currency", func(in *subscription.PlanInput) { in.Currency = "usd" }, "currency must be three upper-case letters"},
		{"long currency", func(in *subscription.PlanInput) { in.Currency = "USDX" }, "currency must be three upper-case letters"},
		{"negative price", func(in *subscription.PlanInput) { in.PriceMinor = -1 }, "price must not be negative"},
		{"no period", func(in *subscription.PlanInput) { in.Period = "WEEKLY" }, "period must be MONTHLY or YEARLY"},
		{"negative trial", func(in *subscription.PlanInput) { in.TrialDays = -1 }, "trial days must be between 0 and 90"},
		{"long trial", func(in *subscription.PlanInput) { in.TrialDays = 91 }, "trial days must be between 0 and 90"},
		{"odd resolution", func(in *subscription.PlanInput) { in.MaxResolution = 900 }, "max resolution must be one of"},
		{"no streams", func(in *subscription.PlanInput) { in.MaxStreams = 0 }, "max streams must be between 1 and 10"},
		{"too many streams", func(in *subscription.PlanInput) { in.MaxStreams = 11 }, "max streams must be between 1 and 10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := planInput("Valid", 100, 0, 1)
			tc.edit(&in)
			_, err := f.api.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: in})
			requireKind(t, err, platform.KindInvalid, tc.msg)
		})
	}
	t.Run("limits are accepted", func(t *testing.T) {
		in := planInput(strings.Repeat("n", 80), 0, 90, 10)
		in.Period, in.MaxResolution = subscription.Yearly, 240
		p := f.mustPlan(t, in)
		assert.Equal(t, 90, p.TrialDays)
	})
}
