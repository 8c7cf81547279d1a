package telemetry

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceIDHeader carries the trace id of a request back to its client, so a
// user (or a test) can look the request up in every service's logs.
const TraceIDHeader = "X-Trace-Id"

// routes are the first path segments HTTP metrics and spans are named
// after; any other path counts as "other", so a scanner cannot grow the
// label set.
var routes = map[string]bool{
	"graphql": true, "media": true, "uploads": true, "rpc": true, "events": true, "dapr": true,
	"sandbox": true, "healthz": true, "readyz": true, "metrics": true, ".well-known": true, "graphiql": true,
}

// quiet routes are probed every few seconds: counted, never traced or
// logged.
var quiet = map[string]bool{"healthz": true, "readyz": true, "metrics": true}

// route is the bounded name of r's path.
func route(r *http.Request) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if routes[first] {
		return first
	}
	return "other"
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_http_requests_total", Help: "HTTP requests served, by route (first path segment) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_http_request_duration_seconds", Help: "Time to serve an HTTP request until its handler returned, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
}

func (m *httpMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

func (m *httpMetrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// Middleware serves h in a server span that continues the caller's W3C
// traceparent (the BFF's, through the Dapr sidecars; or daprd's on an
// event delivery), answers the trace id in X-Trace-Id, and counts the
// request. Service calls (/rpc/) are logged at info with the trace id, so
// the callee's log holds a line for every call a BFF request made.
func (t *Telemetry) Middleware(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := route(r)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		if quiet[name] {
			h.ServeHTTP(sw, r)
			t.http.observe(name, sw.code, time.Since(start))
			return
		}
		ctx := t.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.Tracer.Start(ctx, r.Method+" /"+name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		w.Header().Set(TraceIDHeader, span.SpanContext().TraceID().String())
		h.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := time.Since(start)
		span.SetAttributes(attribute.Int("http.response.status_code", sw.code))
		t.http.observe(name, sw.code, elapsed)
		if name == "rpc" {
			log.InfoContext(ctx, "rpc served", "method", strings.TrimPrefix(r.URL.Path, "/rpc/"),
				"status", sw.code, "duration_ms", float64(elapsed.Microseconds())/1000)
		}
	})
}

func (m *httpMetrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush, Hijack (the GraphQL
// websocket) and deadlines of the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes a flush on to the real writer, when it can.
func (w *statusWriter) Flush() {
	w.wroteHeader = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}
