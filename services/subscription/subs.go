package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// subKey is the state key of a viewer's subscription.
func subKey(userID string) string { return "sub/" + userID }

// subRecord is what "sub/<userId>" stores: the subscription and, from
// before a renewal charge is sent until its outcome is applied, that
// charge (so a charge that may have reached the gateway is always settled,
// even after a crash or a Cancel in between).
type subRecord struct {
	Subscription
	Pending *pendingCharge `json:"pending,omitempty"`
}

// pendingCharge is a renewal charge that may be at the gateway: its key,
// the plan it charges as it was then (the same key must carry the same
// amount), and when it fell due.
type pendingCharge struct {
	Key  string    `json:"key"`
	Plan Plan      `json:"plan"`
	Due  time.Time `json:"due"`
}

// inFlight reports whether r has a pending charge that is still the one
// its subscription waits for.
func (r subRecord) inFlight() bool {
	return r.Pending != nil && r.Pending.Key == dueKey(r.Subscription)
}

// loadSub reads a viewer's subscription record and its ETag.
// Errors: KindNotFound "you have no subscription" when the viewer has none.
func (s *Service) loadSub(ctx context.Context, userID string) (subRecord, string, error) {
	var rec subRecord
	etag, err := platform.GetJSON(ctx, s.state, subKey(userID), "you have no subscription", &rec)
	if err != nil {
		return subRecord{}, "", fmt.Errorf("load subscription of %s: %w", userID, err)
	}
	return rec, etag, nil
}

// findSub is loadSub with a missing subscription as found == false.
func (s *Service) findSub(ctx context.Context, userID string) (rec subRecord, etag string, found bool, err error) {
	rec, etag, err = s.loadSub(ctx, userID)
	if platform.Is(err, platform.KindNotFound) {
		return subRecord{}, "", false, nil
	}
	return rec, etag, err == nil, err
}

// setSub adds to b the write of rec over the record read with etag (a new
// record when etag is empty), with its version bumped and UpdatedAt set,
// and the event typ carrying it. It returns the subscription written.
func (s *Service) setSub(b *platform.Batch, rec subRecord, etag, typ string, now time.Time) Subscription {
	rec.Version++
	rec.UpdatedAt = now
	b.Set(subKey(rec.UserID), rec, etag, etag == "")
	b.Emit(s.subEvent(typ, now, rec.Subscription))
	return rec.Subscription
}

// entitled reports whether sub lets its viewer play at now: TRIALING,
// ACTIVE, or CANCELED until its period ends. PAST_DUE is not.
func entitled(sub Subscription, now time.Time) bool {
	switch sub.Status {
	case Trialing, Active:
		return true
	case Canceled:
		return now.Before(sub.CurrentPeriodEnd)
	default:
		return false
	}
}

// GetSubscription returns the caller's subscription and its plan; Found is
// false when there is none.
//
// Errors: KindUnauthenticated for an anonymous caller; the state's kind
// when it fails.
func (s *Service) GetSubscription(ctx context.Context, req GetSubscriptionRequest) (GetSubscriptionResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return GetSubscriptionResponse{}, op(MethodGetSubscription, err)
	}
	rec, _, found, err := s.findSub(ctx, req.Caller.UserID)
	if err != nil || !found {
		return GetSubscriptionResponse{}, op(MethodGetSubscription, err)
	}
	plan, _, err := s.loadPlan(ctx, rec.PlanID)
	if err != nil {
		return GetSubscriptionResponse{}, op(MethodGetSubscription, err)
	}
	return GetSubscriptionResponse{Found: true, Subscription: rec.Subscription, Plan: plan}, nil
}
