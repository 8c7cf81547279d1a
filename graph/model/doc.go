// Package model holds the GraphQL-only types of the dflix schema (connections,
// edges, inputs, facets) and the marshalling of its custom scalars. Types that
// exist in a service (catalog.Video, auth.User, ...) are bound directly in
// gqlgen.yml and are not repeated here.
package model
