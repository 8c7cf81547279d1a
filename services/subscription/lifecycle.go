package subscription

import (
	"context"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// ChangePlan moves the caller to another active plan from the next
// renewal, which charges the new plan's price; asking for the current plan
// undoes a pending change, and asking again for the pending plan changes
// nothing.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for an
// empty plan id; KindNotFound for an unknown plan or when the caller has no
// subscription; KindConflict for an inactive plan, the plan the caller is
// already on, or a CANCELED or EXPIRED subscription.
func (s *Service) ChangePlan(ctx context.Context, req ChangePlanRequest) (ChangePlanResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return ChangePlanResponse{}, op(MethodChangePlan, err)
	}
	plan, _, err := s.loadPlan(ctx, req.PlanID)
	if err != nil {
		return ChangePlanResponse{}, op(MethodChangePlan, err)
	}
	if !plan.Active {
		return ChangePlanResponse{}, op(MethodChangePlan, conflict("plan %q is not available", plan.Name))
	}
	sub, err := s.transition(ctx, req.Caller.UserID, EventPlanChanged, func(sub *Subscription, _ time.Time) (bool, error) {
		switch {
		case sub.Status == Canceled:
			return false, conflict("resume your subscription before changing its plan")
		case sub.Status == Expired:
			return false, conflict("your subscription has expired; subscribe again")
		case plan.ID == sub.NextPlanID:
			return false, nil
		case plan.ID == sub.PlanID && sub.NextPlanID == "":
			return false, conflict("you are already on plan %q", plan.Name)
		case plan.ID == sub.PlanID:
			sub.NextPlanID = ""
		default:
			sub.NextPlanID = plan.ID
		}
		return true, nil
	})
	return ChangePlanResponse{Subscription: sub}, op(MethodChangePlan, err)
}

// Cancel cancels the caller's subscription at the end of its period (a
// trial's end for a trial): it stays playable until then, and then the
// sweep expires it without a charge.
//
// Errors: KindUnauthenticated for an anonymous caller; KindNotFound when
// the caller has no subscription; KindConflict when it is already CANCELED
// or EXPIRED.
func (s *Service) Cancel(ctx context.Context, req CancelRequest) (CancelResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return CancelResponse{}, op(MethodCancel, err)
	}
	sub, err := s.transition(ctx, req.Caller.UserID, EventCanceled, func(sub *Subscription, _ time.Time) (bool, error) {
		switch sub.Status {
		case Trialing, Active, PastDue:
			sub.CanceledFrom, sub.Status = sub.Status, Canceled
			return true, nil
		case Canceled:
			return false, conflict("your subscription is already canceled")
		default:
			return false, conflict("your subscription has expired")
		}
	})
	return CancelResponse{Subscription: sub}, op(MethodCancel, err)
}

// Resume undoes a cancellation before the period ends: the subscription
// is TRIALING or ACTIVE again, as it was.
//
// Errors: KindUnauthenticated for an anonymous caller; KindNotFound when
// the caller has no subscription; KindConflict when it is not CANCELED or
// its period has ended.
func (s *Service) Resume(ctx context.Context, req ResumeRequest) (ResumeResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return ResumeResponse{}, op(MethodResume, err)
	}
	sub, err := s.transition(ctx, req.Caller.UserID, EventResumed, func(sub *Subscription, now time.Time) (bool, error) {
		switch {
		case sub.Status != Canceled:
			return false, conflict("your subscription is not canceled")
		case !now.Before(sub.CurrentPeriodEnd):
			return false, conflict("your subscription ended on %s; subscribe again", sub.CurrentPeriodEnd.Format(time.DateOnly))
		}
		sub.Status, sub.CanceledFrom = sub.CanceledFrom, ""
		if sub.Status == "" {
			sub.Status = Active
		}
		return true, nil
	})
	return ResumeResponse{Subscription: sub}, op(MethodResume, err)
}

// transition applies change to user's subscription at the current time
// and, when change reports a change, writes it with the event typ (a
// pending renewal charge stays: it settles all the same). It returns the
// subscription as it stands after.
func (s *Service) transition(ctx context.Context, user, typ string, change func(*Subscription, time.Time) (bool, error)) (Subscription, error) {
	var out Subscription
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		rec, etag, err := s.loadSub(ctx, user)
		if err != nil {
			return err
		}
		changed, err := change(&rec.Subscription, now)
		if err != nil {
			return err
		}
		if out = rec.Subscription; changed {
			out = s.setSub(b, rec, etag, typ, now)
		}
		return nil
	})
	return out, err
}
