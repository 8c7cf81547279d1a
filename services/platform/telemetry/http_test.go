package telemetry_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform/telemetry"
)

func TestMiddlewareContinuesTheCallersTrace(t *testing.T) {
	tel := newTelemetry(t)
	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name        string
		path        string
		traceparent string
		route       string
		wantTrace   string // "" means a new trace
		logged      bool
	}{
		{"a service call", "/rpc/GetVideo", caller, "rpc", "4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"a new request", "/graphql", "", "graphql", "", false},
		{"an unknown path", "/wp-admin/x.php", "", "other", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(telemetry.LogHandler(slog.NewTextHandler(&logs, nil)))
			var inside trace.SpanContext
			h := tel.Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inside = trace.SpanContextFromContext(r.Context())
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequest(http.MethodPost, tt.path, nil)
			if tt.traceparent != "" {
				req.Header.Set("traceparent", tt.traceparent)
			}
			before := value(t, tel, "dflix_http_requests_total", map[string]string{"route": tt.route, "code": "418"})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.True(t, inside.IsValid())
			got := rec.Header().Get(telemetry.TraceIDHeader)
			assert.Equal(t, inside.TraceID().String(), got, "the response names the request's trace")
			if tt.wantTrace != "" {
				assert.Equal(t, tt.wantTrace, got)
			}
			assert.Equal(t, before+1, value(t, tel, "dflix_http_requests_total", map[string]string{"route": tt.route, "code": "418"}))
			assert.Equal(t, tt.logged, strings.Contains(logs.String(), "trace_id="+got), logs.String())
		})
	}
}

func TestMiddlewareLeavesProbesUntraced(t *testing.T) {
	tel := newTelemetry(t)
	var inside trace.SpanContext
	h := tel.Middleware(slog.New(slog.DiscardHandler), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		inside = trace.SpanContextFromContext(r.Context())
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	assert.False(t, inside.IsValid())
	assert.Empty(t, rec.Header().Get(telemetry.TraceIDHeader))
	assert.Equal(t, 1.0, value(t, tel, "dflix_http_requests_total", map[string]string{"route": "healthz", "code": "200"}))
}
