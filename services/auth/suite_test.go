package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// TestService runs the suite against *Service itself.
func TestService(t *testing.T) { runSuite(t, direct) }

// TestWire runs the same suite through NewHandler, the in-memory invoker and
// Client: same results, same error kinds and messages.
func TestWire(t *testing.T) { runSuite(t, wire) }

// runSuite is the behaviour of the API, whatever the transport.
func runSuite(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	t.Run("Register", func(t *testing.T) { testRegister(t, newAPI) })
	t.Run("RegisterValidation", func(t *testing.T) { testRegisterValidation(t, newAPI) })
	t.Run("DuplicateEmail", func(t *testing.T) { testDuplicateEmail(t, newAPI) })
	t.Run("Login", func(t *testing.T) { testLogin(t, newAPI) })
	t.Run("RefreshRotation", func(t *testing.T) { testRefreshRotation(t, newAPI) })
	t.Run("RefreshReuse", func(t *testing.T) { testRefreshReuse(t, newAPI) })
	t.Run("RefreshExpiry", func(t *testing.T) { testRefreshExpiry(t, newAPI) })
	t.Run("Logout", func(t *testing.T) { testLogout(t, newAPI) })
	t.Run("ChangePassword", func(t *testing.T) { testChangePassword(t, newAPI) })
	t.Run("GetUser", func(t *testing.T) { testGetUser(t, newAPI) })
	t.Run("AdminOnly", func(t *testing.T) { testAdminOnly(t, newAPI) })
	t.Run("ListUsers", func(t *testing.T) { testListUsers(t, newAPI) })
	t.Run("SetUserRole", func(t *testing.T) { testSetUserRole(t, newAPI) })
	t.Run("DeleteUser", func(t *testing.T) { testDeleteUser(t, newAPI) })
	t.Run("EnsureAdmin", func(t *testing.T) { testEnsureAdmin(t, newAPI) })
	t.Run("JWKS", func(t *testing.T) { testJWKS(t, newAPI) })
	t.Run("RecentRevocations", func(t *testing.T) { testRecentRevocations(t, newAPI) })
	t.Run("RotateKey", func(t *testing.T) { testRotateKey(t, newAPI) })
}

func testRotateKey(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	s := register(t, api, "rotate@example.com")
	_, err := api.RotateKey(t.Context(), RotateKeyRequest{Caller: platform.Caller{UserID: s.User.ID, Role: platform.RoleViewer}})
	require.True(t, platform.Is(err, platform.KindForbidden), "a viewer may not rotate: %v", err)
	resp, err := api.RotateKey(t.Context(), RotateKeyRequest{Caller: admin(t, api)})
	require.NoError(t, err)
	require.Len(t, resp.Published, 2)
	assert.Equal(t, resp.KID, resp.Published[1])
	jwks, err := api.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	_, found := keySet(t, jwks).LookupKeyID(resp.KID)
	assert.True(t, found, "the new key is published")
}

func testRegister(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	resp, err := api.Register(t.Context(), RegisterRequest{Email: "  Alice@Example.COM ", Password: testPassword, DisplayName: "  Alice  "})
	require.NoError(t, err)
	s := resp.Session
	assert.NotEmpty(t, s.AccessToken)
	assert.NotEmpty(t, s.RefreshToken)
	assert.Equal(t, f.clock.Now().Truncate(time.Second).Add(AccessTokenTTL), s.ExpiresAt.UTC())
	assert.Equal(t, "alice@example.com", s.User.Email)
	assert.Equal(t, "Alice", s.User.DisplayName)
	assert.Equal(t, platform.RoleViewer, s.User.Role)
	assert.True(t, f.clock.Now().Equal(s.User.CreatedAt))

	got, err := api.GetUser(t.Context(), GetUserRequest{Caller: callerOf(s), UserID: s.User.ID})
	require.NoError(t, err)
	assert.Equal(t, s.User.ID, got.User.ID)
	assert.Equal(t, s.User.Email, got.User.Email)

	evs := f.pub.OfType(EventUserRegistered)
	require.Len(t, evs, 1)
	payload := decodeEvent[UserRegistered](t, evs[0])
	assert.Equal(t, s.User.ID, payload.User.ID)
	assert.Equal(t, "alice@example.com", payload.User.Email)
	assert.Equal(t, platform.RoleViewer, payload.User.Role)
}

