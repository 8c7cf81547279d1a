package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform"
)

// Outcomes of one delivery to one handler.
const (
	OutcomeOK      = "ok"
	OutcomeRetry   = "retry"
	OutcomeDropped = "dropped"
)

type eventMetrics struct {
	published *prometheus.CounterVec
	consumed  *prometheus.CounterVec
	handling  *prometheus.HistogramVec
}

func newEventMetrics() *eventMetrics {
	return &eventMetrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_events_published_total", Help: "Events handed to the broker (or the embedded bus), by topic, type and outcome (ok or error).",
		}, []string{"topic", "type", "outcome"}),
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_events_consumed_total", Help: "Deliveries of events to handlers, by topic, type, subscription and outcome: ok, retry (redelivered later) or dropped (straight to the dead letters).",
		}, []string{"topic", "type", "subscription", "outcome"}),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_event_handler_duration_seconds", Help: "Time a handler took over one delivery, by subscription.",
			Buckets: prometheus.DefBuckets,
		}, []string{"subscription"}),
	}
}

func (m *eventMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.published.Describe(ch)
	m.consumed.Describe(ch)
	m.handling.Describe(ch)
}

func (m *eventMetrics) Collect(ch chan<- prometheus.Metric) {
	m.published.Collect(ch)
	m.consumed.Collect(ch)
	m.handling.Collect(ch)
}

// Publisher counts and traces what pub publishes, and stamps each event
// that has no trace context yet with the one in ctx, so its consumers join
// the trace of the write that caused it (the outbox stamps the events it
// stores itself, see platform.Outbox.Commit).
func (t *Telemetry) Publisher(pub platform.Publisher) platform.Publisher {
	return &publisher{next: pub, t: t}
}

type publisher struct {
	next platform.Publisher
	t    *Telemetry
}

func (p *publisher) Publish(ctx context.Context, ev platform.Event) error {
	if ev.TraceParent != "" && !trace.SpanContextFromContext(ctx).IsValid() {
		// A relayed outbox event: publish it under the write's trace.
		ctx = p.t.Propagator.Extract(ctx, propagation.MapCarrier{"traceparent": ev.TraceParent})
	}
	ctx, span := p.t.Tracer.Start(ctx, "publish "+ev.Topic, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.destination.name", ev.Topic),
			attribute.String("messaging.message.id", ev.ID), attribute.String("dflix.event.type", ev.Type)))
	defer span.End()
	ev.TraceParent = platform.TraceParent(ctx)
	err := p.next.Publish(ctx, ev)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		span.SetStatus(codes.Error, err.Error())
	}
	p.t.events.published.WithLabelValues(ev.Topic, ev.Type, outcome).Inc()
	return err
}

// Subscriber wraps every handler subscribed through sub: each delivery
// runs in a consumer span that continues the event's trace (the delivery
// request's traceparent in Dapr mode, else the one the event carries), is
// counted by outcome and logged with the trace id (at debug when it went
// well, at warn when it failed).
func (t *Telemetry) Subscriber(sub platform.Subscriber, log *slog.Logger) platform.Subscriber {
	return &subscriber{next: sub, t: t, log: log}
}

type subscriber struct {
	next platform.Subscriber
	t    *Telemetry
	log  *slog.Logger
}

func (s *subscriber) Subscribe(ctx context.Context, sub platform.Subscription) error {
	sub.Handle = s.t.Handler(sub.Name, sub.Handle, s.log)
	return s.next.Subscribe(ctx, sub)
}

// Handler is h counted, traced and logged as subscription name.
func (t *Telemetry) Handler(name string, h platform.Handler, log *slog.Logger) platform.Handler {
	return func(ctx context.Context, ev platform.Event) error {
		if !trace.SpanContextFromContext(ctx).IsValid() && ev.TraceParent != "" {
			ctx = t.Propagator.Extract(ctx, propagation.MapCarrier{"traceparent": ev.TraceParent})
		}
		ctx, span := t.Tracer.Start(ctx, "handle "+ev.Topic+" "+name, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("messaging.destination.name", ev.Topic),
				attribute.String("messaging.message.id", ev.ID), attribute.String("dflix.event.type", ev.Type),
				attribute.String("messaging.consumer.group.name", name)))
		defer span.End()
		start := time.Now()
		err := h(ctx, ev)
		elapsed := time.Since(start)
		outcome := OutcomeOK
		switch {
		case platform.IsDrop(err):
			outcome = OutcomeDropped
		case err != nil:
			outcome = OutcomeRetry
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		t.events.consumed.WithLabelValues(ev.Topic, ev.Type, name, outcome).Inc()
		t.events.handling.WithLabelValues(name).Observe(elapsed.Seconds())
		attrs := []any{"subscription", name, "event_id", ev.ID, "event_type", ev.Type,
			"outcome", outcome, "duration_ms", float64(elapsed.Microseconds()) / 1000}
		if err != nil {
			log.WarnContext(ctx, "event handled", append(attrs, "err", err)...)
		} else {
			log.DebugContext(ctx, "event handled", attrs...) // a seeded catalog alone is hundreds of events
		}
		return err
	}
}

// deadLetterTimeout bounds the listing of dead letters at a scrape.
const deadLetterTimeout = 2 * time.Second

// DeadLetters reports the dead letters dl holds now, by subscription, as
// the gauge dflix_event_dead_letters: an event lands there when its handler
// dropped it or its retries ran out (the broker or the bus decides which),
// and leaves when an admin redrives it. It lists them at each scrape.
func (t *Telemetry) DeadLetters(dl platform.DeadLetters) error {
	return t.Register(&deadLetterCollector{dl: dl, desc: prometheus.NewDesc("dflix_event_dead_letters",
		"Dead letters stored and not redriven, by subscription (listed at scrape time).", []string{"subscription"}, nil),
		failed: prometheus.NewDesc("dflix_event_dead_letters_scrape_errors", "1 when the dead letters could not be listed at this scrape.", nil, nil)})
}

type deadLetterCollector struct {
	dl           platform.DeadLetters
	desc, failed *prometheus.Desc
}

func (c *deadLetterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.failed
}

func (c *deadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	letters, err := c.dl.ListDeadLetters(ctx)
	failed := 0.0
	if err != nil && !errors.Is(err, context.Canceled) {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, failed)
	counts := map[string]int{}
	for _, l := range letters {
		counts[l.Subscription]++
	}
	for sub, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), sub)
	}
}
