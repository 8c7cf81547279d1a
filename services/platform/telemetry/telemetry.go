package telemetry

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config says how one process reports.
type Config struct {
	// Service names the process in traces ("dflix-catalog").
	Service string
	// OTLPEndpoint, when set, turns on the export of spans over OTLP/HTTP
	// (e.g. to http://otel-collector:4318). The exporter reads the standard
	// OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout),
	// as every OpenTelemetry SDK does; main reads the endpoint only to
	// decide. Without it spans are still created, so trace ids reach logs
	// and other services.
	OTLPEndpoint string
}

// Telemetry is one process's registry, tracer and propagator, and the
// metrics every target has.
type Telemetry struct {
	Registry   *prometheus.Registry
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
	events     *eventMetrics
	http       *httpMetrics
	calls      *callMetrics
	provider   *sdktrace.TracerProvider
	registered []prometheus.Collector
}

// New builds the telemetry of one process: a fresh registry with the Go
// runtime and process collectors, and a tracer provider that samples every
// trace (Dapr's sidecars decide their own sampling, dapr/config.yaml).
//
// Errors: a collector that fails to register, or an OTLP exporter that
// cannot be built from Config.OTLPEndpoint.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	reg := prometheus.NewRegistry()
	t := &Telemetry{
		Registry:   reg,
		Propagator: propagation.TraceContext{},
		events:     newEventMetrics(),
		http:       newHTTPMetrics(),
		calls:      newCallMetrics(),
	}
	if err := t.Register(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		t.events, t.http, t.calls); err != nil {
		return nil, fmt.Errorf("telemetry: register: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", cfg.Service))),
	}
	if cfg.OTLPEndpoint != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter for %s: %w", cfg.OTLPEndpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	t.provider = sdktrace.NewTracerProvider(opts...)
	t.Tracer = t.provider.Tracer("github.com/dflix/dflix")
	return t, nil
}

// Register adds collectors of a part of the process (the BFF's GraphQL
// metrics, the encoder's) to the registry.
func (t *Telemetry) Register(cs ...prometheus.Collector) error {
	var errs []error
	for _, c := range cs {
		err := t.Registry.Register(c)
		if err == nil {
			t.registered = append(t.registered, c)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Describe sends the descriptions of every metric registered, also those
// with no series yet (Gather leaves those out): a dashboard can be checked
// against them.
func (t *Telemetry) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range t.registered {
		c.Describe(ch)
	}
}

// Shutdown flushes the spans not exported yet.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return t.provider.Shutdown(ctx)
}
