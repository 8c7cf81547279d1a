package dapr

import (
	"context"
	"errors"
	"strings"

	"github.com/dflix/dflix/services/platform"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// conflictMarks are the texts by which a state store reports a failed
// condition. A state transaction fails with codes.Internal whatever the
// cause, so the message is all there is:
//   - "possible etag mismatch" and "invalid etag value": components-contrib's
//     state.ETagError (sqlite, postgresql, in-memory; an ETag of another
//     store's format cannot match, so it is a conflict too);
//   - "failed to set key" / "failed to delete": the Lua scripts of
//     state.redis inside a transaction;
//   - "no item was updated": state.postgresql on an insert-if-absent of an
//     existing key.
var conflictMarks = []string{
	"possible etag mismatch",
	"invalid etag value",
	"failed to set key",
	"failed to delete",
	"no item was updated",
}

// unavailableMarks are the texts of a store or broker that cannot be
// reached, which the sidecar reports as codes.Internal too. They are checked
// before conflictMarks because state.redis wraps a dial error as "failed to
// set key ...: dial tcp ...".
var unavailableMarks = []string{
	"connection refused",
	"connection reset",
	"broken pipe",
	"i/o timeout",
	"no such host",
	"dial tcp",
	"context deadline exceeded",
	"context canceled",
	"server closed",
	"use of closed network connection",
	"connection is closed",
	"too many connections",
	"circuit breaker is open", // a resiliency circuit breaker, open
	"too many requests",       // and half-open
}

// unavailableMessage is the client-safe text of a KindUnavailable error.
const unavailableMessage = "dapr sidecar or component unavailable"

// classify gives an error from the SDK's gRPC client its kind: a cancelled or
// timed-out call and a sidecar or backend that cannot be reached are
// KindUnavailable, a failed write condition KindConflict (with the
// client-safe text conflict), anything else KindInternal.
func classify(err error, conflict string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return platform.E(platform.KindUnavailable, unavailableMessage, err)
	}
	st, _ := status.FromError(err)
	text := strings.ToLower(err.Error())
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Unavailable, codes.ResourceExhausted:
		return platform.E(platform.KindUnavailable, unavailableMessage, err)
	}
	if containsAny(text, unavailableMarks) {
		return platform.E(platform.KindUnavailable, unavailableMessage, err)
	}
	if conflict != "" && (st.Code() == codes.Aborted || containsAny(text, conflictMarks)) {
		return platform.E(platform.KindConflict, conflict, err)
	}
	return platform.E(platform.KindInternal, "internal error", err)
}

func containsAny(s string, marks []string) bool {
	for _, m := range marks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
