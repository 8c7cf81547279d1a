// Package demo seeds a small, fictional catalog (categories, genres, cast and
// a few dozen published videos) through the public catalog API, so a fresh
// `make run` has something to browse and search. Seeding is idempotent: what
// already exists (matched by name or title) is reused, never duplicated.
package demo
