package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// recent lists the recent revocations by user id.
func recent(t *testing.T, api API) map[string]TokensRevoked {
	t.Helper()
	resp, err := api.RecentRevocations(t.Context(), RecentRevocationsRequest{})
	require.NoError(t, err)
	byUser := map[string]TokensRevoked{}
	for _, r := range resp.Revocations {
		byUser[r.UserID] = r
	}
	require.Len(t, byUser, len(resp.Revocations), "one entry per user")
	return byUser
}

func testRecentRevocations(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	tests := []struct {
		name   string
		reason string
		revoke func(t *testing.T, api API, victim Session)
	}{
		{"password changed", reasonPasswordChanged, func(t *testing.T, api API, victim Session) {
			_, err := api.ChangePassword(t.Context(), ChangePasswordRequest{Caller: callerOf(victim), OldPassword: testPassword, NewPassword: "a brand new password"})
			require.NoError(t, err)
		}},
		{"role changed", reasonRoleChanged, func(t *testing.T, api API, victim Session) {
			_, err := api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: admin(t, api), UserID: victim.User.ID, Role: platform.RoleAdmin})
			require.NoError(t, err)
		}},
		{"user deleted", reasonUserDeleted, func(t *testing.T, api API, victim Session) {
			_, err := api.DeleteUser(t.Context(), DeleteUserRequest{Caller: admin(t, api), UserID: victim.User.ID})
			require.NoError(t, err)
		}},
		{"refresh token reused", reasonReuse, func(t *testing.T, api API, victim Session) {
			_, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: victim.RefreshToken})
			require.NoError(t, err)
			_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: victim.RefreshToken})
			requireKind(t, err, platform.KindUnauthenticated, "refresh token reused, session revoked")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, f := newAPI(t)
			assert.Empty(t, recent(t, api), "a fresh service has no revocations")
			victim := register(t, api, "victim@example.com")
			f.clock.Advance(3 * time.Second)
			tt.revoke(t, api, victim)

			got := recent(t, api)
			require.Contains(t, got, victim.User.ID)
			r := got[victim.User.ID]
			assert.Equal(t, tt.reason, r.Reason)
			assert.True(t, f.clock.Now().Truncate(time.Second).Equal(r.NotBefore), "NotBefore %v", r.NotBefore)
			assert.True(t, r.NotBefore.After(victim.ExpiresAt.Add(-AccessTokenTTL)), "refuses the victim's token")
			events := f.pub.OfType(EventTokensRevoked)
			require.NotEmpty(t, events)
			assert.Equal(t, decodeEvent[TokensRevoked](t, events[len(events)-1]).NotBefore.Unix(), r.NotBefore.Unix(), "the listing matches the event")

			f.clock.Advance(AccessTokenTTL)
			assert.Contains(t, recent(t, api), victim.User.ID, "kept while a token may still be accepted with skew")
			f.clock.Advance(revocationSkew + time.Second)
			assert.Empty(t, recent(t, api), "expired revocations disappear")
			assert.Empty(t, recent(t, api), "and stay gone once pruned")
		})
	}
	t.Run("latest wins", func(t *testing.T) {
		api, f := newAPI(t)
		victim := register(t, api, "latest@example.com")
		root := admin(t, api)
		_, err := api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: root, UserID: victim.User.ID, Role: platform.RoleAdmin})
		require.NoError(t, err)
		f.clock.Advance(10 * time.Minute)
		_, err = api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: root, UserID: victim.User.ID, Role: platform.RoleViewer})
		require.NoError(t, err)
		got := recent(t, api)
		require.Len(t, got, 1)
		assert.True(t, f.clock.Now().Truncate(time.Second).Equal(got[victim.User.ID].NotBefore))
		f.clock.Advance(AccessTokenTTL - 10*time.Minute + revocationSkew + time.Second)
		assert.Contains(t, recent(t, api), victim.User.ID, "the later revocation outlives the earlier one")
	})
}
