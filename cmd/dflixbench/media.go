package main

import (
	"context"
	"errors"
)

// MediaResults are the figures of the media section.
type MediaResults struct{}

func runMedia(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
