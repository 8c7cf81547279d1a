package main

import (
	"context"
	"errors"
)

// RPCResults are the figures of the rpc section.
type RPCResults struct{}

func runRPC(ctx context.Context, env *Env, res *Results) error {
	return errors.New("not written yet")
}
