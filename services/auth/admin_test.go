package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

func testListUsers(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	root := admin(t, api)
	want := []string{root.UserID}
	for i := range 6 {
		f.clock.Advance(time.Second)
		want = append(want, register(t, api, fmt.Sprintf("u%d@example.com", i)).User.ID)
	}

	var got []string
	var createdAt []time.Time
	after := ""
	for page := 0; ; page++ {
		resp, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: root, First: 3, After: after})
		require.NoError(t, err)
		assert.Equal(t, 7, resp.TotalCount)
		require.Len(t, resp.Cursors, len(resp.Users))
		for _, u := range resp.Users {
			got = append(got, u.ID)
			createdAt = append(createdAt, u.CreatedAt)
		}
		if !resp.HasNextPage {
			assert.Equal(t, 2, page, "pages of 3, 3 and 1")
			break
		}
		after = resp.Cursors[len(resp.Cursors)-1]
	}
	assert.Equal(t, want, got, "oldest first, each user once")
	assert.IsIncreasing(t, unixNanos(createdAt))

	t.Run("defaults and caps the page size", func(t *testing.T) {
		for _, first := range []int{0, MaxPageSize + 1} {
			resp, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: root, First: first})
			require.NoError(t, err)
			assert.Len(t, resp.Users, 7)
			assert.False(t, resp.HasNextPage)
		}
	})
	t.Run("cursor of the last user ends the list", func(t *testing.T) {
		resp, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: root, After: encodeCursor(want[6])})
		require.NoError(t, err)
		assert.Empty(t, resp.Users)
		assert.NotNil(t, resp.Users)
		assert.False(t, resp.HasNextPage)
	})
	tests := []struct {
		name  string
		first int
		after string
		msg   string
	}{
		{"negative first", -1, "", "first must not be negative"},
		{"garbage cursor", 1, "!!!", "after is not a valid cursor"},
		{"foreign cursor", 1, "dXNlcjpub3BlCg", "after is not a valid cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: root, First: tt.first, After: tt.after})
			requireKind(t, err, platform.KindInvalid, tt.msg)
		})
	}
}

func unixNanos(ts []time.Time) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.UnixNano()
	}
	return out
}

func testSetUserRole(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	root := admin(t, api)
	v := register(t, api, "promote@example.com")

	resp, err := api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: root, UserID: v.User.ID, Role: platform.RoleAdmin})
	require.NoError(t, err)
	assert.Equal(t, platform.RoleAdmin, resp.User.Role)
	changed := f.pub.OfType(EventRoleChanged)
	require.Len(t, changed, 1)
	assert.Equal(t, RoleChanged{UserID: v.User.ID, Role: "ADMIN"}, decodeEvent[RoleChanged](t, changed[0]))
	revoked := f.pub.OfType(EventTokensRevoked)
	require.Len(t, revoked, 1)
	assert.Equal(t, TokensRevoked{UserID: v.User.ID, NotBefore: f.clock.Now().Truncate(time.Second), Reason: reasonRoleChanged},
		decodeEvent[TokensRevoked](t, revoked[0]))

	r, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: v.RefreshToken})
	require.NoError(t, err, "refresh tokens survive a role change")
	assert.Equal(t, platform.RoleAdmin, r.Session.User.Role, "and pick the new role up")

	_, err = api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: root, UserID: v.User.ID, Role: platform.RoleAdmin})
	require.NoError(t, err)
	assert.Len(t, f.pub.OfType(EventRoleChanged), 1, "setting the same role publishes nothing")

	// Two admins: the first may step down, the second then may not.
	_, err = api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: root, UserID: root.UserID, Role: platform.RoleViewer})
	require.NoError(t, err)
	other := platform.Caller{UserID: v.User.ID, Role: platform.RoleAdmin}
	_, err = api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: other, UserID: v.User.ID, Role: platform.RoleViewer})
	requireKind(t, err, platform.KindConflict, "cannot remove the last admin")

	tests := []struct {
		name, id string
		role     platform.Role
		kind     platform.Kind
		msg      string
	}{
		{"unknown role", v.User.ID, "OWNER", platform.KindInvalid, "role must be ADMIN or VIEWER"},
		{"empty role", v.User.ID, "", platform.KindInvalid, "role must be ADMIN or VIEWER"},
		{"malformed id", "42", platform.RoleViewer, platform.KindInvalid, "user id is not a valid id"},
		{"unknown user", "0190f5b4-6d3c-7cc0-8000-000000000000", platform.RoleViewer, platform.KindNotFound, "user not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: other, UserID: tt.id, Role: tt.role})
			requireKind(t, err, tt.kind, tt.msg)
		})
	}
}

