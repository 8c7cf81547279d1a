package e2e

import (
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/telemetry/telemetrytest"
)

// TestMetricsAfterScenario runs the viewer and media scenarios on one
// process (sign-in, browse, search, tags; an admin creates a video,
// uploads a clip that the encoder encodes, a viewer plays it), then
// scrapes /metrics and finds the GraphQL operation, event, encoder and
// stream series counted.
func TestMetricsAfterScenario(t *testing.T) {
	in := start(t, t.TempDir(), "--seed-demo")
	viewerScenario(t, in.URL, "")
	mediaScenario(t, in.URL)

	m := scrape(t, in.URL)
	tests := []struct {
		name   string
		metric string
		labels map[string]string
	}{
		{"sign-in", "dflix_graphql_operations_total", map[string]string{"operation": "login", "type": "mutation", "outcome": "ok"}},
		{"browse", "dflix_graphql_operations_total", map[string]string{"operation": "videos", "type": "query", "outcome": "ok"}},
		{"search latency", "dflix_graphql_operation_duration_seconds", map[string]string{"operation": "search", "type": "query"}},
		{"a resolver", "dflix_graphql_resolver_duration_seconds", map[string]string{"field": "Query.videos"}},
		{"catalog events published", "dflix_events_published_total", map[string]string{"topic": "catalog", "type": "video.changed", "outcome": "ok"}},
		{"upload events consumed", "dflix_events_consumed_total", map[string]string{"topic": "media", "outcome": "ok"}},
		{"encoder jobs started", "dflix_encoder_jobs_started_total", nil},
		{"encoder jobs done", "dflix_encoder_jobs_finished_total", map[string]string{"outcome": "done"}},
		{"encoder durations", "dflix_encoder_job_duration_seconds", map[string]string{"outcome": "done"}},
		{"encoder speed", "dflix_encoder_seconds_per_content_second", nil},
		{"active streams", "dflix_active_streams", nil},
		{"graphql requests", "dflix_http_requests_total", map[string]string{"route": "graphql", "code": "200"}},
		{"go runtime", "go_memstats_heap_alloc_bytes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Positive(t, sum(m, tt.metric, tt.labels), "%s%v", tt.metric, tt.labels)
		})
	}
	t.Logf("figures: encoder done %.0f in %.1fs total; events published %.0f, consumed %.0f; graphql operations %.0f",
		sum(m, "dflix_encoder_jobs_finished_total", map[string]string{"outcome": "done"}),
		histogramSum(m, "dflix_encoder_job_duration_seconds"),
		sum(m, "dflix_events_published_total", nil), sum(m, "dflix_events_consumed_total", nil),
		sum(m, "dflix_graphql_operations_total", nil))
}

// TestTraceIDInResponseAndLogs: a request's X-Trace-Id names a trace
// that the process's log lines for it carry.
func TestTraceIDInResponseAndLogs(t *testing.T) {
	in := start(t, t.TempDir())
	body := strings.NewReader(`{"query":"mutation { login(email: \"` + adminEmail + `\", password: \"` + adminPassword + `\") { accessToken } }"}`)
	resp, err := http.Post(in.URL+"/graphql", "application/json", body)
	require.NoError(t, err)
	resp.Body.Close()
	id := resp.Header.Get("X-Trace-Id")
	require.Len(t, id, 32)
	// The first sign-in creates auth's signing key and logs it.
	require.Eventually(t, func() bool { return strings.Contains(in.logs.String(), `"trace_id":"`+id+`"`) },
		10*time.Second, 50*time.Millisecond, "no log line carries trace %s:\n%s", id, in.logs.String())
}

// scrape reads the instance's /metrics.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// sum adds the values (a histogram's sample counts) of the series of name
// that have labels.
func sum(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	return telemetrytest.Sum(slices.Collect(maps.Values(families)), name, labels)
}

func histogramSum(families map[string]*dto.MetricFamily, name string) float64 {
	total := 0.0
	if f := families[name]; f != nil {
		for _, m := range f.GetMetric() {
			total += m.GetHistogram().GetSampleSum()
		}
	}
	return total
}

// TestMetricsOnTheirOwnPort checks that --metrics-addr moves /metrics off
// the public port: an Ingress in front of the BFF then cannot expose them.
func TestMetricsOnTheirOwnPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	in := start(t, t.TempDir(), "--metrics-addr="+addr)
	resp, err := http.Get(in.URL + "/metrics")
	require.NoError(t, err)
	public, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.NotContains(t, string(public), "# HELP", "no metrics on the public port")

	var families map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		r, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "metrics served on %s", addr)
	families = scrape(t, "http://"+addr)
	assert.Contains(t, families, "go_goroutines", "the process's own metrics")
}
