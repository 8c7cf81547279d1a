// Package graph is dflix's GraphQL API: the schema (schema/*.graphqls, one
// file per concept), the code gqlgen generates from it (generated.go,
// model/models_gen.go; regenerate with `go generate ./graph/...`), and thin
// resolvers (*.resolvers.go) over the auth and catalog service APIs.
//
// Service types (catalog.Video, auth.User, the enums) are bound directly in
// gqlgen.yml; package model holds only GraphQL-level types. The caller's
// identity comes from the context (set by the BFF's authentication) and is
// put into every service request's Caller field. Per-video fields load
// through the operation's dataloaders (bff/loader), which list resolvers
// prime for the fields the operation selected. The @auth and @hasRole
// directives and the error presenter are the BFF's (package bff).
package graph
