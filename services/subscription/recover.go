package subscription

import (
	"context"
	"fmt"

	"github.com/dflix/dflix/services/platform"
)

// recoverClaims is the sweep's first part: it settles the first charges
// that lapsed claims hold (see recoverFirst), reading only the "charging"
// key set, not every claim. A claim that cannot be settled now is counted
// as Deferred and left for the next sweep.
//
// Errors: the state's kind when the key set cannot be read.
func (s *Service) recoverClaims(ctx context.Context) (RenewResponse, error) {
	users, err := s.charging.Members(ctx)
	if err != nil {
		return RenewResponse{}, err
	}
	return s.sweepUsers(ctx, users, "first charge", s.recoverFirst)
}

// recoverFirst settles the first charge held by user's claim once the
// claim has lapsed (its Subscribe crashed or failed after sending it): it
// takes the claim like a Subscribe would (so a Subscribe racing it waits),
// sends the same charge under the same key, and goes on as that Subscribe
// would have. Approved, the subscription is stored (Recovered), unless the
// viewer has one meanwhile: then nothing is overwritten and a charge whose
// invoice is not that subscription's is logged for a refund. Declined, the
// failed invoice is recorded and the claim released. An unknown outcome
// keeps the claim, lapsed, for the next sweep.
func (s *Service) recoverFirst(ctx context.Context, user string) (RenewResponse, error) {
	claim, taken, err := s.takeClaim(ctx, user, true)
	if err != nil || !taken {
		return RenewResponse{}, err
	}
	plan, _, err := s.loadPlan(ctx, claim.Charge.PlanID)
	if err != nil {
		s.lapseClaim(ctx, user, claim)
		return RenewResponse{}, fmt.Errorf("subscription: recover first charge of %s: %w", user, err)
	}
	key := subscribeKey(user, claim.Attempt)
	_, keep, err := s.chargeFirst(ctx, user, plan, claim, s.clock())
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "subscription: first charge recovered; subscription stored", "user_id", user, "key", key)
		return RenewResponse{Recovered: 1}, nil
	case !keep:
		s.log.InfoContext(ctx, "subscription: recovered first charge declined; nothing subscribed", "user_id", user, "key", key)
		s.releaseClaim(ctx, user, claim)
		return RenewResponse{}, nil
	case platform.Is(err, platform.KindConflict):
		return s.settleSubscribed(ctx, user, claim, err)
	}
	s.lapseClaim(ctx, user, claim)
	return RenewResponse{}, fmt.Errorf("subscription: recover first charge of %s: %w", user, err)
}

// settleSubscribed ends user's claim whose approved first charge found a
// subscription in place (stored by the same charge before its answer was
// lost, or by a later Subscribe): that subscription stays, and a charge
// without its invoice is logged for a refund. failed is the store's
// error; when no subscription is found after all (the store lost races
// instead) the claim is kept for the next sweep.
func (s *Service) settleSubscribed(ctx context.Context, user string, claim subscribeClaim, failed error) (RenewResponse, error) {
	key := subscribeKey(user, claim.Attempt)
	err := s.checkNoSub(ctx, user)
	if !platform.Is(err, platform.KindConflict) {
		s.lapseClaim(ctx, user, claim)
		return RenewResponse{}, fmt.Errorf("subscription: recover first charge of %s: %w", user, failed)
	}
	_, err = s.state.Get(ctx, invoiceKey(key))
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "subscription: recovered first charge was recorded already", "user_id", user, "key", key)
	case !platform.Is(err, platform.KindNotFound):
		s.lapseClaim(ctx, user, claim)
		return RenewResponse{}, fmt.Errorf("subscription: recover first charge of %s: check invoice: %w", user, err)
	default:
		s.log.ErrorContext(ctx, "subscription: first charge approved but the viewer has another subscription; refund it",
			"user_id", user, "key", key, "plan_id", claim.Charge.PlanID)
	}
	s.releaseClaim(ctx, user, claim)
	return RenewResponse{}, nil
}
