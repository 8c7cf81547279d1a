package dapr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want platform.Kind
	}{
		{"sqlite etag", status.Error(codes.Internal, "error while executing state transaction: possible etag mismatch. error from state store"), platform.KindConflict},
		{"redis script", status.Error(codes.Internal, "error while executing state transaction: ERR user_script:12: failed to set key app||k"), platform.KindConflict},
		{"redis delete", status.Error(codes.Internal, "error while executing state transaction: failed to delete app||k"), platform.KindConflict},
		{"postgres insert", status.Error(codes.Internal, "error while executing state transaction: no item was updated"), platform.KindConflict},
		{"foreign etag", status.Error(codes.Internal, "invalid etag value: strconv.ParseUint"), platform.KindConflict},
		{"aborted", status.Error(codes.Aborted, "failed saving state"), platform.KindConflict},
		{"redis down", status.Error(codes.Internal, "failed to set key k: dial tcp 127.0.0.1:6379: connect: connection refused"), platform.KindUnavailable},
		{"sidecar down", fmt.Errorf("error getting state: %w", status.Error(codes.Unavailable, "connection error")), platform.KindUnavailable},
		{"breaker open", status.Error(codes.Internal, "fail to get k from state store statestore: circuit breaker is open"), platform.KindUnavailable},
		{"breaker half-open", status.Error(codes.Internal, "error invoking output binding blobs: too many requests"), platform.KindUnavailable},
		{"deadline", status.Error(codes.DeadlineExceeded, "deadline"), platform.KindUnavailable},
		{"cancelled ctx", fmt.Errorf("x: %w", context.Canceled), platform.KindUnavailable},
		{"no such store", status.Error(codes.InvalidArgument, "state store nope is not found"), platform.KindInternal},
		{"plain", errors.New("boom"), platform.KindInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.err, "key changed")
			assert.Equal(t, tc.want, platform.KindOf(err), "%v", err)
			assert.ErrorIs(t, err, tc.err)
		})
	}
	assert.NoError(t, classify(nil, ""))
	err := classify(status.Error(codes.Internal, "possible etag mismatch"), "")
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "no conflict where none can happen")
	assert.Equal(t, "internal error", platform.PublicMessage(classify(errors.New("secret detail"), "")))
}
