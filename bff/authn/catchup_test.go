package authn_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// revocationSource is a fake auth RecentRevocations that fails while down.
type revocationSource struct {
	mu    sync.Mutex
	down  bool
	list  []auth.TokensRevoked
	calls int
}

func (s *revocationSource) RecentRevocations(context.Context, auth.RecentRevocationsRequest) (auth.RecentRevocationsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return auth.RecentRevocationsResponse{}, platform.E(platform.KindUnavailable, "auth unreachable", errors.New("connection refused"))
	}
	return auth.RecentRevocationsResponse{Revocations: s.list}, nil
}

func (s *revocationSource) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *revocationSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// withSource rebuilds f's revocations and verifier over src.
func (f *fixture) withSource(src authn.RevocationSource) {
	keys := authn.NewKeys(f.src, f.clock.Now, 10*time.Second, time.Hour)
	f.revocations = authn.NewRevocations(f.clock.Now, time.Hour, src)
	f.verifier = authn.NewVerifier(keys, f.revocations, f.clock.Now, 30*time.Second)
}

func TestCatchUpRefusesWithoutEvent(t *testing.T) {
	tests := []struct {
		name     string
		issuedAt time.Duration // relative to the listed NotBefore (t0)
		reason   string
		revoked  bool
	}{
		{"issued before NotBefore", -time.Minute, "password-changed", true},
		{"deleted user", -time.Minute, "user-deleted", true},
		{"issued at NotBefore", 0, "password-changed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.withSource(&revocationSource{list: []auth.TokensRevoked{{UserID: "user-1", NotBefore: t0, Reason: tt.reason}}})
			f.clock.Set(t0.Add(time.Minute))
			_, err := f.verifier.Verify(context.Background(), sign(t, f.key, validClaims(t0.Add(tt.issuedAt))))
			if tt.revoked {
				assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err), "err: %v", err)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestCatchUpReadiness(t *testing.T) {
	f := newFixture(t)
	src := &revocationSource{down: true, list: []auth.TokensRevoked{{UserID: "user-1", NotBefore: t0, Reason: "role-changed"}}}
	f.withSource(src)
	ctx := context.Background()
	f.clock.Set(t0.Add(time.Minute))
	token := sign(t, f.key, validClaims(t0.Add(-time.Minute)))

	assert.False(t, f.revocations.Loaded())
	require.Error(t, f.revocations.Ready(ctx))
	_, err := f.verifier.Verify(ctx, token)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "no token is accepted before the catch-up")
	assert.Equal(t, 1, src.count(), "retries are rate-limited")

	src.setDown(false)
	require.Error(t, f.revocations.Ready(ctx), "the last failure stands within the retry interval")
	f.clock.Advance(2 * time.Second)
	require.NoError(t, f.revocations.Ready(ctx))
	assert.True(t, f.revocations.Loaded())
	_, err = f.verifier.Verify(ctx, token)
	assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err), "refused right after the load")
	assert.Equal(t, 2, src.count(), "loaded once")
}

func TestCatchUpRunRetries(t *testing.T) {
	f := newFixture(t)
	src := &revocationSource{down: true}
	f.withSource(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.revocations.Run(ctx) }()
	require.Eventually(t, func() bool { return src.count() >= 2 }, 5*time.Second, 10*time.Millisecond, "Run retries while auth is down (with a frozen clock)")
	assert.False(t, f.revocations.Loaded())
	src.setDown(false)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not finish once auth was up")
	}
	assert.True(t, f.revocations.Loaded())
}

func TestLoadMergesWithEvents(t *testing.T) {
	f := newFixture(t)
	f.withSource(&revocationSource{})
	ctx := context.Background()
	require.NoError(t, f.revocations.Handle(ctx, revokedEvent(t0)(t)))
	f.revocations.Load([]auth.TokensRevoked{{UserID: "user-1", NotBefore: t0.Add(-time.Hour), Reason: "old"}})
	f.revocations.Load([]auth.TokensRevoked{{UserID: "user-1", NotBefore: t0.Add(-time.Hour), Reason: "old"}})
	f.clock.Set(t0.Add(time.Minute))
	_, err := f.verifier.Verify(ctx, sign(t, f.key, validClaims(t0.Add(-time.Minute))))
	assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err), "an older listed NotBefore does not undo a newer event")
	_, err = f.verifier.Verify(ctx, sign(t, f.key, validClaims(t0)))
	require.NoError(t, err)
}
