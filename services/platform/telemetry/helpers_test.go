package telemetry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform/telemetry"
	"github.com/dflix/dflix/services/platform/telemetry/telemetrytest"
)

func newTelemetry(t *testing.T) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Service: "dflix-test"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// inSpan returns a context in a fresh root span and its trace id.
func inSpan(t *testing.T, tel *telemetry.Telemetry) (context.Context, trace.TraceID) {
	t.Helper()
	ctx, span := tel.Tracer.Start(context.Background(), "test")
	t.Cleanup(func() { span.End() })
	require.True(t, span.SpanContext().IsValid())
	return ctx, span.SpanContext().TraceID()
}

// value is the value of the series of name with labels (0 when absent).
func value(t *testing.T, tel *telemetry.Telemetry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := tel.Registry.Gather()
	require.NoError(t, err)
	return telemetrytest.Sum(families, name, labels)
}