func testRegisterValidation(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	long := strings.Repeat("a", MaxEmailLen) + "@x.io"
	tests := []struct {
		name, email, password, display, msg string
	}{
		{"empty email", "", testPassword, "A", "email is required"},
		{"blank email", "   ", testPassword, "A", "email is required"},
		{"overlong email", long, testPassword, "A", "email is longer than 254 bytes"},
		{"not an email", "not-an-email", testPassword, "A", "email is not a valid address"},
		{"display-name form", "Bob <bob@x.io>", testPassword, "A", "email is not a valid address"},
		{"two addresses", "a@x.io, b@x.io", testPassword, "A", "email is not a valid address"},
		{"control char in email", "a\x00b@x.io", testPassword, "A", "email is not a valid address"},
		{"short password", "a@x.io", "short", "A", "password must be at least 8 characters"},
		{"long password", "a@x.io", strings.Repeat("p", MaxPasswordLen+1), "A", "password must be at most 128 characters"},
		{"empty display name", "a@x.io", testPassword, "  ", "display name is required"},
		{"long display name", "a@x.io", testPassword, strings.Repeat("é", MaxDisplayName+1), "display name must be at most 64 characters"},
		{"control char in name", "a@x.io", testPassword, "bad\x07name", "display name must not contain control characters"},
		{"newline in name", "a@x.io", testPassword, "two\nlines", "display name must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.Register(t.Context(), RegisterRequest{Email: tt.email, Password: tt.password, DisplayName: tt.display})
			requireKind(t, err, platform.KindInvalid, tt.msg)
		})
	}
	t.Run("limits are inclusive", func(t *testing.T) {
		_, err := api.Register(t.Context(), RegisterRequest{
			Email:       "edge@x.io",
			Password:    strings.Repeat("p", MaxPasswordLen),
			DisplayName: strings.Repeat("é", MaxDisplayName),
		})
		require.NoError(t, err)
	})
	assert.Len(t, f.pub.OfType(EventUserRegistered), 1)
}

func testDuplicateEmail(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	register(t, api, "dup@example.com")
	for _, email := range []string{"dup@example.com", "DUP@Example.com", " dup@example.com\t"} {
		t.Run(email, func(t *testing.T) {
			_, err := api.Register(t.Context(), RegisterRequest{Email: email, Password: testPassword, DisplayName: "Dup"})
			requireKind(t, err, platform.KindConflict, "email already registered")
		})
	}
}

func testLogin(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	reg := register(t, api, "login@example.com")
	resp, err := api.Login(t.Context(), LoginRequest{Email: "LOGIN@example.com", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, reg.User.ID, resp.Session.User.ID)
	assert.NotEqual(t, reg.RefreshToken, resp.Session.RefreshToken)

	tests := []struct {
		name, email, password string
		kind                  platform.Kind
		msg                   string
	}{
		{"wrong password", "login@example.com", "wrong password", platform.KindUnauthenticated, "invalid email or password"},
		{"unknown email", "nobody@example.com", testPassword, platform.KindUnauthenticated, "invalid email or password"},
		{"malformed email", "nobody", testPassword, platform.KindUnauthenticated, "invalid email or password"},
		{"empty password", "login@example.com", "", platform.KindInvalid, "email and password are required"},
		{"empty email", "", testPassword, platform.KindInvalid, "email and password are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.Login(t.Context(), LoginRequest{Email: tt.email, Password: tt.password})
			requireKind(t, err, tt.kind, tt.msg)
		})
	}
}

func testRefreshRotation(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	s0 := register(t, api, "rot@example.com")
	f.clock.Advance(time.Minute)
	r1, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	require.NoError(t, err)
	s1 := r1.Session
	assert.NotEqual(t, s0.RefreshToken, s1.RefreshToken)
	assert.NotEqual(t, s0.AccessToken, s1.AccessToken)
	assert.Equal(t, s0.User.ID, s1.User.ID)
	assert.Equal(t, f.clock.Now().Truncate(time.Second).Add(AccessTokenTTL), s1.ExpiresAt.UTC())

	r2, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: s1.RefreshToken})
	require.NoError(t, err)
	assert.NotEqual(t, s1.RefreshToken, r2.Session.RefreshToken)

	_, err = api.Refresh(t.Context(), RefreshRequest{})
	requireKind(t, err, platform.KindInvalid, "refresh token is required")
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: "never-issued"})
	requireKind(t, err, platform.KindUnauthenticated, "invalid refresh token")
	assert.Empty(t, f.pub.OfType(EventTokensRevoked), "plain rotation revokes nothing")
}

