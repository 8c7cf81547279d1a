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
	Attempt string    `json:"attempt"` // unique per call; part of the charge's idempotency key
	Until   time.Time `json:"until"`
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
	attempt, err := s.claimSubscribe(ctx, user)
	if err != nil {
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	// Checked under the claim: a Subscribe that finished a moment ago is
	// seen here, so no second card is charged.
	err = s.checkNoSub(ctx, user)
	var sub Subscription
	if err == nil {
		sub, err = s.subscribe(ctx, user, plan, req.Card, attempt)
	}
	if err != nil {
		s.releaseClaim(ctx, user)
		return SubscribeResponse{}, op(MethodSubscribe, err)
	}
	return SubscribeResponse{Subscription: sub}, nil
}

// subscribe tokenizes the card, charges the first period unless the plan
// has a trial, and stores the subscription (releasing the claim).
func (s *Service) subscribe(ctx context.Context, user string, plan Plan, card CardInput, attempt string) (Subscription, error) {
	pm, err := s.payments.Tokenize(ctx, card)
	if err != nil {
		return Subscription{}, fmt.Errorf("tokenize card of %s: %w", user, err)
	}
	now := s.clock()
	sub := Subscription{UserID: user, PlanID: plan.ID, PaymentMethod: pm, CurrentPeriodStart: now, CreatedAt: now}
	if plan.TrialDays > 0 {
		sub.Status, sub.TrialEnd = Trialing, s.afterDays(now, plan.TrialDays)
		sub.CurrentPeriodEnd = sub.TrialEnd
		return s.storeNewSub(ctx, sub, EventTrialStarted, nil, now)
	}
	c := s.newCharge(subscribeKey(user, attempt), user, plan, now, pm)
	res, err := s.send(ctx, c)
	if err != nil {
		s.log.ErrorContext(ctx, "subscription: first charge outcome unknown; nothing subscribed, reconcile the key",
			"user_id", user, "key", c.key, "err", err)
		return Subscription{}, fmt.Errorf("subscribe %s: %w", user, err)
	}
	inv := c.invoice(res, now)
	if !res.Approved {
		s.recordDeclined(ctx, inv)
		return Subscription{}, declined(res)
	}
	sub.Status, sub.CurrentPeriodEnd = Active, c.end
	return s.storeNewSub(ctx, sub, EventActivated, &inv, now)
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

// claimSubscribe takes user's Subscribe claim and returns the attempt id
// it holds. Errors: KindConflict while another Subscribe holds it.
func (s *Service) claimSubscribe(ctx context.Context, user string) (string, error) {
	attempt, now := uuid.NewString(), s.clock()
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
		return platform.SetJSON(ctx, s.state, claimKey(user), subscribeClaim{Attempt: attempt, Until: now.Add(subscribeLease)}, etag, etag == "")
	})
	if err != nil {
		return "", fmt.Errorf("claim subscribe of %s: %w", user, err)
	}
	if busy {
		return "", conflict("your subscription is being set up already; try again in a moment")
	}
	return attempt, nil
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
		s.log.ErrorContext(ctx, "subscription: first charge approved but the subscription was not stored; refund it",
			"user_id", sub.UserID, "key", inv.ID, "charge_id", inv.ChargeID, "err", err)
	}
	return out, err
}
