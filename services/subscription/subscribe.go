package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Subscribe subscribes the caller to an active plan with a card: the card
// is tokenized by the gateway (its number goes nowhere else), then a plan
// with a trial starts TRIALING without a charge, and one without is
// charged at once and starts ACTIVE.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for an
// empty plan id; KindNotFound for an unknown plan; KindConflict for an
// inactive plan, when the caller already has a subscription that has not
// expired, or while another Subscribe of the caller runs (or the sweep
// settles the caller's earlier first charge); KindInvalid with
// CodePaymentDeclined when the gateway refuses the card or declines the
// charge (nothing is subscribed; the failed invoice is kept);
// KindUnavailable when the gateway cannot be reached.
func (s *Service) Subscribe(ctx context.Context, req SubscribeRequest) (SubscribeResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	user := req.Caller.UserID
	plan, _, err := s.loadPlan(ctx, req.PlanID)
	if err != nil {
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	if !plan.Active {
		return SubscribeResponse{}, op(MethodSubscribe, conflict("plan %q is not available", plan.Name))
	}
	claim, err := s.claimSubscribe(ctx, user)
	if err != nil {
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	// Checked under the claim: a Subscribe that finished a moment ago is
	// seen here, so no second card is charged.
	err = s.checkNoSub(ctx, user)
	var sub Subscription
	keep := claim.Charge != nil
	if err == nil {
		sub, keep, err = s.subscribe(ctx, user, plan, req.Card, &claim)
	}
	if err != nil {
		if keep {
			s.lapseClaim(ctx, user, claim)
		} else {
			s.releaseClaim(ctx, user, claim)
		}
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	return SubscribeResponse{Subscription: sub}, nil
}

// subscribe tokenizes the card, charges the first period unless the plan
// has a trial, and stores the subscription (releasing the claim). A charge
// the claim holds for the plan is sent again instead (same card token,
// period and key). keep reports a failure that leaves the claim holding a
// charge that may have gone through and is not recorded: the claim must
// keep it, for the sweep.
func (s *Service) subscribe(ctx context.Context, user string, plan Plan, card CardInput, claim *subscribeClaim) (_ Subscription, keep bool, _ error) {
	now := s.clock()
	pending := claim.Charge
	if pending == nil || pending.PlanID != plan.ID {
		pm, err := s.payments.Tokenize(ctx, card)
		if err != nil {
			return Subscription{}, claim.Charge != nil, fmt.Errorf("tokenize card of %s: %w", user, err)
		}
		pending = &firstCharge{PlanID: plan.ID, Start: now, PaymentMethod: pm, Plan: &plan}
	}
	if plan.TrialDays > 0 {
		sub := newSub(user, plan.ID, pending, now)
		sub.Status, sub.TrialEnd = Trialing, s.afterDays(pending.Start, plan.TrialDays)
		sub.CurrentPeriodEnd = sub.TrialEnd
		out, err := s.storeNewSub(ctx, sub, EventTrialStarted, nil, *claim, now)
		return out, claim.Charge != nil, err
	}
	if pending != claim.Charge {
		if err := s.holdCharge(ctx, user, claim, pending); err != nil {
			return Subscription{}, claim.Charge != nil, err
		}
	}
	return s.chargeFirst(ctx, user, plan, *claim, now)
}

// chargeFirst sends the first charge claim holds (for plan, as it was when
// the charge was written down) and, approved,
// stores the subscription ACTIVE with its PAID invoice and its event,
// releasing the claim; declined, it records the failed invoice. Subscribe
// and the sweep (recoverFirst) both charge through it. keep reports a
// failure after which the charge may have gone through unrecorded.
func (s *Service) chargeFirst(ctx context.Context, user string, plan Plan, claim subscribeClaim, now time.Time) (_ Subscription, keep bool, _ error) {
	pending := claim.Charge
	if pending.Plan != nil {
		plan = *pending.Plan
	}
	c := s.newCharge(subscribeKey(user, claim.Attempt), user, plan, pending.Start, pending.PaymentMethod)
	res, err := s.send(ctx, c)
	if err != nil {
		s.log.ErrorContext(ctx, "subscription: first charge outcome unknown; nothing subscribed yet, the sweep sends it again",
			"user_id", user, "key", c.key, "err", err)
		return Subscription{}, true, fmt.Errorf("subscribe %s: %w", user, err)
	}
	inv := c.invoice(res, now)
	if !res.Approved {
		s.recordDeclined(ctx, inv)
		return Subscription{}, false, declined(res)
	}
	sub := newSub(user, plan.ID, pending, now)
	sub.Status, sub.CurrentPeriodEnd = Active, c.end
	out, err := s.storeNewSub(ctx, sub, EventActivated, &inv, claim, now)
	return out, err != nil, err
}

// newSub is user's new subscription to planID, paid (or to be paid) by
// the card of pending, from its period start.
func newSub(user, planID string, pending *firstCharge, now time.Time) Subscription {
	return Subscription{UserID: user, PlanID: planID, PaymentMethod: pending.PaymentMethod, CurrentPeriodStart: pending.Start, CreatedAt: now}
}

// checkNoSub fails when user has a subscription that has not expired.
func (s *Service) checkNoSub(ctx context.Context, user string) error {
	cur, _, found, err := s.findSub(ctx, user)
	if err != nil {
		return err
	}
	if found && cur.Status != Expired {
		return conflict("you already have a subscription (%s)", cur.Status)
	}
	return nil
}

// recordDeclined stores the failed invoice of a declined first charge; a
// failure is only logged, the caller learns of the decline all the same.
func (s *Service) recordDeclined(ctx context.Context, inv Invoice) {
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		return s.addInvoice(ctx, b, inv)
	})
	if err != nil {
		s.log.WarnContext(ctx, "subscription: failed invoice not recorded", "user_id", inv.UserID, "key", inv.ID, "err", err)
	}
}

// storeNewSub stores a new subscription (over an expired one, whose
// version it continues so consumers order them), its first invoice when
// it was charged, and its event, and releases the claim. A claim that
// holds a charge other than inv's (an earlier attempt at another plan)
// is lapsed instead, for the sweep to settle.
func (s *Service) storeNewSub(ctx context.Context, sub Subscription, typ string, inv *Invoice, claim subscribeClaim, now time.Time) (Subscription, error) {
	var next *subscribeClaim
	if claim.Charge != nil && (inv == nil || inv.ID != subscribeKey(sub.UserID, claim.Attempt)) {
		next = &claim
		next.Until = now
	}
	var out Subscription
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		cur, etag, found, err := s.findSub(ctx, sub.UserID)
		if err != nil {
			return err
		}
		if found && cur.Status != Expired {
			return conflict("you already have a subscription (%s)", cur.Status)
		}
		sub.Version = cur.Version
		if inv != nil {
			if err := s.addInvoice(ctx, b, *inv); err != nil {
				return err
			}
		}
		b.Add(s.subs.AddOps(ctx, sub.UserID))
		if _, err := s.addClaimOps(ctx, b, sub.UserID, claim.Holder, next); err != nil {
			return err
		}
		out = s.setSub(b, subRecord{Subscription: sub}, etag, typ, now)
		return nil
	})
	// A conflict is a subscription in place: the sweep settles that case.
	if err != nil && inv != nil && !platform.Is(err, platform.KindConflict) {
		s.log.ErrorContext(ctx, "subscription: first charge approved but the subscription was not stored; the sweep sends it again",
			"user_id", sub.UserID, "key", inv.ID, "charge_id", inv.ChargeID, "err", err)
	}
	return out, err
}
