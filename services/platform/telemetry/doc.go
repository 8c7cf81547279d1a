// Package telemetry holds the observability pieces every dflix target
// shares: Prometheus metric definitions on a registry passed in (never the
// global one), OpenTelemetry tracing with the W3C trace-context
// propagator, decorators that count and trace events and service calls
// around the platform ports, an HTTP middleware that joins an incoming
// traceparent, and a slog.Handler that stamps every record with the trace
// and span ids of its context.
//
// Only cmd/dflix builds these and wraps the adapters with them; services
// and resolvers see plain platform ports and a context that may carry a
// span.
package telemetry
