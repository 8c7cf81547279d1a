package bff_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform/embedded"
)

// metricsServer is a BFF over real auth and catalog services with the
// metrics extension, its registry and the spans it records.
func metricsServer(t *testing.T) (http.Handler, *prometheus.Registry, *tracetest.SpanRecorder) {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	bus, err := embedded.OpenBus(filepath.Join(dir, "bus.db"), embedded.BusOptions{Logger: log})
	require.NoError(t, err)
	authState, err := embedded.OpenState(filepath.Join(dir, "auth.db"))
	require.NoError(t, err)
	catState, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = bus.Close(); _ = authState.Close(); _ = catState.Close() })
	authSvc, err := auth.New(auth.Config{Argon2: auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}, authState, bus, nil, log)
	require.NoError(t, err)
	catSvc, err := catalog.New(context.Background(), catalog.Config{IndexDir: dir}, catState, bus, nil, log)
	require.NoError(t, err)
	t.Cleanup(func() { _ = catSvc.Close() })

	spans := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	m := bff.NewMetrics(provider.Tracer("test"))
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m))
	srv, err := bff.New(bff.Config{}, bff.Deps{Auth: authSvc, Catalog: catSvc, Metrics: m})
	require.NoError(t, err)
	return srv, reg, spans
}

func TestMetricsCountOperationsByNameAndCode(t *testing.T) {
	srv, reg, spans := metricsServer(t)
	tests := []struct {
		name, body, operation, typ, outcome, code string
	}{
		{"named query", `{"query":"query Browse { categories { name } }"}`, "Browse", "query", "ok", ""},
		{"anonymous query", `{"query":"{ videos(first: 1) { totalCount } }"}`, "videos", "query", "ok", ""},
		{"signed out", `{"query":"{ me { email } }"}`, "me", "query", "error", "UNAUTHENTICATED"},
		{"invalid", `{"query":"{ nope }"}`, "invalid", "unknown", "error", "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			srv.ServeHTTP(httptest.NewRecorder(), req)
			ops := `dflix_graphql_operations_total{operation="` + tt.operation + `",outcome="` + tt.outcome + `",type="` + tt.typ + `"} 1`
			assert.Contains(t, gather(t, reg), ops)
			assert.Contains(t, gather(t, reg), `dflix_graphql_operation_duration_seconds_count{operation="`+tt.operation+`",type="`+tt.typ+`"} 1`)
			if tt.code != "" {
				assert.Contains(t, gather(t, reg), `dflix_graphql_errors_total{code="`+tt.code+`",operation="`+tt.operation+`"} 1`)
			}
		})
	}
	assert.Contains(t, gather(t, reg), `dflix_graphql_resolver_duration_seconds_count{field="Query.categories"} 1`)
	assert.NotContains(t, gather(t, reg), `field="Category.name"`, "plain struct fields are not resolvers")
	var names []string
	for _, s := range spans.Ended() {
		names = append(names, s.Name())
	}
	assert.Contains(t, names, "graphql query Browse")
	assert.Contains(t, names, "graphql query videos")
}

func TestMetricsBoundOperationNames(t *testing.T) {
	srv, reg, _ := metricsServer(t)
	for i := range 205 {
		body := `{"query":"query Op` + strings.Repeat("x", i) + ` { categories { name } }"}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	n, err := testutil.GatherAndCount(reg, "dflix_graphql_operations_total")
	require.NoError(t, err)
	assert.Equal(t, 201, n, "200 names, then other")
	assert.Contains(t, gather(t, reg), `dflix_graphql_operations_total{operation="other",outcome="ok",type="query"} 5`)
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	var b strings.Builder
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			v := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				b.WriteString(f.GetName() + "_count{" + strings.Join(labels, ",") + "} " + itoa(h.GetSampleCount()) + "\n")
				continue
			}
			b.WriteString(f.GetName() + "{" + strings.Join(labels, ",") + "} " + itoa(uint64(v)) + "\n")
		}
	}
	return b.String()
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
