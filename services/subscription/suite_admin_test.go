package subscription_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

func testListSubscriptions(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	basic := f.mustPlan(t, planInput("Basic", 499, 0, 1))
	trial := f.mustPlan(t, planInput("Trial", 999, 30, 2))
	for i := range 5 {
		plan := basic
		if i%2 == 1 {
			plan = trial
		}
		f.mustSubscribe(t, platform.Caller{UserID: fmt.Sprintf("u-%d", i), Role: platform.RoleViewer}, plan, cardOK)
	}
	list := func(filter subscription.SubscriptionFilter, first int, after string) subscription.ListSubscriptionsResponse {
		t.Helper()
		resp, err := f.api.ListSubscriptions(ctx, subscription.ListSubscriptionsRequest{Caller: admin, Filter: filter, First: first, After: after})
		require.NoError(t, err)
		return resp
	}
	users := func(resp subscription.ListSubscriptionsResponse) []string {
		var out []string
		for _, s := range resp.Subscriptions {
			out = append(out, s.UserID)
		}
		return out
	}

	tests := []struct {
		name   string
		filter subscription.SubscriptionFilter
		want   []string
	}{
		{"all", subscription.SubscriptionFilter{}, []string{"u-0", "u-1", "u-2", "u-3", "u-4"}},
		{"by status", subscription.SubscriptionFilter{Status: subscription.Trialing}, []string{"u-1", "u-3"}},
		{"by plan", subscription.SubscriptionFilter{PlanID: basic.ID}, []string{"u-0", "u-2", "u-4"}},
		{"by both", subscription.SubscriptionFilter{Status: subscription.Active, PlanID: trial.ID}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := list(tc.filter, 0, "")
			assert.Equal(t, tc.want, users(resp))
			assert.Equal(t, len(tc.want), resp.TotalCount)
		})
	}
	t.Run("paged by user id", func(t *testing.T) {
		p1 := list(subscription.SubscriptionFilter{}, 2, "")
		assert.Equal(t, []string{"u-0", "u-1"}, users(p1))
		assert.True(t, p1.HasNext)
		p2 := list(subscription.SubscriptionFilter{}, 2, p1.EndCursor)
		assert.Equal(t, []string{"u-2", "u-3"}, users(p2))
		p3 := list(subscription.SubscriptionFilter{}, 2, p2.EndCursor)
		assert.Equal(t, []string{"u-4"}, users(p3))
		assert.False(t, p3.HasNext)
		assert.Equal(t, 5, p3.TotalCount)
	})
	t.Run("bad requests", func(t *testing.T) {
		_, err := f.api.ListSubscriptions(ctx, subscription.ListSubscriptionsRequest{Caller: viewer})
		requireKind(t, err, platform.KindForbidden, "admin role required")
		_, err = f.api.ListSubscriptions(ctx, subscription.ListSubscriptionsRequest{Caller: admin, Filter: subscription.SubscriptionFilter{Status: "ZOMBIE"}})
		requireKind(t, err, platform.KindInvalid, "unknown status")
		_, err = f.api.ListSubscriptions(ctx, subscription.ListSubscriptionsRequest{Caller: admin, After: "!!"})
		requireKind(t, err, platform.KindInvalid, "malformed cursor")
	})
}

func testInvoicePaging(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Basic", 499, 0, 1))
	f.mustSubscribe(t, viewer, plan, cardOK)
	end := t0
	for range 4 {
		end = end.AddDate(0, 1, 0)
		f.renew(t, end)
	}
	all := f.invoices(t, viewer)
	require.Len(t, all, 5)

	var paged []subscription.Invoice
	after := ""
	for {
		resp, err := f.api.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: viewer, First: 2, After: after})
		require.NoError(t, err)
		assert.Equal(t, 5, resp.TotalCount)
		paged = append(paged, resp.Invoices...)
		if !resp.HasNext {
			break
		}
		after = resp.EndCursor
	}
	require.Len(t, paged, 5)
	for i := range all {
		assert.Equal(t, all[i].ID, paged[i].ID)
	}
	requireTime(t, end, all[0].PeriodStart, "newest first")

	other, err := f.api.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: viewer2})
	require.NoError(t, err)
	assert.Empty(t, other.Invoices, "a viewer sees only their own invoices")
	_, err = f.api.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: viewer, After: "bm9wZQ"})
	requireKind(t, err, platform.KindInvalid, "cursor is no longer valid")
	_, err = f.api.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: anon})
	requireKind(t, err, platform.KindUnauthenticated, "sign in required")
}