func testDeleteUser(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	root := admin(t, api)
	v := register(t, api, "gone@example.com")

	_, err := api.DeleteUser(t.Context(), DeleteUserRequest{Caller: root, UserID: v.User.ID})
	require.NoError(t, err)

	_, err = api.GetUser(t.Context(), GetUserRequest{Caller: root, UserID: v.User.ID})
	requireKind(t, err, platform.KindNotFound, "user not found")
	_, err = api.Login(t.Context(), LoginRequest{Email: "gone@example.com", Password: testPassword})
	requireKind(t, err, platform.KindUnauthenticated, "invalid email or password")
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: v.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")
	_, err = api.DeleteUser(t.Context(), DeleteUserRequest{Caller: root, UserID: v.User.ID})
	requireKind(t, err, platform.KindNotFound, "user not found")

	list, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: root})
	require.NoError(t, err)
	assert.Equal(t, 1, list.TotalCount)

	again := register(t, api, "gone@example.com")
	assert.NotEqual(t, v.User.ID, again.User.ID, "the email is free again")

	deleted := f.pub.OfType(EventUserDeleted)
	require.Len(t, deleted, 1)
	assert.Equal(t, UserDeleted{UserID: v.User.ID}, decodeEvent[UserDeleted](t, deleted[0]))
	revoked := f.pub.OfType(EventTokensRevoked)
	require.Len(t, revoked, 1)
	assert.Equal(t, reasonUserDeleted, decodeEvent[TokensRevoked](t, revoked[0]).Reason)

	_, err = api.DeleteUser(t.Context(), DeleteUserRequest{Caller: root, UserID: root.UserID})
	requireKind(t, err, platform.KindConflict, "cannot remove the last admin")
	_, err = api.DeleteUser(t.Context(), DeleteUserRequest{Caller: root, UserID: "nope"})
	requireKind(t, err, platform.KindInvalid, "user id is not a valid id")
}

func testEnsureAdmin(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	req := EnsureAdminRequest{Email: "Boss@Example.com", Password: testPassword, DisplayName: "The Boss"}
	first, err := api.EnsureAdmin(t.Context(), req)
	require.NoError(t, err)
	assert.True(t, first.Created)
	assert.Equal(t, platform.RoleAdmin, first.User.Role)
	assert.Equal(t, "boss@example.com", first.User.Email)
	assert.Equal(t, "The Boss", first.User.DisplayName)
	login, err := api.Login(t.Context(), LoginRequest{Email: req.Email, Password: req.Password})
	require.NoError(t, err)
	events := f.pub.Count()

	again, err := api.EnsureAdmin(t.Context(), req)
	require.NoError(t, err)
	assert.False(t, again.Created)
	assert.Equal(t, first.User.ID, again.User.ID)
	assert.Equal(t, events, f.pub.Count(), "idempotent: nothing published")
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: login.Session.RefreshToken})
	require.NoError(t, err, "idempotent: sessions kept")

	t.Run("resets a changed password", func(t *testing.T) {
		reset := req
		reset.Password = "another admin secret"
		resp, err := api.EnsureAdmin(t.Context(), reset)
		require.NoError(t, err)
		assert.False(t, resp.Created)
		_, err = api.Login(t.Context(), LoginRequest{Email: req.Email, Password: reset.Password})
		require.NoError(t, err)
		_, err = api.Login(t.Context(), LoginRequest{Email: req.Email, Password: req.Password})
		requireKind(t, err, platform.KindUnauthenticated, "invalid email or password")
		revoked := f.pub.OfType(EventTokensRevoked)
		require.Len(t, revoked, 1)
		assert.Equal(t, reasonPasswordReset, decodeEvent[TokensRevoked](t, revoked[0]).Reason)
	})
	t.Run("promotes a viewer", func(t *testing.T) {
		v := register(t, api, "later@example.com")
		resp, err := api.EnsureAdmin(t.Context(), EnsureAdminRequest{Email: "later@example.com", Password: testPassword})
		require.NoError(t, err)
		assert.False(t, resp.Created)
		assert.Equal(t, v.User.ID, resp.User.ID)
		assert.Equal(t, platform.RoleAdmin, resp.User.Role)
		assert.Equal(t, v.User.DisplayName, resp.User.DisplayName, "the name is kept")
		require.Len(t, f.pub.OfType(EventRoleChanged), 1)
	})
	t.Run("defaults the display name", func(t *testing.T) {
		resp, err := api.EnsureAdmin(t.Context(), EnsureAdminRequest{Email: "anon@example.com", Password: testPassword})
		require.NoError(t, err)
		assert.Equal(t, DefaultAdminName, resp.User.DisplayName)
	})
	t.Run("validates", func(t *testing.T) {
		_, err := api.EnsureAdmin(t.Context(), EnsureAdminRequest{Email: "x@example.com", Password: "short"})
		requireKind(t, err, platform.KindInvalid, "password must be at least 8 characters")
	})
}
