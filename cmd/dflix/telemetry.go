package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/telemetry"
)

// observed is one process's telemetry and the platform ports wrapped with
// it: every event published or handled and every call to another service
// is counted and traced.
type observed struct {
	tel *telemetry.Telemetry
	pub platform.Publisher
	sub platform.Subscriber
	inv platform.Invoker // nil in one process, which calls no other app
}

// newTelemetry builds the telemetry of the process running cfg.Target.
func newTelemetry(ctx context.Context, cfg config, log *slog.Logger) (*telemetry.Telemetry, func(), error) {
	tel, err := telemetry.New(ctx, telemetry.Config{Service: "dflix-" + cfg.Target, OTLPEndpoint: cfg.OTLPEndpoint})
	if err != nil {
		return nil, nil, err
	}
	if cfg.OTLPEndpoint != "" {
		log.Info("exporting traces over OTLP/HTTP", "endpoint", cfg.OTLPEndpoint)
	}
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("flush traces", "err", err)
		}
	}
	return tel, shutdown, nil
}

// observe wraps the ports of one process.
func observe(tel *telemetry.Telemetry, log *slog.Logger, pub platform.Publisher, sub platform.Subscriber, inv platform.Invoker) observed {
	o := observed{tel: tel, pub: tel.Publisher(pub), sub: tel.Subscriber(sub, log)}
	if inv != nil {
		o.inv = tel.Invoker(inv)
	}
	return o
}

// bffTelemetry registers the BFF's own metrics: GraphQL operations and
// resolvers, and active streams, which wraps the BFF's handler.
func bffTelemetry(tel *telemetry.Telemetry) (*bff.Metrics, *telemetry.Streams, error) {
	m := bff.NewMetrics(tel.Tracer)
	streams := telemetry.NewStreams(nil)
	if err := tel.Register(m, streams); err != nil {
		return nil, nil, err
	}
	return m, streams, nil
}

// instrument serves /metrics beside mux's routes, unless metricsAddr names
// a listener of its own, all behind the tracing middleware.
func instrument(tel *telemetry.Telemetry, log *slog.Logger, mux *http.ServeMux, metricsAddr string) http.Handler {
	if metricsAddr == "" {
		mux.Handle("GET /metrics", metricsHandler(tel, log))
	}
	return tel.Middleware(log, mux)
}

func metricsHandler(tel *telemetry.Telemetry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(tel.Registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)})
}

// serveMetrics serves /metrics alone on cfg.MetricsAddr until ctx ends, so
// an operator can keep them off the port an Ingress exposes. It returns at
// once when no such address is configured.
func serveMetrics(ctx context.Context, cfg config, tel *telemetry.Telemetry, log *slog.Logger) error {
	if cfg.MetricsAddr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(tel, log))
	mcfg := cfg
	mcfg.Addr = cfg.MetricsAddr
	return serve(ctx, mcfg, log, mux, func(addr string) { log.Info("metrics listening", "addr", addr) })
}
