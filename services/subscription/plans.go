package subscription

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// planKey is the state key of a plan.
func planKey(id string) string { return "plan/" + id }

// planNameKey is where the id of the plan holding a name is stored: one
// plan per case-insensitive name (base64url keeps the key's alphabet safe
// for every store).
func planNameKey(name string) string {
	return "plan-name/" + base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(name)))
}

// CreatePlan creates an active plan.
//
// Errors: KindUnauthenticated or KindForbidden unless the caller is an
// admin; KindInvalid for malformed input; KindConflict when another plan
// has the name; the state's kind when it fails.
func (s *Service) CreatePlan(ctx context.Context, req CreatePlanRequest) (CreatePlanResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return CreatePlanResponse{}, op(MethodCreatePlan, err)
	}
	in, err := cleanPlanInput(req.Input)
	if err != nil {
		return CreatePlanResponse{}, op(MethodCreatePlan, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return CreatePlanResponse{}, op(MethodCreatePlan, fmt.Errorf("new plan id: %w", err))
	}
	now := s.clock()
	plan := applyPlanInput(Plan{ID: id.String(), Active: true, CreatedAt: now}, in, now)
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		if err := s.claimPlanName(ctx, b, plan.ID, "", plan.Name); err != nil {
			return err
		}
		b.Set(planKey(plan.ID), plan, "", true)
		b.Add(s.plans.AddOps(ctx, plan.ID))
		b.Emit(s.event(EventPlanUpdated, now, PlanChanged{Plan: plan}))
		return nil
	})
	if err != nil {
		return CreatePlanResponse{}, op(MethodCreatePlan, err)
	}
	return CreatePlanResponse{Plan: plan}, nil
}

// UpdatePlan replaces a plan's settings; subscribers pay the new price from
// their next renewal. It keeps the plan active or inactive.
//
// Errors: as CreatePlan, and KindNotFound for an unknown plan.
func (s *Service) UpdatePlan(ctx context.Context, req UpdatePlanRequest) (UpdatePlanResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return UpdatePlanResponse{}, op(MethodUpdatePlan, err)
	}
	in, err := cleanPlanInput(req.Input)
	if err != nil {
		return UpdatePlanResponse{}, op(MethodUpdatePlan, err)
	}
	plan, err := s.changePlan(ctx, req.ID, func(p Plan) (Plan, error) {
		return applyPlanInput(p, in, s.clock()), nil
	})
	return UpdatePlanResponse{Plan: plan}, op(MethodUpdatePlan, err)
}

// DeactivatePlan stops new subscriptions to a plan; its subscribers keep
// it. Deactivating an inactive plan changes nothing.
//
// Errors: KindUnauthenticated or KindForbidden unless the caller is an
// admin; KindNotFound for an unknown plan; the state's kind when it fails.
func (s *Service) DeactivatePlan(ctx context.Context, req DeactivatePlanRequest) (DeactivatePlanResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return DeactivatePlanResponse{}, op(MethodDeactivatePlan, err)
	}
	plan, err := s.changePlan(ctx, req.ID, func(p Plan) (Plan, error) {
		p.Active, p.UpdatedAt = false, s.clock()
		return p, nil
	})
	return DeactivatePlanResponse{Plan: plan}, op(MethodDeactivatePlan, err)
}

// changePlan applies change to the stored plan id (renaming it when the
// name changed) and emits EventPlanUpdated, unless nothing changed.
func (s *Service) changePlan(ctx context.Context, id string, change func(Plan) (Plan, error)) (Plan, error) {
	var out Plan
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		cur, etag, err := s.loadPlan(ctx, id)
		if err != nil {
			return err
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		if out = cur; samePlanSettings(cur, next) {
			return nil
		}
		out = next
		if err := s.claimPlanName(ctx, b, id, cur.Name, next.Name); err != nil {
			return err
		}
		b.Set(planKey(id), next, etag, false)
		b.Emit(s.event(EventPlanUpdated, next.UpdatedAt, PlanChanged{Plan: next}))
		return nil
	})
	return out, err
}

// samePlanSettings reports whether a and b have the same settings and
// activity (timestamps aside).
func samePlanSettings(a, b Plan) bool {
	return planInputOf(a) == planInputOf(b) && a.Active == b.Active
}

// claimPlanName adds to b the writes that move plan id from the name old
// (empty for a new plan) to next. Errors: KindConflict when another plan
// holds next.
func (s *Service) claimPlanName(ctx context.Context, b *platform.Batch, id, old, next string) error {
	if old != "" && strings.EqualFold(old, next) {
		return nil
	}
	var holder string
	_, err := platform.GetJSON(ctx, s.state, planNameKey(next), "", &holder)
	switch {
	case err == nil && holder != id:
		return conflict("a plan named %q already exists", next)
	case err != nil && !platform.Is(err, platform.KindNotFound):
		return fmt.Errorf("plan name %q: %w", next, err)
	case err != nil:
		b.Set(planNameKey(next), id, "", true)
	}
	if old != "" {
		b.Delete(planNameKey(old), "")
	}
	return nil
}

// loadPlan reads a plan and its ETag. Errors: KindInvalid for an empty id,
// KindNotFound for an unknown one.
func (s *Service) loadPlan(ctx context.Context, id string) (Plan, string, error) {
	if strings.TrimSpace(id) == "" {
		return Plan{}, "", invalid("plan id is required")
	}
	var p Plan
	etag, err := platform.GetJSON(ctx, s.state, planKey(id), "plan not found", &p)
	if err != nil {
		return Plan{}, "", fmt.Errorf("load plan %s: %w", id, err)
	}
	return p, etag, nil
}

// ListPlans returns the active plans, or every plan with IncludeInactive,
// by price, then name. Inactive plans are no secret: a subscriber keeps a
// deactivated plan, and shows it.
//
// Errors: the state's kind when it fails.
func (s *Service) ListPlans(ctx context.Context, req ListPlansRequest) (ListPlansResponse, error) {
	all, err := s.allPlans(ctx)
	if err != nil {
		return ListPlansResponse{}, op(MethodListPlans, err)
	}
	out := []Plan{}
	for _, p := range all {
		if p.Active || req.IncludeInactive {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Plan) int {
		return cmp.Or(cmp.Compare(a.PriceMinor, b.PriceMinor), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return ListPlansResponse{Plans: out}, nil
}

// allPlans reads every plan.
func (s *Service) allPlans(ctx context.Context) ([]Plan, error) {
	ids, err := s.plans.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = planKey(id)
	}
	items, err := s.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	out := make([]Plan, 0, len(items))
	for _, it := range items {
		var p Plan
		if err := platform.DecodeJSON(it, &p); err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}
