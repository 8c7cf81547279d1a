package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Renew runs the renewal sweep at the service's clock. It first settles
// the first charges that lapsed Subscribe claims hold (see recoverFirst;
// counted as Recovered when a subscription is stored), then goes over every
// subscription: a trial that has ended and an ACTIVE period that has ended
// are charged for the next period, a PAST_DUE one is charged again once
// its retry is due, and a CANCELED one whose period has ended expires.
//
// Each charge carries the deterministic key of what it pays for (see
// renewKey) and is recorded as pending on the subscription before it is
// sent. Sweeps racing on several goroutines or replicas, or run again after
// a crash between a charge and its write, send the same key, and the
// gateway charges once; the outcome is applied with an ETag write that
// only the first sweep wins, and a loser finds the key no longer due. A
// pending charge is settled before anything else happens to its
// subscription, even after a Cancel. A gateway that cannot be reached
// leaves the subscription as it is for the next sweep (counted as
// Deferred), which sends the same key.
//
// Errors: the state's kind when the claims or the subscriptions cannot be
// listed; failures of single subscriptions are logged and counted, not
// returned.
func (s *Service) Renew(ctx context.Context, _ RenewRequest) (RenewResponse, error) {
	// First, so a recovered subscription whose period is already over is
	// renewed by this same sweep.
	total, err := s.recoverClaims(ctx)
	if err != nil {
		return total, op(MethodRenew, err)
	}
	users, err := s.subs.Members(ctx)
	if err != nil {
		return total, op(MethodRenew, err)
	}
	now := s.clock()
	renewed, err := s.sweepUsers(ctx, users, "renewal", func(ctx context.Context, user string) (RenewResponse, error) {
		return s.renewOne(ctx, user, now)
	})
	total = total.plus(renewed)
	if err != nil {
		return total, op(MethodRenew, err)
	}
	return total, nil
}

// sweepUsers runs step for each user in turn and sums the tallies; a user
// whose step fails is counted as Deferred and logged ("<what> left for the
// next sweep"), and the sweep goes on. It stops early, with ctx's error and
// the tally so far, when ctx ends.
func (s *Service) sweepUsers(ctx context.Context, users []string, what string, step func(context.Context, string) (RenewResponse, error)) (RenewResponse, error) {
	var total RenewResponse
	for _, user := range users {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		got, err := step(ctx, user)
		if err != nil {
			total.Deferred++
			s.log.WarnContext(ctx, "subscription: "+what+" left for the next sweep", "user_id", user, "err", err)
			continue
		}
		total = total.plus(got)
	}
	return total, nil
}

// plus returns the sum of two sweep tallies.
func (r RenewResponse) plus(o RenewResponse) RenewResponse {
	return RenewResponse{
		Renewed:   r.Renewed + o.Renewed,
		Activated: r.Activated + o.Activated,
		Failed:    r.Failed + o.Failed,
		Expired:   r.Expired + o.Expired,
		Deferred:  r.Deferred + o.Deferred,
		Recovered: r.Recovered + o.Recovered,
	}
}

// renewOne does what is due for user's subscription at now and returns
// what it did (nothing when another sweep did it first). A charge is
// recorded as pending on the subscription before it is sent, so whatever
// happens next (a crash, a lost answer, a Cancel) the next sweep sends the
// same key again and settles it.
func (s *Service) renewOne(ctx context.Context, user string, now time.Time) (RenewResponse, error) {
	rec, _, found, err := s.findSub(ctx, user)
	switch {
	case err != nil || !found:
		return RenewResponse{}, err
	case rec.inFlight():
	case expiring(rec.Subscription, now):
		return s.expire(ctx, user, now)
	case !chargeDue(rec.Subscription, now):
		return RenewResponse{}, nil
	default:
		if rec, err = s.markPending(ctx, user, now); err != nil || !rec.inFlight() {
			return RenewResponse{}, err
		}
	}
	p := rec.Pending
	c := s.newCharge(p.Key, user, p.Plan, rec.CurrentPeriodEnd, rec.PaymentMethod)
	res, err := s.send(ctx, c)
	if err != nil {
		return RenewResponse{}, fmt.Errorf("subscription: renew %s: %w", user, err)
	}
	got, err := s.settle(ctx, c, p.Due, res, now)
	if err != nil {
		return RenewResponse{}, fmt.Errorf("subscription: renew %s: settle %s: %w", user, c.key, err)
	}
	return got, nil
}

// markPending records on user's subscription the charge it waits for at
// now, before it is sent, and returns the record. A record that is no
// longer due comes back without a pending charge; one whose charge another
// sweep recorded comes back with that (the same key).
func (s *Service) markPending(ctx context.Context, user string, now time.Time) (subRecord, error) {
	var out subRecord
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		rec, etag, err := s.loadSub(ctx, user)
		if out = rec; err != nil || rec.inFlight() || !chargeDue(rec.Subscription, now) {
			return err
		}
		plan, err := s.duePlan(ctx, rec.Subscription)
		if err != nil {
			return err
		}
		rec.Pending = &pendingCharge{Key: dueKey(rec.Subscription), Plan: plan, Due: dueAt(rec.Subscription)}
		if err := platform.SetJSON(ctx, s.state, subKey(user), rec, etag, false); err != nil {
			return err
		}
		out = rec
		return nil
	})
	if err != nil {
		return subRecord{}, fmt.Errorf("subscription: renew %s: mark pending: %w", user, err)
	}
	return out, nil
}