func testRefreshReuse(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	s0 := register(t, api, "reuse@example.com")
	other, err := api.Login(t.Context(), LoginRequest{Email: "reuse@example.com", Password: testPassword})
	require.NoError(t, err)
	r1, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	require.NoError(t, err)

	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "refresh token reused, session revoked")
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: r1.Session.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")

	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: other.Session.RefreshToken})
	require.NoError(t, err, "another sign-in of the user is a separate family")

	evs := f.pub.OfType(EventTokensRevoked)
	require.Len(t, evs, 1)
	p := decodeEvent[TokensRevoked](t, evs[0])
	assert.Equal(t, s0.User.ID, p.UserID)
	assert.Equal(t, reasonReuse, p.Reason)
	assert.Equal(t, f.clock.Now().Truncate(time.Second), p.NotBefore)
}

func testRefreshExpiry(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	s0 := register(t, api, "exp@example.com")
	f.clock.Advance(RefreshTokenTTL - time.Second)
	r1, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	require.NoError(t, err, "still valid one second before expiry")
	f.clock.Advance(RefreshTokenTTL - time.Second)
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: r1.Session.RefreshToken})
	require.NoError(t, err, "each rotation gets a fresh lifetime")

	s2 := register(t, api, "exp2@example.com")
	f.clock.Advance(RefreshTokenTTL)
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: s2.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "refresh token expired")
}

func testLogout(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	s0 := register(t, api, "out@example.com")
	other, err := api.Login(t.Context(), LoginRequest{Email: "out@example.com", Password: testPassword})
	require.NoError(t, err)
	r1, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: s0.RefreshToken})
	require.NoError(t, err)

	_, err = api.Logout(t.Context(), LogoutRequest{RefreshToken: r1.Session.RefreshToken})
	require.NoError(t, err)
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: r1.Session.RefreshToken})
	requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")
	_, err = api.Logout(t.Context(), LogoutRequest{RefreshToken: r1.Session.RefreshToken})
	require.NoError(t, err, "logging out twice is fine")
	_, err = api.Logout(t.Context(), LogoutRequest{RefreshToken: s0.RefreshToken})
	require.NoError(t, err, "an older token of the ended session is fine too")

	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: other.Session.RefreshToken})
	require.NoError(t, err, "other sessions go on")

	_, err = api.Logout(t.Context(), LogoutRequest{})
	requireKind(t, err, platform.KindInvalid, "refresh token is required")
	_, err = api.Logout(t.Context(), LogoutRequest{RefreshToken: "never-issued"})
	requireKind(t, err, platform.KindUnauthenticated, "invalid refresh token")
}

func testChangePassword(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	s0 := register(t, api, "pw@example.com")
	other, err := api.Login(t.Context(), LoginRequest{Email: "pw@example.com", Password: testPassword})
	require.NoError(t, err)
	me := callerOf(s0)
	const newPassword = "a much better passphrase"

	tests := []struct {
		name string
		req  ChangePasswordRequest
		kind platform.Kind
		msg  string
	}{
		{"anonymous", ChangePasswordRequest{OldPassword: testPassword, NewPassword: newPassword}, platform.KindUnauthenticated, "sign in required"},
		{"wrong old password", ChangePasswordRequest{Caller: me, OldPassword: "not it at all", NewPassword: newPassword}, platform.KindUnauthenticated, "current password is incorrect"},
		{"missing old password", ChangePasswordRequest{Caller: me, NewPassword: newPassword}, platform.KindInvalid, "current password is required"},
		{"short new password", ChangePasswordRequest{Caller: me, OldPassword: testPassword, NewPassword: "short"}, platform.KindInvalid, "new password must be at least 8 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.ChangePassword(t.Context(), tt.req)
			requireKind(t, err, tt.kind, tt.msg)
		})
	}
	require.Empty(t, f.pub.OfType(EventTokensRevoked))

	resp, err := api.ChangePassword(t.Context(), ChangePasswordRequest{Caller: me, OldPassword: testPassword, NewPassword: newPassword})
	require.NoError(t, err)
	assert.Equal(t, s0.User.ID, resp.Session.User.ID)

	for name, tok := range map[string]string{"own": s0.RefreshToken, "other": other.Session.RefreshToken} {
		t.Run("revokes "+name+" session", func(t *testing.T) {
			_, err := api.Refresh(t.Context(), RefreshRequest{RefreshToken: tok})
			requireKind(t, err, platform.KindUnauthenticated, "session revoked, sign in again")
		})
	}
	_, err = api.Refresh(t.Context(), RefreshRequest{RefreshToken: resp.Session.RefreshToken})
	require.NoError(t, err, "the session returned by the change works")

	_, err = api.Login(t.Context(), LoginRequest{Email: "pw@example.com", Password: testPassword})
	requireKind(t, err, platform.KindUnauthenticated, "invalid email or password")
	_, err = api.Login(t.Context(), LoginRequest{Email: "pw@example.com", Password: newPassword})
	require.NoError(t, err)

	evs := f.pub.OfType(EventTokensRevoked)
	require.Len(t, evs, 1)
	p := decodeEvent[TokensRevoked](t, evs[0])
	assert.Equal(t, TokensRevoked{UserID: s0.User.ID, NotBefore: f.clock.Now().Truncate(time.Second), Reason: reasonPasswordChanged}, p)
}

