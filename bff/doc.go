// Package bff is dflix's HTTP edge: the one GraphQL API (POST and GET
// /graphql, graphql-transport-ws on the same path, GraphiQL for browsers),
// health and readiness probes, and the auth service's JWKS passed through at
// /.well-known/jwks.json.
//
// Requests are authenticated by bff/authn (a bearer JWT verified locally,
// revocations applied from the users topic), resolved by graph over the
// service APIs with bff/loader batching the per-video reads (and, with
// Config.CacheTTL, bff/cache keeping hot catalog reads), and every error
// leaves through one presenter that maps platform error kinds to GraphQL
// extensions.code values. Admins see and redrive dead letters through
// Deps.DeadLetters.
//
// cmd/dflix builds a Server with New, serves it, and registers the
// subscriptions from Server.Subscriptions on its event bus so that every
// replica applies token revocations and drops the cached reads that changed.
package bff
