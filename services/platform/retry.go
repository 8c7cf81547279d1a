package platform

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff bounds for RetryConflict: the first wait is around retryBase and
// each further wait doubles, up to retryCap.
const (
	retryBase = 2 * time.Millisecond
	retryCap  = 250 * time.Millisecond
)

// RetryConflict runs fn up to attempts times (at least once) while it returns
// a KindConflict error, waiting a short jittered backoff between runs, and
// returns the last error (nil once fn succeeds). fn must redo its whole
// read-modify-write, since a conflict means what it read is stale.
//
// Errors: any error fn returns that is not a conflict comes back at once;
// KindConflict after the last attempt; the context's error (KindUnavailable)
// when ctx ends while waiting.
func RetryConflict(ctx context.Context, attempts int, fn func() error) error {
	var err error
	for i := range max(attempts, 1) {
		if i > 0 {
			if werr := waitRetry(ctx, i); werr != nil {
				return fmt.Errorf("retry after conflict: %w (last: %v)", werr, err)
			}
		}
		err = fn()
		if !Is(err, KindConflict) {
			return err
		}
	}
	return err
}

// waitRetry sleeps before retry number n (from 1) unless ctx ends first.
func waitRetry(ctx context.Context, n int) error {
	d := min(retryBase<<min(n-1, 16), retryCap)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
