package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// subscribeLease is how long a Subscribe in progress holds its viewer's
// claim; a claim left by a crashed Subscribe lapses after it.
const subscribeLease = 2 * time.Minute

// claimKey is the state key of a viewer's Subscribe in progress.
func claimKey(userID string) string { return "subscribing/" + userID }

// subscribeClaim marks a viewer's Subscribe in progress, so two calls at
// once (a double click, a client retry) cannot both charge the card.
type subscribeClaim struct {
	Attempt string    `json:"attempt"` // part of the charge's idempotency key
	Until   time.Time `json:"until"`
	// Charge is the first charge, written down before it is sent. A
	// Subscribe that sent it and then failed (its answer lost, or the
	// subscription not stored) leaves the claim behind, lapsed, and the
	// next Subscribe to the same plan sends the same charge under the same
	// key: the gateway charges the card once, however often it is retried.
	Charge *firstCharge `json:"charge,omitempty"`
}

// firstCharge is what makes a first charge the same when it is sent again.
type firstCharge struct {
	PlanID        string        `json:"planId"`
	Start         time.Time     `json:"start"`
	PaymentMethod PaymentMethod `json:"paymentMethod"`
}

// Subscribe subscribes the caller to an active plan with a card: the card
// is tokenized by the gateway (its number goes nowhere else), then a plan
// with a trial starts TRIALING without a charge, and one without is
// charged at once and starts ACTIVE.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for an
// empty plan id; KindNotFound for an unknown plan; KindConflict for an
// inactive plan, when the caller already has a subscription that has not
// expired, or while another Subscribe of the caller runs; KindInvalid with
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
	sent := false
	if err == nil {
		sub, sent, err = s.subscribe(ctx, user, plan, req.Card, &claim)
	}
	if err != nil {
		if sent {
			s.lapseClaim(ctx, user, claim)
		} else {
			s.releaseClaim(ctx, user)
		}
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	return SubscribeResponse{Subscription: sub}, nil
}

// subscribe tokenizes the card, charges the first period unless the plan
// has a trial, and stores the subscription (releasing the claim). A charge
// the claim holds for the plan is sent again instead (same card token,
// period and key). sent reports a failure after a charge that may have
// gone through and is not recorded: the claim must keep it.
func (s *Service) subscribe(ctx context.Context, user string, plan Plan, card CardInput, claim *subscribeClaim) (_ Subscription, sent bool, _ error) {
	now := s.clock()
	pending := claim.Charge
	if pending == nil || pending.PlanID != plan.ID {
		pm, err := s.payments.Tokenize(ctx, card)
		if err != nil {
			return Subscription{}, false, fmt.Errorf("tokenize card of %s: %w", user, err)
		}
		pending = &firstCharge{PlanID: plan.ID, Start: now, PaymentMethod: pm}
	}
	pm, start := pending.PaymentMethod, pending.Start
	sub := Subscription{UserID: user, PlanID: plan.ID, PaymentMethod: pm, CurrentPeriodStart: start, CreatedAt: now}
	if plan.TrialDays > 0 {
		sub.Status, sub.TrialEnd = Trialing, s.afterDays(start, plan.TrialDays)
		sub.CurrentPeriodEnd = sub.TrialEnd
		out, err := s.storeNewSub(ctx, sub, EventTrialStarted, nil, now)
		return out, false, err
	}
	if pending != claim.Charge {
		if err := s.holdCharge(ctx, user, claim, pending); err != nil {
			return Subscription{}, false, err
		}
	}
	c := s.newCharge(subscribeKey(user, claim.Attempt), user, plan, start, pm)
	res, err := s.send(ctx, c)
	if err != nil {
		s.log.ErrorContext(ctx, "subscription: first charge outcome unknown; nothing subscribed yet, the next Subscribe sends it again",
			"user_id", user, "key", c.key, "err", err)
		return Subscription{}, true, fmt.Errorf("subscribe %s: %w", user, err)
	}
	inv := c.invoice(res, now)
	if !res.Approved {
		s.recordDeclined(ctx, inv)
		return Subscription{}, false, declined(res)
	}
	sub.Status, sub.CurrentPeriodEnd = Active, c.end
	out, err := s.storeNewSub(ctx, sub, EventActivated, &inv, now)
	return out, err != nil, err
}

