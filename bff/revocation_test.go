package bff_test

import (
	"context"
	"strings"
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
			email := strings.ReplaceAll(unique("victim"), " ", "") + "@dflix.test"
			// The victim's token is issued a few seconds in the past, so it
			// falls before the revocation's whole-second NotBefore.
			s.authSkew.Store(int64(-5 * time.Second))
			victim := s.register(email)
			s.authSkew.Store(0)
			res := s.do(t, victim.token, `{ me { id } }`, nil)
			require.Empty(t, res.Errors, res.String())

			tt.revoke(t, s, victim)
			require.Eventually(t, func() bool {
				return s.do(t, victim.token, `{ me { id } }`, nil).code() == bff.CodeUnauthenticated
			}, 10*time.Second, 10*time.Millisecond, "the old token is refused once the event arrives")

			if tt.relogin {
				fresh := s.login(email)
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