// chargeDue reports whether sub waits for a charge at now: a trial or an
// ACTIVE period that has ended, or a PAST_DUE retry that is due.
func chargeDue(sub Subscription, now time.Time) bool {
	switch sub.Status {
	case Trialing, Active:
		return !sub.CurrentPeriodEnd.After(now)
	case PastDue:
		return !sub.NextRetryAt.After(now)
	default:
		return false
	}
}

// expiring reports whether sub is CANCELED and its period has ended at now.
func expiring(sub Subscription, now time.Time) bool {
	return sub.Status == Canceled && !sub.CurrentPeriodEnd.After(now)
}

// dueAt is when sub's pending charge fell due: the retry time of a PAST_DUE
// subscription, the end of the period otherwise. Retry times count from
// it rather than from the sweep's clock, so every sweep computes the same.
func dueAt(sub Subscription) time.Time {
	if sub.Status == PastDue {
		return sub.NextRetryAt
	}
	return sub.CurrentPeriodEnd
}

// duePlan returns the plan sub's next period is charged for: NextPlanID
// when a change is pending.
func (s *Service) duePlan(ctx context.Context, sub Subscription) (Plan, error) {
	planID := sub.PlanID
	if sub.NextPlanID != "" {
		planID = sub.NextPlanID
	}
	plan, _, err := s.loadPlan(ctx, planID)
	return plan, err
}

// settle applies the outcome of charge c (due at due) to the subscription,
// with its invoice and event, and clears the pending charge, in one
// transaction conditional on the subscription's ETag. When the
// subscription no longer waits for c's key (another sweep applied it
// first) it writes nothing.
func (s *Service) settle(ctx context.Context, c charge, due time.Time, res ChargeResult, now time.Time) (RenewResponse, error) {
	var got RenewResponse
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		got = RenewResponse{}
		rec, etag, err := s.loadSub(ctx, c.userID)
		if err != nil {
			return err
		}
		if dueKey(rec.Subscription) != c.key {
			return s.checkApplied(ctx, c, res)
		}
		typ := ""
		if res.Approved {
			rec.Subscription, typ, got = paid(rec.Subscription, c)
		} else {
			rec.Subscription, typ, got = s.unpaid(rec.Subscription, due)
		}
		if err := s.addInvoice(ctx, b, c.invoice(res, now)); err != nil {
			return err
		}
		rec.Pending = nil
		s.setSub(b, rec, etag, typ, now)
		return nil
	})
	return got, err
}

// checkApplied is settle's answer for a subscription that no longer waits
// for c's key: normally another sweep applied it (its invoice exists); an
// approved charge without an invoice went to a subscription that moved on
// (replaced by a new one), and is logged for a refund.
func (s *Service) checkApplied(ctx context.Context, c charge, res ChargeResult) error {
	_, err := s.state.Get(ctx, invoiceKey(c.key))
	switch {
	case err == nil:
		return nil
	case !platform.Is(err, platform.KindNotFound):
		return fmt.Errorf("check invoice %s: %w", c.key, err)
	case res.Approved:
		s.log.ErrorContext(ctx, "subscription: renewal charged but the subscription moved on; refund it",
			"user_id", c.userID, "key", c.key, "charge_id", res.ChargeID)
	}
	return nil
}

// paid returns sub after charge c went through: ACTIVE for the next
// period, on the plan paid for. A subscription canceled while the charge
// was in flight stays CANCELED but runs to the end of the period paid for.
func paid(sub Subscription, c charge) (Subscription, string, RenewResponse) {
	typ, got := EventRenewed, RenewResponse{Renewed: 1}
	if sub.Status == Trialing {
		typ, got = EventActivated, RenewResponse{Activated: 1}
	}
	sub.PlanID = c.plan.ID
	if sub.NextPlanID == c.plan.ID {
		sub.NextPlanID = ""
	}
	sub.CurrentPeriodStart, sub.CurrentPeriodEnd = c.start, c.end
	sub.FailedAttempts, sub.NextRetryAt = 0, time.Time{}
	switch sub.Status {
	case Canceled, Expired:
		sub.Status, sub.CanceledFrom = Canceled, Active
	default:
		sub.Status = Active
	}
	return sub, typ, got
}

// unpaid returns sub after a declined charge that fell due at due:
// PAST_DUE with the next retry on schedule, or EXPIRED once the schedule
// is spent (or when the subscription was canceled meanwhile).
func (s *Service) unpaid(sub Subscription, due time.Time) (Subscription, string, RenewResponse) {
	sub.FailedAttempts++
	sub.NextRetryAt = time.Time{}
	if sub.Status == Canceled || sub.Status == Expired || sub.FailedAttempts > len(s.cfg.RetrySchedule) {
		sub.Status, sub.CanceledFrom = Expired, ""
		return sub, EventExpired, RenewResponse{Failed: 1, Expired: 1}
	}
	sub.Status = PastDue
	sub.NextRetryAt = due.Add(s.cfg.RetrySchedule[sub.FailedAttempts-1])
	return sub, EventPastDue, RenewResponse{Failed: 1}
}

// expire ends a CANCELED subscription whose period is over, unless a
// renewal charge from before the cancellation is pending (that one settles
// first).
func (s *Service) expire(ctx context.Context, user string, now time.Time) (RenewResponse, error) {
	var got RenewResponse
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		got = RenewResponse{}
		rec, etag, err := s.loadSub(ctx, user)
		if err != nil || rec.inFlight() || !expiring(rec.Subscription, now) {
			return err
		}
		rec.Status, rec.CanceledFrom = Expired, ""
		s.setSub(b, rec, etag, EventExpired, now)
		got.Expired = 1
		return nil
	})
	if err != nil {
		return RenewResponse{}, fmt.Errorf("subscription: expire %s: %w", user, err)
	}
	return got, nil
}