// holdCharge writes down in user's claim the charge about to be sent, under
// a new attempt when the claim held another plan's: that key's charge
// stays as it was, for reconciliation.
func (s *Service) holdCharge(ctx context.Context, user string, claim *subscribeClaim, pending *firstCharge) error {
	if claim.Charge != nil {
		s.log.ErrorContext(ctx, "subscription: an earlier first charge for another plan may have gone through; reconcile the key",
			"user_id", user, "key", subscribeKey(user, claim.Attempt), "plan_id", claim.Charge.PlanID)
		claim.Attempt = uuid.NewString()
	}
	claim.Charge = pending
	if err := platform.SetJSON(ctx, s.state, claimKey(user), claim, "", false); err != nil {
		return fmt.Errorf("hold first charge of %s: %w", user, err)
	}
	return nil
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

// claimSubscribe takes user's Subscribe claim and returns it: a new
// attempt, or a lapsed claim's attempt with the charge it sent.
// Errors: KindConflict while another Subscribe holds it.
func (s *Service) claimSubscribe(ctx context.Context, user string) (subscribeClaim, error) {
	now := s.clock()
	var claim subscribeClaim
	busy := false
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		var cur subscribeClaim
		etag, err := platform.GetJSON(ctx, s.state, claimKey(user), "", &cur)
		switch {
		case err != nil && !platform.Is(err, platform.KindNotFound):
			return err
		case err == nil && now.Before(cur.Until):
			busy = true
			return nil
		}
		busy = false
		claim = subscribeClaim{Attempt: uuid.NewString(), Until: now.Add(subscribeLease)}
		if err == nil && cur.Charge != nil {
			claim.Attempt, claim.Charge = cur.Attempt, cur.Charge
		}
		return platform.SetJSON(ctx, s.state, claimKey(user), claim, etag, etag == "")
	})
	if err != nil {
		return subscribeClaim{}, fmt.Errorf("claim subscribe of %s: %w", user, err)
	}
	if busy {
		return subscribeClaim{}, conflict("your subscription is being set up already; try again in a moment")
	}
	return claim, nil
}

// lapseClaim ends user's claim at once but keeps the charge it sent, for
// the next Subscribe to send again; a failure leaves the claim to lapse
// after its lease, charge kept all the same.
func (s *Service) lapseClaim(ctx context.Context, user string, claim subscribeClaim) {
	claim.Until = s.clock()
	if err := platform.SetJSON(ctx, s.state, claimKey(user), claim, "", false); err != nil {
		s.log.WarnContext(ctx, "subscription: subscribe claim not lapsed; it lapses after its lease", "user_id", user, "err", err)
	}
}

// releaseClaim drops user's Subscribe claim after a failed Subscribe; a
// failure only delays the next Subscribe until the lease lapses.
func (s *Service) releaseClaim(ctx context.Context, user string) {
	if err := platform.Set(ctx, s.state, platform.Op{Key: claimKey(user), Delete: true}); err != nil {
		s.log.WarnContext(ctx, "subscription: subscribe claim not released; it lapses", "user_id", user, "err", err)
	}
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
// it was charged, and its event, and releases the Subscribe claim.
func (s *Service) storeNewSub(ctx context.Context, sub Subscription, typ string, inv *Invoice, now time.Time) (Subscription, error) {
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
		b.Delete(claimKey(sub.UserID), "")
		out = s.setSub(b, subRecord{Subscription: sub}, etag, typ, now)
		return nil
	})
	if err != nil && inv != nil {
		s.log.ErrorContext(ctx, "subscription: first charge approved but the subscription was not stored; the next Subscribe to the plan sends it again",
			"user_id", sub.UserID, "key", inv.ID, "charge_id", inv.ChargeID, "err", err)
	}
	return out, err
}
