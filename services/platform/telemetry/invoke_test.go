package telemetry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform"
)

type invokerFunc func(ctx context.Context, app, method string, body []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	return f(ctx, app, method, body)
}

func TestInvokerCountsByKindInAChildSpan(t *testing.T) {
	tel := newTelemetry(t)
	ctx, traceID := inSpan(t, tel)
	tests := []struct {
		name    string
		err     error
		outcome string
	}{
		{"ok", nil, "ok"},
		{"not found", platform.Errorf(platform.KindNotFound, "no such video"), "not_found"},
		{"down", platform.Errorf(platform.KindUnavailable, "catalog down"), "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inside trace.SpanContext
			inv := tel.Invoker(invokerFunc(func(ctx context.Context, _, _ string, _ []byte) ([]byte, error) {
				inside = trace.SpanContextFromContext(ctx)
				return nil, tt.err
			}))
			labels := map[string]string{"app": "catalog", "method": "rpc/GetVideo", "outcome": tt.outcome}
			before := value(t, tel, "dflix_invocations_total", labels)
			_, err := inv.Invoke(ctx, "catalog", "rpc/GetVideo", nil)
			assert.Equal(t, tt.err, err)
			assert.Equal(t, traceID, inside.TraceID(), "the call continues the caller's trace")
			assert.Equal(t, before+1, value(t, tel, "dflix_invocations_total", labels))
		})
	}
}
