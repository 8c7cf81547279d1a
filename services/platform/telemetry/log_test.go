package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/telemetry"
)

func TestLogHandlerAddsTraceIDs(t *testing.T) {
	tel := newTelemetry(t)
	spanCtx, traceID := inSpan(t, tel)
	tests := []struct {
		name      string
		ctx       context.Context
		wantTrace string
	}{
		{"in a span", spanCtx, traceID.String()},
		{"no span", context.Background(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil))).With("service", "catalog")
			log.InfoContext(tt.ctx, "hello", "k", "v")
			var rec map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
			assert.Equal(t, "catalog", rec["service"], "attributes of With survive")
			assert.Equal(t, "v", rec["k"])
			if tt.wantTrace == "" {
				assert.NotContains(t, rec, "trace_id")
				assert.NotContains(t, rec, "span_id")
				return
			}
			assert.Equal(t, tt.wantTrace, rec["trace_id"])
			assert.Len(t, rec["span_id"], 16)
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
