package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// charge is one charge attempt: who pays, for which plan and period, with
// which card, under which idempotency key. The key is also the id of the
// attempt's invoice.
type charge struct {
	key    string
	userID string
	plan   Plan      // the plan paid for
	start  time.Time // the period paid for: [start, end)
	end    time.Time
	pm     PaymentMethod // the card
}

// newCharge returns the charge of plan's period from start for user.
func (s *Service) newCharge(key, user string, plan Plan, start time.Time, pm PaymentMethod) charge {
	return charge{key: key, userID: user, plan: plan, start: start, end: s.periodEnd(start, plan.Period), pm: pm}
}

// renewKey is the idempotency key of a renewal charge: the viewer, the
// start of the period being paid for (Unix seconds) and the attempt number
// (1 for the first charge of that period, 2 for its first retry, ...).
// Every sweep that finds the same renewal due derives the same key, so the
// gateway charges it at most once however often it is sent.
func renewKey(userID string, periodStart time.Time, attempt int) string {
	return fmt.Sprintf("renew:%s:%d:%d", userID, periodStart.Unix(), attempt)
}

// dueKey is the key of the charge sub is waiting for: the period after
// CurrentPeriodEnd (a trial's end for a trial), at attempt FailedAttempts+1.
// Once an outcome is applied the period or the attempt moves on, so the key
// changes: a stale sweep whose key no longer matches knows its outcome is
// already in.
func dueKey(sub Subscription) string {
	return renewKey(sub.UserID, sub.CurrentPeriodEnd, sub.FailedAttempts+1)
}

// subscribeKey is the idempotency key of the first charge of a Subscribe
// call; attempt is unique per call (see claimSubscribe).
func subscribeKey(userID, attempt string) string {
	return "subscribe:" + userID + ":" + attempt
}

// send charges c. A free plan is approved without the gateway.
//
// Errors: the gateway's (KindUnavailable: the outcome is unknown, send the
// same key again).
func (s *Service) send(ctx context.Context, c charge) (ChargeResult, error) {
	if c.plan.PriceMinor == 0 {
		return ChargeResult{Approved: true}, nil
	}
	res, err := s.payments.Charge(ctx, ChargeRequest{
		IdempotencyKey: c.key,
		Token:          c.pm.Token,
		AmountMinor:    c.plan.PriceMinor,
		Currency:       c.plan.Currency,
		Description:    fmt.Sprintf("dflix %s (%s) from %s", c.plan.Name, c.plan.Period, c.start.Format(time.DateOnly)),
	})
	if err != nil {
		if platform.KindOf(err) == platform.KindInternal {
			err = platform.E(platform.KindUnavailable, "payment gateway unavailable, try again", err)
		}
		return ChargeResult{}, fmt.Errorf("charge %s: %w", c.key, err)
	}
	s.log.InfoContext(ctx, "subscription: charged", "user_id", c.userID, "key", c.key,
		"approved", res.Approved, "decline_reason", res.DeclineReason, "charge_id", res.ChargeID)
	return res, nil
}

// invoice is the record of c's outcome, written at now.
func (c charge) invoice(res ChargeResult, now time.Time) Invoice {
	inv := Invoice{
		ID:             c.key,
		UserID:         c.userID,
		PlanID:         c.plan.ID,
		AmountMinor:    c.plan.PriceMinor,
		Currency:       c.plan.Currency,
		Status:         InvoicePaid,
		PeriodStart:    c.start,
		PeriodEnd:      c.end,
		ChargeID:       res.ChargeID,
		IdempotencyKey: c.key,
		Brand:          c.pm.Brand,
		Last4:          c.pm.Last4,
		CreatedAt:      now,
	}
	if !res.Approved {
		inv.Status, inv.DeclineReason = InvoiceFailed, res.DeclineReason
	}
	return inv
}

// declined is the error a viewer sees for a declined charge.
func declined(res ChargeResult) error {
	msg := "your card was declined"
	if res.DeclineReason != "" {
		msg += " (" + res.DeclineReason + ")"
	}
	return platform.Coded(platform.KindInvalid, CodePaymentDeclined, msg, nil)
}
