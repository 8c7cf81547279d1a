package demo

import (
	"context"
	"fmt"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// Plans are the demo's plans: a cheap one without a trial that stops at
// 480p on one screen, and two with a week's trial.
var Plans = []subscription.PlanInput{
	{Name: "Basic", Description: "480p on one screen", PriceMinor: 799, Currency: "USD", Period: subscription.Monthly, MaxResolution: 480, MaxStreams: 1},
	{Name: "Standard", Description: "1080p on two screens", PriceMinor: 1299, Currency: "USD", Period: subscription.Monthly, TrialDays: 7, MaxResolution: 1080, MaxStreams: 2},
	{Name: "Premium", Description: "1080p on four screens", PriceMinor: 1799, Currency: "USD", Period: subscription.Monthly, TrialDays: 7, MaxResolution: 1080, MaxStreams: 4},
}

// SeedPlans creates the demo plans that do not exist yet (by name) and
// returns how many it created.
func SeedPlans(ctx context.Context, api subscription.API, admin platform.Caller) (int, error) {
	have, err := api.ListPlans(ctx, subscription.ListPlansRequest{Caller: admin, IncludeInactive: true})
	if err != nil {
		return 0, fmt.Errorf("demo: list plans: %w", err)
	}
	names := map[string]bool{}
	for _, p := range have.Plans {
		names[key(p.Name)] = true
	}
	n := 0
	for _, in := range Plans {
		if names[key(in.Name)] {
			continue
		}
		if _, err := api.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: in}); err != nil {
			return n, fmt.Errorf("demo: create plan %s: %w", in.Name, err)
		}
		n++
	}
	return n, nil
}
