// Package e2e drives the real dflix binary as a user would: it builds it,
// starts it on a fresh data directory, talks GraphQL over HTTP, and kills it
// with SIGKILL to prove that acknowledged writes survive.
package e2e
