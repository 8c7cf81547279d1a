package authn

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// RevocationSource is what Revocations needs from the auth service to
// catch up with revocations published before it subscribed.
type RevocationSource interface {
	RecentRevocations(ctx context.Context, req auth.RecentRevocationsRequest) (auth.RecentRevocationsResponse, error)
}

// Catch-up timing.
const (
	// catchupRetry is the least time between two catch-up attempts made by
	// Ready (requests and probes), so a down auth is not called per request.
	catchupRetry = time.Second
	// Run's backoff between failed attempts doubles from the first to the
	// last value.
	catchupBackoffMin = 200 * time.Millisecond
	catchupBackoffMax = 10 * time.Second
)

// Ready reports whether the set has caught up with auth, trying once now if
// not (at most once per second across callers; the failure of the last try
// is returned in between). Verifier.Verify calls it, so no token is
// accepted before the catch-up.
//
// Errors: KindUnavailable while auth cannot list its revocations.
func (r *Revocations) Ready(ctx context.Context) error {
	return r.catchUp(ctx, false)
}

// catchUp is Ready; force ignores the rate limit (Run's own backoff).
func (r *Revocations) catchUp(ctx context.Context, force bool) error {
	if r.Loaded() {
		return nil
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if r.Loaded() {
		return nil
	}
	now := r.clock()
	if !force && !r.triedAt.IsZero() && now.Sub(r.triedAt) < catchupRetry {
		return r.lastErr
	}
	r.triedAt = now
	r.lastErr = r.fetch(ctx)
	return r.lastErr
}

// fetch lists auth's recent revocations and loads them.
func (r *Revocations) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	resp, err := r.src.RecentRevocations(ctx, auth.RecentRevocationsRequest{})
	if err != nil {
		return platform.E(platform.KindUnavailable, "token revocations not loaded yet", fmt.Errorf("list recent revocations: %w", err))
	}
	r.Load(resp.Revocations)
	return nil
}

// Run catches up with auth in the background: it tries at once and then
// with a doubling backoff (auth may start after the BFF) until a try
// succeeds or ctx is done, and returns nil either way.
func (r *Revocations) Run(ctx context.Context) error {
	wait := catchupBackoffMin
	for {
		if r.catchUp(ctx, true) == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, catchupBackoffMax)
	}
}
