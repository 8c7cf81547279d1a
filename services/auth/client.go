package auth

import (
	"context"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Client)(nil)

// Client is the auth API over a platform.Invoker (the app AppID). Errors
// keep the kind and message the service gave them.
type Client struct {
	inv platform.Invoker
}

// NewClient returns a Client that calls auth through inv.
func NewClient(inv platform.Invoker) *Client { return &Client{inv: inv} }

// Register calls Service.Register.
func (c *Client) Register(ctx context.Context, req RegisterRequest) (RegisterResponse, error) {
	return platform.Call[RegisterRequest, RegisterResponse](ctx, c.inv, AppID, MethodRegister, req)
}

// Login calls Service.Login.
func (c *Client) Login(ctx context.Context, req LoginRequest) (LoginResponse, error) {
	return platform.Call[LoginRequest, LoginResponse](ctx, c.inv, AppID, MethodLogin, req)
}

// Refresh calls Service.Refresh.
func (c *Client) Refresh(ctx context.Context, req RefreshRequest) (RefreshResponse, error) {
	return platform.Call[RefreshRequest, RefreshResponse](ctx, c.inv, AppID, MethodRefresh, req)
}

// Logout calls Service.Logout.
func (c *Client) Logout(ctx context.Context, req LogoutRequest) (LogoutResponse, error) {
	return platform.Call[LogoutRequest, LogoutResponse](ctx, c.inv, AppID, MethodLogout, req)
}

// ChangePassword calls Service.ChangePassword.
func (c *Client) ChangePassword(ctx context.Context, req ChangePasswordRequest) (ChangePasswordResponse, error) {
	return platform.Call[ChangePasswordRequest, ChangePasswordResponse](ctx, c.inv, AppID, MethodChangePassword, req)
}

// GetUser calls Service.GetUser.
func (c *Client) GetUser(ctx context.Context, req GetUserRequest) (GetUserResponse, error) {
	return platform.Call[GetUserRequest, GetUserResponse](ctx, c.inv, AppID, MethodGetUser, req)
}

// ListUsers calls Service.ListUsers.
func (c *Client) ListUsers(ctx context.Context, req ListUsersRequest) (ListUsersResponse, error) {
	return platform.Call[ListUsersRequest, ListUsersResponse](ctx, c.inv, AppID, MethodListUsers, req)
}

// SetUserRole calls Service.SetUserRole.
func (c *Client) SetUserRole(ctx context.Context, req SetUserRoleRequest) (SetUserRoleResponse, error) {
	return platform.Call[SetUserRoleRequest, SetUserRoleResponse](ctx, c.inv, AppID, MethodSetUserRole, req)
}

// DeleteUser calls Service.DeleteUser.
func (c *Client) DeleteUser(ctx context.Context, req DeleteUserRequest) (DeleteUserResponse, error) {
	return platform.Call[DeleteUserRequest, DeleteUserResponse](ctx, c.inv, AppID, MethodDeleteUser, req)
}

// EnsureAdmin calls Service.EnsureAdmin.
func (c *Client) EnsureAdmin(ctx context.Context, req EnsureAdminRequest) (EnsureAdminResponse, error) {
	return platform.Call[EnsureAdminRequest, EnsureAdminResponse](ctx, c.inv, AppID, MethodEnsureAdmin, req)
}

// JWKS calls Service.JWKS.
func (c *Client) JWKS(ctx context.Context, req JWKSRequest) (JWKSResponse, error) {
	return platform.Call[JWKSRequest, JWKSResponse](ctx, c.inv, AppID, MethodJWKS, req)
}

// RecentRevocations calls Service.RecentRevocations.
func (c *Client) RecentRevocations(ctx context.Context, req RecentRevocationsRequest) (RecentRevocationsResponse, error) {
	return platform.Call[RecentRevocationsRequest, RecentRevocationsResponse](ctx, c.inv, AppID, MethodRecentRevocations, req)
}

// RotateKey calls Service.RotateKey.
func (c *Client) RotateKey(ctx context.Context, req RotateKeyRequest) (RotateKeyResponse, error) {
	return platform.Call[RotateKeyRequest, RotateKeyResponse](ctx, c.inv, AppID, MethodRotateKey, req)
}
