package auth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// AppID is the service's name on the wire (Dapr app id, invoker target).
const AppID = "auth"

// API is everything the auth service does. *Service implements it in process;
// Client implements it over a platform.Invoker.
//
// Error kinds: KindInvalid for malformed input, KindConflict for a taken
// email, KindUnauthenticated for wrong credentials or a bad refresh token,
// KindForbidden for a non-admin calling an admin method, KindNotFound for an
// unknown user, KindRateLimited for a sign-in refused after too many failed
// ones.
type API interface {
	Register(ctx context.Context, req RegisterRequest) (RegisterResponse, error)
	Login(ctx context.Context, req LoginRequest) (LoginResponse, error)
	// Refresh rotates a refresh token. Reusing an already rotated token
	// revokes its whole family (every token descended from the same login).
	Refresh(ctx context.Context, req RefreshRequest) (RefreshResponse, error)
	Logout(ctx context.Context, req LogoutRequest) (LogoutResponse, error)
	// ChangePassword checks the old password, stores the new one and revokes
	// every other session of the user.
	ChangePassword(ctx context.Context, req ChangePasswordRequest) (ChangePasswordResponse, error)
	GetUser(ctx context.Context, req GetUserRequest) (GetUserResponse, error)
	ListUsers(ctx context.Context, req ListUsersRequest) (ListUsersResponse, error)
	SetUserRole(ctx context.Context, req SetUserRoleRequest) (SetUserRoleResponse, error)
	DeleteUser(ctx context.Context, req DeleteUserRequest) (DeleteUserResponse, error)
	// EnsureAdmin creates the account as an admin, or promotes an existing
	// one and resets its password; it is idempotent (bootstrap, CLI).
	EnsureAdmin(ctx context.Context, req EnsureAdminRequest) (EnsureAdminResponse, error)
	// JWKS returns the public keys that verify access tokens.
	JWKS(ctx context.Context, req JWKSRequest) (JWKSResponse, error)
	// RecentRevocations lists the revocations that may still refuse an
	// unexpired access token, so a verifier started after their events can
	// catch up. Internal (service to service): it has no caller check and
	// must never be exposed through the BFF.
	RecentRevocations(ctx context.Context, req RecentRevocationsRequest) (RecentRevocationsResponse, error)
	// RotateKey adds a signing key that signs from now on (admins only;
	// KindForbidden, KindUnauthenticated otherwise). The previous keys stay
	// in the JWKS, so tokens they signed keep verifying until they expire.
	RotateKey(ctx context.Context, req RotateKeyRequest) (RotateKeyResponse, error)
}

// The method names on the wire.
const (
	MethodRegister          = "Register"
	MethodLogin             = "Login"
	MethodRefresh           = "Refresh"
	MethodLogout            = "Logout"
	MethodChangePassword    = "ChangePassword"
	MethodGetUser           = "GetUser"
	MethodListUsers         = "ListUsers"
	MethodSetUserRole       = "SetUserRole"
	MethodDeleteUser        = "DeleteUser"
	MethodEnsureAdmin       = "EnsureAdmin"
	MethodJWKS              = "JWKS"
	MethodRecentRevocations = "RecentRevocations"
	MethodRotateKey         = "RotateKey"
)

// Access token claims and limits.
const (
	Issuer          = "dflix-auth"
	Audience        = "dflix"
	AccessTokenTTL  = 15 * time.Minute
	RefreshTokenTTL = 30 * 24 * time.Hour
	// ClaimRole carries the user's role in the access token.
	ClaimRole = "role"
	// ClaimEmail carries the user's email in the access token.
	ClaimEmail      = "email"
	MinPasswordLen  = 8
	MaxPasswordLen  = 128
	MaxEmailLen     = 254
	MaxDisplayName  = 64
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// User is an account as other services and clients see it: never a hash.
type User struct {
	ID          string        `json:"id"`
	Email       string        `json:"email"`
	DisplayName string        `json:"displayName"`
	Role        platform.Role `json:"role"`
	CreatedAt   time.Time     `json:"createdAt"`
}

// Session is what signing in returns.
type Session struct {
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken"`
	ExpiresAt    time.Time `json:"expiresAt"` // of the access token
	User         User      `json:"user"`
}

// RegisterRequest creates a viewer account.
type RegisterRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
	// ClientIP is the address of the end user (see LoginRequest.ClientIP):
	// a registration of a taken email counts as a failure of that address.
	ClientIP string `json:"clientIp,omitempty"`
}

