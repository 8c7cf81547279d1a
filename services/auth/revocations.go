package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Recent revocations, kept so that a token verifier started after a
// revocation event (a new BFF replica) can catch up with RecentRevocations.
//
//	revocation/<user id>      the user's latest TokensRevoked
//	revocations/shard/<nn>    platform.KeySet of those user ids
const (
	revocationPrefix = "revocation/"
	revocationSet    = "revocations"
)

// revocationSkew is the clock skew a verifier may tolerate on token times
// (the BFF's authn.DefaultSkew is 30 seconds): a revocation is listed for
// the access token lifetime plus this much, while a token it refuses may
// still be accepted otherwise.
const revocationSkew = time.Minute

// RecentRevocations lists the latest revocation of every user whose
// NotBefore is recent enough to still refuse an unexpired access token
// (within Config.AccessTokenTTL plus a minute of skew), ordered by user id.
// A deleted user is listed with the Reason "user-deleted" and the deletion
// time as NotBefore, which refuses every token the user ever got. Older
// entries are left out and pruned from the state on the way (best effort).
//
// It has no caller check: it is for token verifiers calling auth directly
// (service to service) and must never be exposed through the BFF.
//
// Errors: a failed state read keeps its kind (KindUnavailable).
func (s *Service) RecentRevocations(ctx context.Context, _ RecentRevocationsRequest) (RecentRevocationsResponse, error) {
	ids, err := s.revocations.Members(ctx)
	if err != nil {
		return RecentRevocationsResponse{}, op("RecentRevocations", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = revocationPrefix + id
	}
	items, err := s.state.BulkGet(ctx, keys)
	if err != nil {
		return RecentRevocationsResponse{}, op("RecentRevocations", fmt.Errorf("read revocations: %w", err))
	}
	cutoff := s.clock().Add(-s.cfg.AccessTokenTTL - revocationSkew)
	resp := RecentRevocationsResponse{Revocations: []TokensRevoked{}}
	var stale []platform.Item
	for _, it := range items {
		var r TokensRevoked
		if err := platform.DecodeJSON(it, &r); err != nil {
			return RecentRevocationsResponse{}, op("RecentRevocations", err)
		}
		if r.NotBefore.Before(cutoff) {
			stale = append(stale, it)
			continue
		}
		resp.Revocations = append(resp.Revocations, r)
	}
	s.pruneRevocations(ctx, stale)
	return resp, nil
}

// pruneRevocations deletes expired revocation records and their key set
// members in one transaction, each delete conditional on the ETag read, so
// a revocation written meanwhile survives. Failures are only logged: the
// next listing tries again.
func (s *Service) pruneRevocations(ctx context.Context, stale []platform.Item) {
	if len(stale) == 0 {
		return
	}
	var b platform.Batch
	ids := make([]string, len(stale))
	for i, it := range stale {
		ids[i] = it.Key[len(revocationPrefix):]
		b.Delete(it.Key, it.ETag)
	}
	b.Add(s.revocations.RemoveOps(ctx, ids...))
	err := b.Err()
	if err == nil {
		err = s.state.Transact(ctx, b.Ops())
	}
	if err != nil {
		s.log.DebugContext(ctx, "auth: pruning expired revocations failed; retried on the next listing", "err", err)
	}
}

// recordRevocations adds to b the writes that keep the EventTokensRevoked
// events already emitted in b listable by RecentRevocations: per user, the
// latest NotBefore (of b's events and of the stored record). Call it once,
// after the last Emit and before b commits; the writes are conditional on
// what they read, so a concurrent revocation makes the commit conflict and
// the read-modify-write run again.
func (s *Service) recordRevocations(ctx context.Context, b *platform.Batch) error {
	latest := map[string]TokensRevoked{}
	for _, ev := range b.Events() {
		if ev.Type != EventTokensRevoked {
			continue
		}
		var r TokensRevoked
		if err := ev.Decode(&r); err != nil {
			return fmt.Errorf("record revocation: %w", err)
		}
		if cur, ok := latest[r.UserID]; !ok || r.NotBefore.After(cur.NotBefore) {
			latest[r.UserID] = r
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.recordRevocation(ctx, b, latest[id]); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		b.Add(s.revocations.AddOps(ctx, ids...))
	}
	return nil
}

// recordRevocation adds the write of r to b unless the stored record of the
// user already has a later NotBefore.
func (s *Service) recordRevocation(ctx context.Context, b *platform.Batch, r TokensRevoked) error {
	var stored TokensRevoked
	etag, err := platform.GetJSON(ctx, s.state, revocationPrefix+r.UserID, "", &stored)
	switch {
	case platform.Is(err, platform.KindNotFound):
		b.Set(revocationPrefix+r.UserID, r, "", true)
	case err != nil:
		return fmt.Errorf("record revocation: %w", err)
	default:
		b.Set(revocationPrefix+r.UserID, latestRevocation(stored, r), etag, false)
	}
	return nil
}

// latestRevocation returns the one of a and b with the later NotBefore (b
// on a tie, so the newest reason shows).
func latestRevocation(a, b TokensRevoked) TokensRevoked {
	if a.NotBefore.After(b.NotBefore) {
		return a
	}
	return b
}
