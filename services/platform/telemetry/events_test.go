package telemetry_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/telemetry"
)

// capture is a Publisher that keeps what it was given.
type capture struct {
	mu     sync.Mutex
	events []platform.Event
	err    error
}

func (c *capture) Publish(_ context.Context, ev platform.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	return c.err
}

func TestPublisherStampsTheTraceAndCounts(t *testing.T) {
	tel := newTelemetry(t)
	ctx, traceID := inSpan(t, tel)
	tests := []struct {
		name    string
		err     error
		outcome string
	}{
		{"published", nil, "ok"},
		{"refused", platform.Errorf(platform.KindUnavailable, "broker down"), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &capture{err: tt.err}
			ev, err := platform.NewEvent("catalog", "catalog", "video.changed", time.Now(), map[string]string{"id": "v1"})
			require.NoError(t, err)
			before := value(t, tel, "dflix_events_published_total", map[string]string{"topic": "catalog", "type": "video.changed", "outcome": tt.outcome})
			err = tel.Publisher(next).Publish(ctx, ev)
			assert.Equal(t, tt.err, err)
			require.Len(t, next.events, 1)
			assert.Contains(t, next.events[0].TraceParent, traceID.String(), "the event carries the publisher's trace")
			after := value(t, tel, "dflix_events_published_total", map[string]string{"topic": "catalog", "type": "video.changed", "outcome": tt.outcome})
			assert.Equal(t, before+1, after)
		})
	}
}

func TestHandlerContinuesTheEventsTraceAndCountsOutcomes(t *testing.T) {
	tel := newTelemetry(t)
	producer, traceID := inSpan(t, tel)
	tests := []struct {
		name    string
		err     error
		outcome string
	}{
		{"acknowledged", nil, telemetry.OutcomeOK},
		{"retried", errors.New("store busy"), telemetry.OutcomeRetry},
		{"dropped", platform.Drop(errors.New("bad payload")), telemetry.OutcomeDropped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen trace.TraceID
			h := tel.Handler("catalog-projection", func(ctx context.Context, _ platform.Event) error {
				seen = trace.SpanContextFromContext(ctx).TraceID()
				return tt.err
			}, discard())
			ev := platform.Event{ID: "e1", Type: "video.changed", Topic: "catalog", TraceParent: platform.TraceParent(producer)}
			labels := map[string]string{"subscription": "catalog-projection", "outcome": tt.outcome}
			before := value(t, tel, "dflix_events_consumed_total", labels)
			assert.Equal(t, tt.err, h(context.Background(), ev))
			assert.Equal(t, traceID, seen, "the handler runs in the producer's trace")
			assert.Equal(t, before+1, value(t, tel, "dflix_events_consumed_total", labels))
		})
	}
}

// TestEventsKeepTheirTraceThroughTheOutboxRelay: an event committed under a
// request's span and published later by the relay (no span in its
// context) reaches its handler in the request's trace.
func TestEventsKeepTheirTraceThroughTheOutboxRelay(t *testing.T) {
	tel := newTelemetry(t)
	dir := t.TempDir()
	state, err := embedded.OpenState(filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	bus, err := embedded.OpenBus(filepath.Join(dir, "events.db"), embedded.BusOptions{Logger: discard()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bus.Close() })
	got := make(chan trace.TraceID, 1)
	sub := tel.Subscriber(bus, discard())
	require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "catalog", Name: "probe",
		Handle: func(ctx context.Context, _ platform.Event) error {
			got <- trace.SpanContextFromContext(ctx).TraceID()
			return nil
		}}))
	require.NoError(t, bus.Start(context.Background()))

	outbox := platform.NewOutbox(state, tel.Publisher(bus), discard())
	request, traceID := inSpan(t, tel)
	var b platform.Batch
	b.Set("videos/v1", map[string]string{"title": "x"}, "", false)
	b.Emit(platform.NewEvent("catalog", "catalog", "video.changed", time.Now(), map[string]string{"id": "v1"}))
	require.NoError(t, outbox.Commit(request, &b), "committed, not published: the relay's job")
	n, err := outbox.Flush(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	select {
	case seen := <-got:
		assert.Equal(t, traceID, seen)
	case <-time.After(10 * time.Second):
		t.Fatal("the relayed event was not delivered")
	}
}

type deadLetters []platform.DeadLetter

func (d deadLetters) ListDeadLetters(context.Context) ([]platform.DeadLetter, error) { return d, nil }
func (d deadLetters) Redrive(context.Context, string) error                          { return nil }

func TestDeadLettersGaugeCountsBySubscription(t *testing.T) {
	tel := newTelemetry(t)
	require.NoError(t, tel.DeadLetters(deadLetters{{Subscription: "catalog/a"}, {Subscription: "catalog/a"}, {Subscription: "bff/b"}}))
	assert.Equal(t, 2.0, value(t, tel, "dflix_event_dead_letters", map[string]string{"subscription": "catalog/a"}))
	assert.Equal(t, 1.0, value(t, tel, "dflix_event_dead_letters", map[string]string{"subscription": "bff/b"}))
	assert.Equal(t, 0.0, value(t, tel, "dflix_event_dead_letters_scrape_errors", nil))
}
