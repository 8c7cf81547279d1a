package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform"
)

type callMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newCallMetrics() *callMetrics {
	return &callMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_invocations_total", Help: "Calls to other services (Dapr service invocation), by app, method and outcome: ok or the error kind.",
		}, []string{"app", "method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_invocation_duration_seconds", Help: "Round trip of a call to another service through the sidecars, by app.",
			Buckets: prometheus.DefBuckets,
		}, []string{"app"}),
	}
}

func (m *callMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.calls.Describe(ch)
	m.duration.Describe(ch)
}

func (m *callMetrics) Collect(ch chan<- prometheus.Metric) {
	m.calls.Collect(ch)
	m.duration.Collect(ch)
}

// Invoker counts and traces the calls made through inv. The span it starts
// is the parent of the sidecar's: the Dapr invoker sends it as the
// request's traceparent, and the callee's spans and logs continue it.
// Methods are the services' own API methods, a bounded set.
func (t *Telemetry) Invoker(inv platform.Invoker) platform.Invoker {
	return &invoker{next: inv, t: t}
}

type invoker struct {
	next platform.Invoker
	t    *Telemetry
}

func (i *invoker) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	ctx, span := i.t.Tracer.Start(ctx, "invoke "+app+"/"+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("rpc.service", app), attribute.String("rpc.method", method)))
	defer span.End()
	start := time.Now()
	out, err := i.next.Invoke(ctx, app, method, body)
	outcome := "ok"
	if err != nil {
		outcome = string(platform.KindOf(err))
		span.SetStatus(codes.Error, err.Error())
	}
	i.t.calls.calls.WithLabelValues(app, method, outcome).Inc()
	i.t.calls.duration.WithLabelValues(app).Observe(time.Since(start).Seconds())
	return out, err
}
