package auth

import "time"

// Topic is where auth publishes its facts.
const Topic = "users"

// Event types on Topic.
const (
	EventUserRegistered = "user.registered"
	EventRoleChanged    = "user.role-changed"
	EventUserDeleted    = "user.deleted"
	// EventTokensRevoked tells every token verifier to refuse access tokens
	// of the user issued before NotBefore.
	EventTokensRevoked = "user.tokens-revoked"
)

// UserRegistered is the payload of EventUserRegistered.
type UserRegistered struct {
	User User `json:"user"`
}

// RoleChanged is the payload of EventRoleChanged.
type RoleChanged struct {
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// UserDeleted is the payload of EventUserDeleted.
type UserDeleted struct {
	UserID string `json:"userId"`
}

// TokensRevoked is the payload of EventTokensRevoked. NotBefore has whole
// seconds, like the iat claim: refuse tokens whose iat is before it. Reason
// is for logs: password-changed, password-reset, role-changed, user-deleted
// or refresh-token-reused.
type TokensRevoked struct {
	UserID    string    `json:"userId"`
	NotBefore time.Time `json:"notBefore"`
	Reason    string    `json:"reason"`
}
