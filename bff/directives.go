package bff

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/graph"
	"github.com/dflix/dflix/services/platform"
)

// directives implements the schema's @auth and @hasRole with the same
// error kinds the services use (UNAUTHENTICATED, FORBIDDEN).
func directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{
		Auth: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if err := authn.CallerFrom(ctx).RequireUser(); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role platform.Role) (any, error) {
			c := authn.CallerFrom(ctx)
			if err := c.RequireUser(); err != nil {
				return nil, err
			}
			if role == platform.RoleAdmin {
				if err := c.RequireAdmin(); err != nil {
					return nil, err
				}
			} else if c.Role != role && !c.IsAdmin() {
				return nil, platform.E(platform.KindForbidden, fmt.Sprintf("%s role required", role), nil)
			}
			return next(ctx)
		},
	}
}
