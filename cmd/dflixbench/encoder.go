package main

import (
	"context"
	"errors"
)

// EncoderResults are the figures of the encoder section.
type EncoderResults struct{}

func runEncoder(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