func testGetUser(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	root := admin(t, api)
	a := register(t, api, "a@example.com")
	b := register(t, api, "b@example.com")
	tests := []struct {
		name   string
		caller platform.Caller
		id     string
		kind   platform.Kind
		msg    string
	}{
		{"self", callerOf(a), a.User.ID, "", ""},
		{"admin", root, a.User.ID, "", ""},
		{"anonymous", platform.Caller{}, a.User.ID, platform.KindUnauthenticated, "sign in required"},
		{"another viewer", callerOf(b), a.User.ID, platform.KindForbidden, "you may only read your own account"},
		{"malformed id", root, "not-a-uuid", platform.KindInvalid, "user id is not a valid id"},
		{"uppercase id", root, strings.ToUpper(a.User.ID), platform.KindInvalid, "user id is not a valid id"},
		{"unknown id", root, "0190f5b4-6d3c-7cc0-8000-000000000000", platform.KindNotFound, "user not found"},
		{"unknown id as viewer", callerOf(b), "0190f5b4-6d3c-7cc0-8000-000000000000", platform.KindForbidden, "you may only read your own account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := api.GetUser(t.Context(), GetUserRequest{Caller: tt.caller, UserID: tt.id})
			if tt.kind == "" {
				require.NoError(t, err)
				assert.Equal(t, a.User.ID, resp.User.ID)
				assert.Equal(t, "a@example.com", resp.User.Email)
				return
			}
			requireKind(t, err, tt.kind, tt.msg)
		})
	}
}

func testAdminOnly(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, _ := newAPI(t)
	v := register(t, api, "viewer@example.com")
	calls := map[string]func(c platform.Caller) error{
		"ListUsers": func(c platform.Caller) error {
			_, err := api.ListUsers(t.Context(), ListUsersRequest{Caller: c})
			return err
		},
		"SetUserRole": func(c platform.Caller) error {
			_, err := api.SetUserRole(t.Context(), SetUserRoleRequest{Caller: c, UserID: v.User.ID, Role: platform.RoleAdmin})
			return err
		},
		"DeleteUser": func(c platform.Caller) error {
			_, err := api.DeleteUser(t.Context(), DeleteUserRequest{Caller: c, UserID: v.User.ID})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			requireKind(t, call(platform.Caller{}), platform.KindUnauthenticated, "sign in required")
			requireKind(t, call(callerOf(v)), platform.KindForbidden, "admin role required")
		})
	}
}

func testJWKS(t *testing.T, newAPI func(t *testing.T) (API, *fixture)) {
	api, f := newAPI(t)
	s := register(t, api, "jwks@example.com")
	resp, err := api.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	set := keySet(t, resp)
	require.Equal(t, 1, set.Len())
	key, _ := set.Key(0)
	assert.Equal(t, "EdDSA", key.Algorithm().String())
	assert.Equal(t, "sig", key.KeyUsage())
	assert.NotEmpty(t, key.KeyID())
	assert.NotContains(t, string(resp.Keys), `"d"`, "public keys only")

	assert.Equal(t, key.KeyID(), headerKID(t, s.AccessToken))

	now := f.clock.Now()
	tok, err := verify(t, set, s.AccessToken, now)
	require.NoError(t, err)
	assert.Equal(t, s.User.ID, tok.Subject())
	assert.Equal(t, Issuer, tok.Issuer())
	assert.Equal(t, []string{Audience}, tok.Audience())
	assert.Equal(t, now.Truncate(time.Second), tok.IssuedAt().UTC())
	assert.Equal(t, s.ExpiresAt.UTC(), tok.Expiration().UTC())
	assert.NotEmpty(t, tok.JwtID())
	role, _ := tok.Get(ClaimRole)
	assert.Equal(t, "VIEWER", role)
	email, _ := tok.Get(ClaimEmail)
	assert.Equal(t, "jwks@example.com", email)

	_, err = verify(t, set, s.AccessToken, now.Add(AccessTokenTTL+time.Second))
	require.Error(t, err, "expired after the access-token lifetime")
	_, err = verify(t, set, s.AccessToken+"x", now)
	require.Error(t, err, "a tampered token does not verify")
}
