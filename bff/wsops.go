package bff

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// wsOperationLimit bounds the operations one websocket runs at once. Each
// costs the server goroutines and, for encodingProgress, a seat in the
// media event fan-out for as long as the client keeps it open, so one
// connection could otherwise pin unbounded memory with a loop of
// subscribe messages. The web app runs one or two at a time; an admin
// watching a whole upload batch stays far below the limit.
const wsOperationLimit = 50

// wsOperations counts a websocket's running operations; websocketInit puts
// one in the connection's context.
type wsOperations struct{ running atomic.Int32 }

type wsOperationsKey struct{}

func withWSOperations(ctx context.Context) context.Context {
	return context.WithValue(ctx, wsOperationsKey{}, &wsOperations{})
}

// admitWSOperation counts the operation whose context is ctx against its
// connection's limit until ctx ends (gqlgen cancels it when the operation
// completes, is stopped by the client, or the connection closes). Outside
// a websocket it admits everything: an HTTP request runs one operation.
func admitWSOperation(ctx context.Context) *gqlerror.Error {
	ops, ok := ctx.Value(wsOperationsKey{}).(*wsOperations)
	if !ok {
		return nil
	}
	if ops.running.Add(1) > wsOperationLimit {
		ops.running.Add(-1)
		return &gqlerror.Error{
			Message:    fmt.Sprintf("this connection already runs %d operations, the most it may: complete one first", wsOperationLimit),
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": CodeOperationLimit},
		}
	}
	context.AfterFunc(ctx, func() { ops.running.Add(-1) })
	return nil
}