// RegisterResponse signs the new user in.
type RegisterResponse struct {
	Session Session `json:"session"`
}

// LoginRequest signs in with a password.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// ClientIP is the address of the end user as the edge saw it (the BFF
	// honors X-Forwarded-For only from its trusted proxies). Failed
	// sign-ins are limited per address as well as per account; empty (a
	// service calling on its own behalf) limits per account only.
	ClientIP string `json:"clientIp,omitempty"`
}

// LoginResponse carries the new session.
type LoginResponse struct {
	Session Session `json:"session"`
}

// RefreshRequest exchanges a refresh token for a new session.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// RefreshResponse carries the rotated session.
type RefreshResponse struct {
	Session Session `json:"session"`
}

// LogoutRequest ends the session (the refresh token's family).
type LogoutRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// LogoutResponse is empty.
type LogoutResponse struct{}

// ChangePasswordRequest changes the caller's own password.
type ChangePasswordRequest struct {
	Caller      platform.Caller `json:"caller"`
	OldPassword string          `json:"oldPassword"`
	NewPassword string          `json:"newPassword"`
}

// ChangePasswordResponse carries a new session for the caller: every
// earlier session of the user, including the one that made the change, has
// been revoked.
type ChangePasswordResponse struct {
	Session Session `json:"session"`
}

// GetUserRequest reads one user: the caller themselves, or anyone for an admin.
type GetUserRequest struct {
	Caller platform.Caller `json:"caller"`
	UserID string          `json:"userId"`
}

// GetUserResponse carries the user.
type GetUserResponse struct {
	User User `json:"user"`
}

// ListUsersRequest pages through all users (admin only), oldest first.
type ListUsersRequest struct {
	Caller platform.Caller `json:"caller"`
	First  int             `json:"first"`
	After  string          `json:"after,omitempty"` // an opaque cursor from a previous page
}

// ListUsersResponse is one page.
type ListUsersResponse struct {
	Users       []User   `json:"users"`
	Cursors     []string `json:"cursors"` // one per user
	HasNextPage bool     `json:"hasNextPage"`
	TotalCount  int      `json:"totalCount"`
}

// SetUserRoleRequest changes a user's role (admin only). Existing tokens of
// the user are revoked so the new role applies at once.
type SetUserRoleRequest struct {
	Caller platform.Caller `json:"caller"`
	UserID string          `json:"userId"`
	Role   platform.Role   `json:"role"`
}

// SetUserRoleResponse carries the updated user.
type SetUserRoleResponse struct {
	User User `json:"user"`
}

// DeleteUserRequest deletes an account (admin only) and revokes its tokens.
type DeleteUserRequest struct {
	Caller platform.Caller `json:"caller"`
	UserID string          `json:"userId"`
}

// DeleteUserResponse is empty.
type DeleteUserResponse struct{}

// EnsureAdminRequest bootstraps an admin account.
type EnsureAdminRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
}

// EnsureAdminResponse carries the admin and whether it was newly created.
type EnsureAdminResponse struct {
	User    User `json:"user"`
	Created bool `json:"created"`
}

// JWKSRequest is empty.
type JWKSRequest struct{}

// JWKSResponse is a JSON Web Key Set document ({"keys":[...]}).
type JWKSResponse struct {
	Keys json.RawMessage `json:"keys"`
}

// RecentRevocationsRequest is empty.
type RecentRevocationsRequest struct{}

// RecentRevocationsResponse carries, per user with a recent revocation,
// the latest one (a deletion included, with the Reason "user-deleted").
type RecentRevocationsResponse struct {
	Revocations []TokensRevoked `json:"revocations"`
}

// RotateKeyRequest asks for a new signing key; the caller must be an admin.
type RotateKeyRequest struct {
	Caller platform.Caller `json:"caller"`
}

// RotateKeyResponse names the new key, when it starts signing, and every
// key the JWKS now publishes, oldest first.
type RotateKeyResponse struct {
	KID       string    `json:"kid"`
	ActiveAt  time.Time `json:"activeAt"`
	Published []string  `json:"published"`
}
