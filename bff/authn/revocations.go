package authn

import (
	"context"
	"sync"
	"time"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// Revocations remembers, per user, the instant before which their access
// tokens are refused, and which users were deleted (refused forever). It is
// fed by the auth service's events on every BFF replica, and catches up
// once with the revocations auth still lists (see Ready and Run), so a
// replica started after a revocation event refuses the token as well.
// Handle and Load are idempotent and order-insensitive (the latest
// NotBefore wins).
type Revocations struct {
	clock  platform.Clock
	retain time.Duration
	src    RevocationSource // nil: nothing to catch up with

	loadMu  sync.Mutex // one catch-up at a time
	triedAt time.Time  // guarded by loadMu
	lastErr error      // guarded by loadMu

	mu        sync.RWMutex
	loaded    bool // Load ran
	notBefore map[string]time.Time
	deleted   map[string]struct{}
}

// NewRevocations returns an empty set that catches up from src (nil means
// events only: ready at once). A NotBefore older than retain is forgotten
// (every token it refuses has expired by then), so retain should be at
// least the access token lifetime plus the tolerated skew.
func NewRevocations(clock platform.Clock, retain time.Duration, src RevocationSource) *Revocations {
	return &Revocations{clock: clock, retain: retain, src: src, notBefore: map[string]time.Time{}, deleted: map[string]struct{}{}}
}

// Load merges revocations listed by auth.Service.RecentRevocations with
// those seen so far (per user the latest NotBefore wins, so it commutes
// with Handle) and marks the set caught up.
func (r *Revocations) Load(list []auth.TokensRevoked) {
	for _, rev := range list {
		r.Revoke(rev.UserID, rev.NotBefore)
	}
	r.prune(r.clock().Add(-r.retain))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loaded = true
}

// Loaded reports whether the set has caught up with auth (Load ran), or
// has no source to catch up with.
func (r *Revocations) Loaded() bool {
	if r.src == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.loaded
}

// Handle applies one event of auth.Topic; it is a platform.Handler.
// user.tokens-revoked moves the user's NotBefore forward, user.deleted
// revokes the user forever; other events are acknowledged and ignored. A
// payload that does not decode is dropped to the dead-letter topic.
func (r *Revocations) Handle(_ context.Context, ev platform.Event) error {
	switch ev.Type {
	case auth.EventTokensRevoked:
		var p auth.TokensRevoked
		if err := ev.Decode(&p); err != nil {
			return err
		}
		r.Revoke(p.UserID, p.NotBefore)
	case auth.EventUserDeleted:
		var p auth.UserDeleted
		if err := ev.Decode(&p); err != nil {
			return err
		}
		r.Delete(p.UserID)
	}
	r.prune(r.clock().Add(-r.retain))
	return nil
}

// Revoke refuses the user's tokens issued before notBefore.
func (r *Revocations) Revoke(userID string, notBefore time.Time) {
	if userID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if notBefore.After(r.notBefore[userID]) {
		r.notBefore[userID] = notBefore
	}
}

// Delete refuses every token of the user.
func (r *Revocations) Delete(userID string) {
	if userID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted[userID] = struct{}{}
}

// prune forgets NotBefore instants older than cutoff.
func (r *Revocations) prune(cutoff time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, nb := range r.notBefore {
		if nb.Before(cutoff) {
			delete(r.notBefore, id)
		}
	}
}

// Check returns KindUnauthenticated when a token of userID issued at
// issuedAt has been revoked.
func (r *Revocations) Check(userID string, issuedAt time.Time) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, gone := r.deleted[userID]; gone {
		return unauthenticated("access token revoked", nil)
	}
	if nb, ok := r.notBefore[userID]; ok && issuedAt.Before(nb) {
		return unauthenticated("access token revoked", nil)
	}
	return nil
}
