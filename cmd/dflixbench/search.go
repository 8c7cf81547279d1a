package main

import (
	"context"
	"errors"
)

// SearchResults are the figures of the search section.
type SearchResults struct{}

func runSearch(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
