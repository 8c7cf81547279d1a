package bff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// TestRevocationEndToEnd: auth publishes a revocation on the users topic,
// the bus delivers it to the BFF's subscription, and the user's older
// access tokens stop working while a new login works.
func TestRevocationEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		revoke func(t *testing.T, s *stack, victim session)
		// relogin reports whether the victim can sign in again afterwards.
		relogin bool
	}{
		{"password changed", func(t *testing.T, s *stack, victim session) {
			res := s.do(t, victim.token, `mutation { changePassword(oldPassword: "correct horse battery", newPassword: "a brand new password") }`, nil)
			require.Empty(t, res.Errors, res.String())
		}, false},
		{"role changed", func(t *testing.T, s *stack, victim session) {
			res := s.do(t, s.admin.token, `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`, map[string]any{"id": victim.id})
			require.Empty(t, res.Errors, res.String())
		}, true},
		{"user deleted", func(t *testing.T, s *stack, victim session) {
			res := s.do(t, s.admin.token, `mutation($id: ID!) { deleteUser(userId: $id) }`, map[string]any{"id": victim.id})
			require.Empty(t, res.Errors, res.String())
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			victim := s.registerVictim("victim")
			res := s.do(t, victim.token, `{ me { id } }`, nil)
			require.Empty(t, res.Errors, res.String())

			tt.revoke(t, s, victim)
			require.Eventually(t, func() bool {
				return s.do(t, victim.token, `{ me { id } }`, nil).code() == bff.CodeUnauthenticated
			}, 10*time.Second, 10*time.Millisecond, "the old token is refused once the event arrives")

			if tt.relogin {
				fresh := s.login(victim.email)
				res = s.do(t, fresh.token, `{ me { role } }`, nil)
				assert.Empty(t, res.Errors, res.String())
			}
		})
	}
}

// TestRevocationsHandlerIsSafeToRedeliver feeds the BFF's subscription the
// same event twice and an undecodable one.
func TestRevocationsHandlerIsSafeToRedeliver(t *testing.T) {
	s := newStack(t, stackOptions{})
	handle := s.server.Subscriptions()[0].Handle
	ev, err := platform.NewEvent("auth", auth.Topic, auth.EventTokensRevoked, time.Now(),
		auth.TokensRevoked{UserID: s.viewer.id, NotBefore: time.Now().Add(time.Minute).Truncate(time.Second), Reason: "test"})
	require.NoError(t, err)
	require.NoError(t, handle(context.Background(), ev))
	require.NoError(t, handle(context.Background(), ev))
	assert.Equal(t, bff.CodeUnauthenticated, s.do(t, s.viewer.token, `{ me { id } }`, nil).code())

	bad := ev
	bad.Data = []byte(`[`)
	err = handle(context.Background(), bad)
	require.Error(t, err)
	assert.True(t, platform.IsDrop(err), "an undecodable event goes to the dead letters")
}

// queryOn sends a GraphQL query with a bearer token to srv.
func queryOn(t *testing.T, srv http.Handler, token, query string) gqlResult {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	res := gqlResult{status: rec.Code}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res), "body: %s", rec.Body.String())
	return res
}

// TestRevocationReachesLateReplica: a BFF replica started after a
// revocation event (never delivered to it) still refuses the old token at
// once, from the revocations auth lists; a fresh login works on it.
func TestRevocationReachesLateReplica(t *testing.T) {
	tests := []struct {
		name    string
		revoke  func(t *testing.T, s *stack, victim session)
		relogin bool
	}{
		{"password changed", func(t *testing.T, s *stack, victim session) {
			_, err := s.auth.ChangePassword(t.Context(), auth.ChangePasswordRequest{
				Caller: platform.Caller{UserID: victim.id, Role: platform.RoleViewer}, OldPassword: testPassword, NewPassword: "a brand new password"})
			require.NoError(t, err)
		}, false},
		{"role changed", func(t *testing.T, s *stack, victim session) {
			_, err := s.auth.SetUserRole(t.Context(), auth.SetUserRoleRequest{Caller: s.adminCaller(), UserID: victim.id, Role: platform.RoleAdmin})
			require.NoError(t, err)
		}, true},
		{"user deleted", func(t *testing.T, s *stack, victim session) {
			_, err := s.auth.DeleteUser(t.Context(), auth.DeleteUserRequest{Caller: s.adminCaller(), UserID: victim.id})
			require.NoError(t, err)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			victim := s.registerVictim("late")

			tt.revoke(t, s, victim)
			// A replica started now: same auth, not subscribed to the bus,
			// no readiness probe or Run yet.
			late, err := bff.New(bff.Config{}, bff.Deps{Auth: s.auth, Catalog: s.catalog})
			require.NoError(t, err)
			res := queryOn(t, late, victim.token, `{ me { id } }`)
			assert.Equal(t, bff.CodeUnauthenticated, res.code(), res.String())
			res = queryOn(t, late, s.viewer.token, `{ me { id } }`)
			assert.Empty(t, res.Errors, "other users are unaffected: %s", res.String())
			if tt.relogin {
				res = queryOn(t, late, s.login(victim.email).token, `{ me { role } }`)
				assert.Empty(t, res.Errors, res.String())
			}
		})
	}
}

// listedRevocations is an auth service whose RecentRevocations fails while
// down and otherwise lists the given revocations.
type listedRevocations struct {
	auth.API
	down atomic.Bool
	list []auth.TokensRevoked
}

func (l *listedRevocations) RecentRevocations(context.Context, auth.RecentRevocationsRequest) (auth.RecentRevocationsResponse, error) {
	if l.down.Load() {
		return auth.RecentRevocationsResponse{}, platform.E(platform.KindUnavailable, "auth unreachable", errors.New("connection refused"))
	}
	return auth.RecentRevocationsResponse{Revocations: l.list}, nil
}

// TestNotReadyUntilRevocationsLoaded: /readyz fails and tokens are refused
// as unavailable until the revocations are loaded; Run loads them once auth
// answers, and a listed revocation applies at once, without any event.
func TestNotReadyUntilRevocationsLoaded(t *testing.T) {
	s := newStack(t, stackOptions{})
	fake := &listedRevocations{API: s.keys, list: []auth.TokensRevoked{
		{UserID: s.viewer.id, NotBefore: time.Now().Add(time.Second).Truncate(time.Second), Reason: "password-changed"},
	}}
	fake.down.Store(true)
	srv, err := bff.New(bff.Config{}, bff.Deps{Auth: fake, Catalog: s.catalog})
	require.NoError(t, err)
	ready := func() int {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}

	assert.Equal(t, http.StatusServiceUnavailable, ready())
	res := queryOn(t, srv, s.admin.token, `{ me { id } }`)
	assert.Equal(t, bff.CodeUnavailable, res.code(), res.String())

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	fake.down.Store(false)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not load the revocations once auth answered")
	}
	assert.Equal(t, http.StatusOK, ready())
	res = queryOn(t, srv, s.viewer.token, `{ me { id } }`)
	assert.Equal(t, bff.CodeUnauthenticated, res.code(), "the listed revocation applies: %s", res.String())
	res = queryOn(t, srv, s.admin.token, `{ me { id } }`)
	assert.Empty(t, res.Errors, res.String())
}
