package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// subscribeLease is how long a Subscribe in progress (or a sweep resending
// a first charge) holds its viewer's claim; a claim left by a crashed
// holder lapses after it.
const subscribeLease = 2 * time.Minute

// claimKey is the state key of a viewer's Subscribe in progress.
func claimKey(userID string) string { return "subscribing/" + userID }

// subscribeClaim marks a viewer's Subscribe in progress, so two calls at
// once (a double click, a client retry, a sweep) cannot both charge the
// card.
type subscribeClaim struct {
	Attempt string `json:"attempt"` // part of the charge's idempotency key
	// Holder is unique per taking of the claim: whoever took a lapsed claim
	// over from a holder that overran its lease changed it, so the late
	// holder's writes leave the claim alone.
	Holder string    `json:"holder,omitempty"`
	Until  time.Time `json:"until"`
	// Charge is the first charge, written down before it is sent. A
	// Subscribe that sent it and then failed (its answer lost, the
	// subscription not stored, a crash) leaves the claim behind, lapsed,
	// and the sweep (or the next Subscribe to the same plan) sends the same
	// charge under the same key: the gateway charges the card once, however
	// often it is retried. While a claim holds a charge its viewer is a
	// member of the key set "charging", which the sweep reads.
	Charge *firstCharge `json:"charge,omitempty"`
}

// firstCharge is what makes a first charge the same when it is sent again.
type firstCharge struct {
	PlanID        string        `json:"planId"`
	Start         time.Time     `json:"start"`
	PaymentMethod PaymentMethod `json:"paymentMethod"`
	// Plan is the plan as charged (a price change meanwhile must not change
	// the body sent again under the key); nil in claims written before it
	// was kept, which are charged at the plan's current price.
	Plan *Plan `json:"plan,omitempty"`
}

// claimSubscribe takes user's Subscribe claim and returns it: a new
// attempt, or a lapsed claim's attempt with the charge it sent.
// Errors: KindConflict while another Subscribe (or a sweep) holds it.
func (s *Service) claimSubscribe(ctx context.Context, user string) (subscribeClaim, error) {
	claim, taken, err := s.takeClaim(ctx, user, false)
	if err != nil {
		return subscribeClaim{}, err
	}
	if !taken {
		return subscribeClaim{}, conflict("your subscription is being set up already; try again in a moment")
	}
	return claim, nil
}

// takeClaim takes user's claim when it is free (absent or lapsed), in a
// write conditional on its ETag, so of a Subscribe and a sweep taking the
// same lapsed claim at once exactly one gets it. A lapsed claim's attempt
// and charge carry over. With chargedOnly (the sweep) only a lapsed claim
// holding a charge is taken. taken is false when the claim was not free.
func (s *Service) takeClaim(ctx context.Context, user string, chargedOnly bool) (claim subscribeClaim, taken bool, _ error) {
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var cur subscribeClaim
		etag, err := platform.GetJSON(ctx, s.state, claimKey(user), "", &cur)
		found := err == nil
		switch {
		case err != nil && !platform.Is(err, platform.KindNotFound):
			return err
		case found && now.Before(cur.Until), chargedOnly && (!found || cur.Charge == nil):
			taken = false
			return nil
		}
		taken = true
		claim = subscribeClaim{Attempt: uuid.NewString(), Holder: uuid.NewString(), Until: now.Add(subscribeLease)}
		if found && cur.Charge != nil {
			claim.Attempt, claim.Charge = cur.Attempt, cur.Charge
		}
		b.Set(claimKey(user), claim, etag, !found)
		return nil
	})
	if err != nil {
		return subscribeClaim{}, false, fmt.Errorf("claim subscribe of %s: %w", user, err)
	}
	return claim, taken, nil
}

// holdCharge writes down in user's claim the charge about to be sent, under
// a new attempt when the claim held another plan's: that key's charge
// stays as it was, for reconciliation. claim changes only once written.
func (s *Service) holdCharge(ctx context.Context, user string, claim *subscribeClaim, pending *firstCharge) error {
	next := *claim
	if claim.Charge != nil {
		s.log.ErrorContext(ctx, "subscription: an earlier first charge for another plan may have gone through; reconcile the key",
			"user_id", user, "key", subscribeKey(user, claim.Attempt), "plan_id", claim.Charge.PlanID)
		next.Attempt = uuid.NewString()
	}
	next.Charge = pending
	ours, err := s.writeClaim(ctx, user, claim.Holder, &next)
	switch {
	case err != nil:
		return fmt.Errorf("hold first charge of %s: %w", user, err)
	case !ours:
		return conflict("your subscription is being set up already; try again in a moment")
	}
	*claim = next
	return nil
}

// lapseClaim ends user's claim at once but keeps the charge it holds, for
// the sweep (or the next Subscribe) to send again; a failure leaves the
// claim to lapse after its lease, charge kept all the same.
func (s *Service) lapseClaim(ctx context.Context, user string, claim subscribeClaim) {
	claim.Until = s.clock()
	if _, err := s.writeClaim(ctx, user, claim.Holder, &claim); err != nil {
		s.log.WarnContext(ctx, "subscription: subscribe claim not lapsed; it lapses after its lease", "user_id", user, "err", err)
	}
}

// releaseClaim drops user's claim once nothing it holds is left to do; a
// failure only delays the next Subscribe until the lease lapses (and
// leaves a held charge to the sweep).
func (s *Service) releaseClaim(ctx context.Context, user string, claim subscribeClaim) {
	if _, err := s.writeClaim(ctx, user, claim.Holder, nil); err != nil {
		s.log.WarnContext(ctx, "subscription: subscribe claim not released; it lapses", "user_id", user, "err", err)
	}
}

// writeClaim replaces user's claim with next (nil deletes it) if holder
// still holds it; ours is false when the claim is gone or another holder
// took it over.
func (s *Service) writeClaim(ctx context.Context, user, holder string, next *subscribeClaim) (ours bool, _ error) {
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var err error
		ours, err = s.addClaimOps(ctx, b, user, holder, next)
		return err
	})
	return ours, err
}

// addClaimOps adds to b the replacement of user's claim with next (nil
// deletes it), conditional on the claim's ETag, with the "charging" key set
// kept in step (a member exactly while the claim holds a charge). It adds
// nothing and reports false when holder no longer holds the claim.
func (s *Service) addClaimOps(ctx context.Context, b *platform.Batch, user, holder string, next *subscribeClaim) (ours bool, _ error) {
	var cur subscribeClaim
	etag, err := platform.GetJSON(ctx, s.state, claimKey(user), "", &cur)
	switch {
	case platform.Is(err, platform.KindNotFound):
		return false, nil
	case err != nil:
		return false, err
	case cur.Holder != holder:
		return false, nil
	}
	if next == nil {
		b.Delete(claimKey(user), etag)
	} else {
		b.Set(claimKey(user), next, etag, false)
	}
	// Both are no-ops for a member already in (or out of) the set; asked
	// every time, a claim written before the set existed joins it too.
	if next != nil && next.Charge != nil {
		b.Add(s.charging.AddOps(ctx, user))
	} else {
		b.Add(s.charging.RemoveOps(ctx, user))
	}
	return true, nil
}
