package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"golang.org/x/sync/singleflight"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// JWKSSource is what the key cache needs from the auth service.
type JWKSSource interface {
	JWKS(ctx context.Context, req auth.JWKSRequest) (auth.JWKSResponse, error)
}

// Default refresh policy of a Keys cache.
const (
	// DefaultMinRefresh is the least time between two fetches of the key
	// set, however many unknown kids arrive.
	DefaultMinRefresh = 10 * time.Second
	// DefaultMaxAge is how long a fetched key set is used before it is
	// fetched again on the next verification.
	DefaultMaxAge = time.Hour
	fetchTimeout  = 10 * time.Second
)

// Keys caches the auth service's JWKS. It is safe for concurrent use.
type Keys struct {
	src        JWKSSource
	clock      platform.Clock
	minRefresh time.Duration
	maxAge     time.Duration
	group      singleflight.Group

	mu        sync.RWMutex
	set       jwk.Set
	doc       []byte // the JWKS document as fetched, for the passthrough
	fetchedAt time.Time
	triedAt   time.Time
}

// NewKeys returns an empty cache over src; the first Lookup fetches.
// minRefresh and maxAge of zero take the defaults.
func NewKeys(src JWKSSource, clock platform.Clock, minRefresh, maxAge time.Duration) *Keys {
	if minRefresh <= 0 {
		minRefresh = DefaultMinRefresh
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Keys{src: src, clock: clock, minRefresh: minRefresh, maxAge: maxAge}
}

// Lookup returns the key with the given kid. A kid missing from the cached
// set (or a cache older than its max age) triggers a refetch, rate-limited
// to one per refresh interval and shared by concurrent callers.
//
// Errors: KindUnauthenticated for a kid that is not in the (refreshed) set;
// KindUnavailable when no key set could be fetched at all.
func (k *Keys) Lookup(ctx context.Context, kid string) (jwk.Key, error) {
	set, stale := k.current()
	if set != nil && !stale {
		if key, ok := set.LookupKeyID(kid); ok {
			return key, nil
		}
	}
	set, err := k.refresh(ctx)
	if set == nil {
		return nil, err
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return key, nil
	}
	return nil, platform.E(platform.KindUnauthenticated, "access token signed by an unknown key", nil)
}

// Document returns the JWKS document ({"keys":[...]}) as last fetched,
// fetching it again when it is older than maxAge (rate-limited like
// Lookup; a failed refetch serves the older document).
//
// Errors: KindUnavailable when no document could be fetched at all.
func (k *Keys) Document(ctx context.Context, maxAge time.Duration) ([]byte, error) {
	k.mu.RLock()
	doc, age := k.doc, k.clock().Sub(k.fetchedAt)
	k.mu.RUnlock()
	if doc != nil && age <= maxAge {
		return doc, nil
	}
	_, err := k.refresh(ctx)
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.doc == nil {
		return nil, err
	}
	return k.doc, nil
}

// Ready reports whether a key set is loaded, trying to load one if not.
//
// Errors: KindUnavailable.
func (k *Keys) Ready(ctx context.Context) error {
	if set, _ := k.current(); set != nil {
		return nil
	}
	_, err := k.refresh(ctx)
	return err
}

func (k *Keys) current() (jwk.Set, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.set, k.set != nil && k.clock().Sub(k.fetchedAt) > k.maxAge
}

// refresh fetches the key set unless a fetch was tried within the refresh
// interval, and returns the set in use afterwards (possibly the old one,
// possibly nil) with the fetch error, if any.
func (k *Keys) refresh(ctx context.Context) (jwk.Set, error) {
	v, err, _ := k.group.Do("jwks", func() (any, error) {
		k.mu.RLock()
		recent := !k.triedAt.IsZero() && k.clock().Sub(k.triedAt) < k.minRefresh
		set := k.set
		k.mu.RUnlock()
		if recent {
			if set == nil {
				return nil, platform.E(platform.KindUnavailable, "auth keys not loaded yet", nil)
			}
			return set, nil
		}
		return k.fetch(ctx)
	})
	set, _ := v.(jwk.Set)
	if set == nil {
		k.mu.RLock()
		set = k.set
		k.mu.RUnlock()
	}
	return set, err
}

func (k *Keys) fetch(ctx context.Context) (jwk.Set, error) {
	now := k.clock()
	k.mu.Lock()
	k.triedAt = now
	k.mu.Unlock()
	// The fetch serves every caller waiting on it: one caller giving up must
	// not fail the others.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	resp, err := k.src.JWKS(ctx, auth.JWKSRequest{})
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "auth keys unavailable", fmt.Errorf("fetch jwks: %w", err))
	}
	doc, err := json.Marshal(resp)
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "auth keys unavailable", fmt.Errorf("encode jwks: %w", err))
	}
	set, err := parseSet(doc)
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "auth keys unavailable", err)
	}
	k.mu.Lock()
	k.set, k.doc, k.fetchedAt = set, doc, now
	k.mu.Unlock()
	return set, nil
}

// parseSet parses a JWKS and keeps only public asymmetric keys that have a
// kid: a symmetric or private key in the set is never used to verify.
func parseSet(doc []byte) (jwk.Set, error) {
	parsed, err := jwk.Parse(bytes.TrimSpace(doc))
	if err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	set := jwk.NewSet()
	for i := range parsed.Len() {
		key, _ := parsed.Key(i)
		if key.KeyID() == "" || !isPublic(key) {
			continue
		}
		if err := set.AddKey(key); err != nil {
			return nil, fmt.Errorf("jwks key %q: %w", key.KeyID(), err)
		}
	}
	return set, nil
}

func isPublic(key jwk.Key) bool {
	switch key.(type) {
	case jwk.RSAPublicKey, jwk.ECDSAPublicKey, jwk.OKPPublicKey:
		return true
	}
	return false
}
