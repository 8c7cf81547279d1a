package main

import (
	"context"
	"errors"
)

// EdgeResults are the figures of the edge section.
type EdgeResults struct{}

func runEdge(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
