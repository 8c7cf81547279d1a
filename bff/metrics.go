package bff

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// maxOperationNames bounds the operation names the metrics keep apart:
// clients choose them, so past this many distinct names the rest count as
// "other" rather than growing the series without end.
const maxOperationNames = 200

// codePattern is what an error code label may look like; anything else is
// counted as OTHER.
var codePattern = regexp.MustCompile(`^[A-Z][A-Z_]{0,39}$`)

// Metrics is a gqlgen extension that counts and times GraphQL operations
// and resolvers, and runs each operation in a span. Operations are labelled
// by their name, or by their first root field when they have none ("login",
// "videos"); "invalid" when the document did not parse or name an
// operation. Resolver timings cover fields that run a resolver (not plain
// struct fields), labelled Object.field: the schema bounds them. Deps.Metrics
// installs it.
type Metrics struct {
	tracer     trace.Tracer
	operations *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	resolvers  *prometheus.HistogramVec

	mu    sync.Mutex
	names map[string]bool
}

var (
	_ graphql.HandlerExtension     = (*Metrics)(nil)
	_ graphql.OperationInterceptor = (*Metrics)(nil)
	_ graphql.ResponseInterceptor  = (*Metrics)(nil)
	_ graphql.FieldInterceptor     = (*Metrics)(nil)
	_ prometheus.Collector         = (*Metrics)(nil)
)

// NewMetrics returns the extension, tracing with tracer. Register it (a
// prometheus.Collector) on the process's registry.
func NewMetrics(tracer trace.Tracer) *Metrics {
	return &Metrics{
		tracer: tracer,
		names:  map[string]bool{},
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_graphql_operations_total", Help: "GraphQL operations answered, by operation (name, or first root field), type and outcome (ok or error: at least one error).",
		}, []string{"operation", "type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_graphql_operation_duration_seconds", Help: "Time from the start of a GraphQL request to its response, by operation and type (queries and mutations).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_graphql_errors_total", Help: "GraphQL errors answered, by operation and extensions.code.",
		}, []string{"operation", "code"}),
		resolvers: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_graphql_resolver_duration_seconds", Help: "Time a field's resolver took (dataloader waits included), by Object.field.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"field"}),
	}
}

// ExtensionName names the extension for gqlgen.
func (m *Metrics) ExtensionName() string { return "DflixMetrics" }

// Validate accepts every schema.
func (m *Metrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation starts the operation's span; the resolvers, and the
// services they call, run under it. A subscription is counted here, once,
// as it starts; its span covers the setup, not its lifetime.
func (m *Metrics) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	name, typ := m.label(graphql.GetOperationContext(ctx))
	ctx, span := m.tracer.Start(ctx, "graphql "+typ+" "+name, trace.WithAttributes(
		attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", typ)))
	handler := next(ctx)
	if typ == string(ast.Subscription) {
		span.End()
		m.operations.WithLabelValues(name, typ, "ok").Inc()
		return handler
	}
	return func(ctx context.Context) *graphql.Response {
		defer span.End()
		return handler(trace.ContextWithSpan(ctx, span))
	}
}

// InterceptResponse counts and times each response of a query or mutation,
// and counts every response's errors by code. A document that failed to
// parse or validate never reaches InterceptOperation but is counted here.
func (m *Metrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	var op *graphql.OperationContext
	if graphql.HasOperationContext(ctx) {
		op = graphql.GetOperationContext(ctx)
	}
	name, typ := m.label(op)
	outcome := "ok"
	for _, e := range resp.Errors {
		outcome = "error"
		code, _ := e.Extensions["code"].(string)
		if !codePattern.MatchString(code) {
			code = "OTHER"
		}
		m.errors.WithLabelValues(name, code).Inc()
	}
	if outcome == "error" {
		trace.SpanFromContext(ctx).SetStatus(codes.Error, fmt.Sprintf("%d GraphQL errors", len(resp.Errors)))
	}
	if typ == string(ast.Subscription) {
		return resp
	}
	m.operations.WithLabelValues(name, typ, outcome).Inc()
	if op != nil && !op.Stats.OperationStart.IsZero() {
		m.latency.WithLabelValues(name, typ).Observe(time.Since(op.Stats.OperationStart).Seconds())
	}
	return resp
}

// InterceptField times the fields that run a resolver.
func (m *Metrics) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	start := time.Now()
	res, err := next(ctx)
	m.resolvers.WithLabelValues(fc.Object + "." + fc.Field.Name).Observe(time.Since(start).Seconds())
	return res, err
}

// label returns the operation and type labels of op.
func (m *Metrics) label(op *graphql.OperationContext) (name, typ string) {
	if op == nil || op.Operation == nil {
		return "invalid", "unknown"
	}
	typ = string(op.Operation.Operation)
	name = op.Operation.Name
	if name == "" {
		if len(op.Operation.SelectionSet) > 0 {
			if f, ok := op.Operation.SelectionSet[0].(*ast.Field); ok {
				return f.Name, typ
			}
		}
		return "anonymous", typ
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= maxOperationNames {
			return "other", typ
		}
		m.names[name] = true
	}
	return name, typ
}

// Describe describes the GraphQL metrics.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.operations.Describe(ch)
	m.latency.Describe(ch)
	m.errors.Describe(ch)
	m.resolvers.Describe(ch)
}

// Collect collects the GraphQL metrics.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.operations.Collect(ch)
	m.latency.Collect(ch)
	m.errors.Collect(ch)
	m.resolvers.Collect(ch)
}
