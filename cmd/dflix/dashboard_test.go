package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

const dashboardPath = "../../deploy/grafana/dflix-dashboard.json"

// registeredNames are the metric names one process registers when it runs
// every target (--target=all registers the union of the targets' metrics).
func registeredNames(t *testing.T) map[string]bool {
	t.Helper()
	tel, _, err := newTelemetry(context.Background(), config{Target: "all"}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, _, err = bffTelemetry(tel)
	require.NoError(t, err)
	require.NoError(t, tel.Register(newEncoderMetrics()))
	require.NoError(t, tel.DeadLetters(noDeadLetters{}))
	ch := make(chan *prometheus.Desc)
	go func() { tel.Describe(ch); close(ch) }()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		require.NotNil(t, m, d.String())
		names[m[1]] = true
	}
	return names
}

type noDeadLetters struct{}

func (noDeadLetters) ListDeadLetters(context.Context) ([]platform.DeadLetter, error) { return nil, nil }
func (noDeadLetters) Redrive(context.Context, string) error                          { return nil }

// TestDashboardQueriesRegisteredMetrics: the Grafana dashboard is valid
// JSON, every panel has a query, and every metric its PromQL names is one
// the code registers (a histogram's _bucket, _sum and _count included), so
// a renamed metric cannot leave a panel silently empty.
func TestDashboardQueriesRegisteredMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.FromSlash(dashboardPath))
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.NotEmpty(t, dash.Panels)
	names := registeredNames(t)
	metricRef := regexp.MustCompile(`\b((?:dflix|go|process)_[a-z0-9_]+)\b`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		t.Run(p.Title, func(t *testing.T) {
			require.NotEmpty(t, p.Targets, "a panel without a query")
			for _, target := range p.Targets {
				refs := metricRef.FindAllString(target.Expr, -1)
				require.NotEmpty(t, refs, "query names no metric: %s", target.Expr)
				for _, ref := range refs {
					base := ref
					for _, suffix := range []string{"_bucket", "_sum", "_count"} {
						if trimmed, ok := strings.CutSuffix(ref, suffix); ok && names[trimmed] {
							base = trimmed
						}
					}
					assert.True(t, names[base], "%q in %q is not a registered metric", ref, target.Expr)
					used[base] = true
				}
			}
		})
	}
	var unused []string
	for n := range names {
		if strings.HasPrefix(n, "dflix_") && !used[n] {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	t.Logf("dflix metrics not on the dashboard: %v", unused)
	for _, want := range []string{"dflix_graphql_operations_total", "dflix_graphql_operation_duration_seconds", "dflix_graphql_errors_total",
		"dflix_events_published_total", "dflix_events_consumed_total", "dflix_event_dead_letters", "dflix_encoder_jobs_finished_total",
		"dflix_encoder_job_duration_seconds", "dflix_active_streams", "go_memstats_heap_alloc_bytes"} {
		assert.True(t, used[want], "the dashboard shows %s", want)
	}
}
