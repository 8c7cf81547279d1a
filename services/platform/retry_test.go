package platform_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
)

func TestRetryConflict(t *testing.T) {
	conflict := platform.Errorf(platform.KindConflict, "changed")
	other := errors.New("disk on fire")
	cases := []struct {
		name      string
		attempts  int
		results   []error // what fn returns on each call; the last one repeats
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", 5, []error{nil}, 1, nil},
		{"succeeds after conflicts", 5, []error{conflict, conflict, nil}, 3, nil},
		{"other error stops at once", 5, []error{other}, 1, other},
		{"conflict after last attempt", 4, []error{conflict}, 4, conflict},
		{"at least one attempt", 0, []error{conflict}, 1, conflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := platform.RetryConflict(context.Background(), tc.attempts, func() error {
				calls++
				return tc.results[min(calls, len(tc.results))-1]
			})
			assert.Equal(t, tc.wantCalls, calls)
			assert.Equal(t, tc.wantErr, err)
		})
	}
}

func TestRetryConflictHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := platform.RetryConflict(ctx, 1000, func() error {
		calls++
		cancel()
		return platform.Errorf(platform.KindConflict, "changed")
	})
	assert.Equal(t, 1, calls)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))
}
