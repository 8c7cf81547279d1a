package authn

import (
	"context"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Identity is what a verified access token says about its bearer.
type Identity struct {
	Caller    platform.Caller
	Email     string
	TokenID   string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity in ctx and whether there is one; an
// anonymous request has none.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// CallerFrom returns the caller in ctx; the zero Caller (anonymous) when the
// request carried no token.
func CallerFrom(ctx context.Context) platform.Caller {
	id, _ := IdentityFrom(ctx)
	return id.Caller
}
