package main

import (
	"context"
	"errors"
)

// DaprResults are the figures of the dapr section.
type DaprResults struct{}

func runDapr(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
