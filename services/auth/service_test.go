package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

func TestNewRejectsMissingDependencies(t *testing.T) {
	f := newFixture(t)
	_, err := New(Config{}, nil, f.pub, nil, nil)
	require.Error(t, err)
	_, err = New(Config{}, f.state, nil, nil, nil)
	require.Error(t, err)
	_, err = New(Config{Argon2: Argon2Params{MemoryKiB: 1}}, f.state, f.pub, nil, nil)
	require.Error(t, err, "argon2 memory below 8 KiB per lane")
	_, err = New(Config{Argon2: Argon2Params{MemoryKiB: 1 << 30}}, f.state, f.pub, nil, nil)
	require.Error(t, err, "argon2 memory above 1 GiB")
}

// headerKID returns the kid in a token's protected header.

func TestConcurrentRegistrationOfOneEmail(t *testing.T) {
	f := newFixture(t)
	replica := f.newService(t, f.state)
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		svc := f.svc
		if i%2 == 1 {
			svc = replica
		}
		wg.Go(func() {
			_, errs[i] = svc.Register(t.Context(), RegisterRequest{Email: "race@example.com", Password: testPassword, DisplayName: fmt.Sprint(i)})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		requireKind(t, err, platform.KindConflict, "email already registered")
	}
	assert.Equal(t, 1, won)
	root := admin(t, f.svc)
	list, err := f.svc.ListUsers(t.Context(), ListUsersRequest{Caller: root})
	require.NoError(t, err)
	assert.Equal(t, 2, list.TotalCount)
	assert.Len(t, f.pub.OfType(EventUserRegistered), 2)
}

func TestConcurrentRegistrationsAllLand(t *testing.T) {
	f := newFixture(t)
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := f.svc.Register(t.Context(), RegisterRequest{Email: fmt.Sprintf("many%d@example.com", i), Password: testPassword, DisplayName: "M"})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	ids, err := f.svc.users.Members(t.Context())
	require.NoError(t, err)
	assert.Len(t, ids, n, "contention on the users key set is retried, never lost")
}

func TestAdminsCannotDemoteEachOtherToZero(t *testing.T) {
	f := newFixture(t)
	a := admin(t, f.svc)
	b := register(t, f.svc, "second@example.com")
	_, err := f.svc.SetUserRole(t.Context(), SetUserRoleRequest{Caller: a, UserID: b.User.ID, Role: platform.RoleAdmin})
	require.NoError(t, err)
	callerB := platform.Caller{UserID: b.User.ID, Role: platform.RoleAdmin}

	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, errs[0] = f.svc.SetUserRole(t.Context(), SetUserRoleRequest{Caller: a, UserID: b.User.ID, Role: platform.RoleViewer})
	})
	wg.Go(func() {
		_, errs[1] = f.svc.DeleteUser(t.Context(), DeleteUserRequest{Caller: callerB, UserID: a.UserID})
	})
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			requireKind(t, err, platform.KindConflict, "cannot remove the last admin")
		}
	}
	assert.Equal(t, 1, failed, "exactly one of the two goes through")
	admins, _, err := f.svc.readAdmins(t.Context())
	require.NoError(t, err)
	assert.Len(t, admins.IDs, 1)
}

func TestConcurrentRefreshOfOneTokenIsReuse(t *testing.T) {
	f := newFixture(t)
	s := register(t, f.svc, "twice@example.com")
	results := make([]RefreshResponse, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = f.svc.Refresh(t.Context(), RefreshRequest{RefreshToken: s.RefreshToken}) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "only one refresh may win")
			winner = i
			continue
		}
		requireKind(t, err, platform.KindUnauthenticated, "")
	}
	require.NotEqual(t, -1, winner)
	_, err := f.svc.Refresh(t.Context(), RefreshRequest{RefreshToken: results[winner].Session.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")
}

func TestShorterConfiguredLifetimes(t *testing.T) {
	f := newFixture(t)
	svc, err := New(Config{Argon2: fastArgon2, AccessTokenTTL: time.Minute, RefreshTokenTTL: time.Hour}, f.state, f.pub, f.clock.Now, nil)
	require.NoError(t, err)
	s := register(t, svc, "short@example.com")
	assert.Equal(t, f.clock.Now().Truncate(time.Second).Add(time.Minute), s.ExpiresAt)
	f.clock.Advance(time.Hour)
	_, err = svc.Refresh(t.Context(), RefreshRequest{RefreshToken: s.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "refresh token expired")
}

func TestLoginUpgradesOldHashes(t *testing.T) {
	f := newFixture(t)
	s := register(t, f.svc, "upgrade@example.com")
	stronger := fastArgon2
	stronger.Iterations = 2
	svc, err := New(Config{Argon2: stronger}, f.state, f.pub, f.clock.Now, nil)
	require.NoError(t, err)

	_, err = svc.Login(t.Context(), LoginRequest{Email: "upgrade@example.com", Password: testPassword})
	require.NoError(t, err)
	u, _, err := svc.getUser(t.Context(), s.User.ID)
	require.NoError(t, err)
	p, _, _, err := decodePHC(u.PasswordHash)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), p.Iterations)
	_, err = svc.Login(t.Context(), LoginRequest{Email: "upgrade@example.com", Password: testPassword})
	require.NoError(t, err, "the upgraded hash verifies")
}

// racingState lets another replica act right after a key-ring read missed.
