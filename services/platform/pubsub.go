package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
)

// Event is a fact published on a topic, shaped like a CloudEvent: a unique
// ID (consumers deduplicate on it), a type such as "video.changed", the
// producing service as Source, and a JSON payload.
type Event struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Source string          `json:"source"`
	Topic  string          `json:"topic"`
	Time   time.Time       `json:"time"`
	Data   json.RawMessage `json:"data"`
	// TraceParent is the W3C traceparent of the write that caused the
	// event (empty outside a trace): consumers continue that trace, also
	// when the outbox publishes the event later.
	TraceParent string `json:"traceparent,omitempty"`
}

// TraceParent returns the W3C traceparent of the span in ctx, or "" when
// ctx carries none.
func TraceParent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// NewEvent builds an event with a fresh ID and the given payload marshalled
// as JSON.
func NewEvent(source, topic, typ string, now time.Time, payload any) (Event, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("platform: marshal %s event: %w", typ, err)
	}
	return Event{ID: uuid.NewString(), Type: typ, Source: source, Topic: topic, Time: now.UTC(), Data: data}, nil
}

// Decode unmarshals the event payload into v. A payload that does not decode
// can never be handled, so the error is marked for the dead-letter topic.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return Drop(fmt.Errorf("decode %s event %s: %w", e.Type, e.ID, err))
	}
	return nil
}

// Publisher publishes events. Publish returns once the event is durably
// accepted: after that it is delivered at least once to every subscription.
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}

// Handler handles one delivered event. Return nil to acknowledge, an error to
// have the event redelivered later with backoff, or an error wrapped with
// Drop for an event that can never be handled (it goes to the dead-letter
// topic at once). Delivery is at least once and not ordered: handlers must be
// idempotent.
type Handler func(ctx context.Context, ev Event) error

// Subscription binds a handler to a topic.
//
// Name identifies the consumer within its service (it becomes the route or
// durable queue name). Broadcast asks for every running instance of the
// service to receive each event (e.g. to keep a local index or cache
// current); otherwise instances compete and one of them gets it.
type Subscription struct {
	Topic     string
	Name      string
	Broadcast bool
	Handle    Handler
}

// Subscriber registers subscriptions before the adapter starts delivering.
type Subscriber interface {
	Subscribe(ctx context.Context, sub Subscription) error
}

// DeadLetter is an event that exhausted its retries or was dropped.
type DeadLetter struct {
	ID           string    `json:"id"`
	Subscription string    `json:"subscription"`
	Event        Event     `json:"event"`
	Reason       string    `json:"reason"`
	Attempts     int       `json:"attempts"`
	FailedAt     time.Time `json:"failedAt"`
}

// DeadLetters lets an admin see and redrive dead letters.
// Redrive returns KindNotFound for an unknown ID.
type DeadLetters interface {
	ListDeadLetters(ctx context.Context) ([]DeadLetter, error)
	Redrive(ctx context.Context, id string) error
}

type dropError struct{ err error }

func (d dropError) Error() string { return "drop: " + d.err.Error() }
func (d dropError) Unwrap() error { return d.err }

// Drop marks a handler error as permanent: the event goes to the dead-letter
// topic without further retries.
func Drop(err error) error {
	if err == nil {
		return nil
	}
	return dropError{err: err}
}

// IsDrop reports whether err was marked with Drop.
func IsDrop(err error) bool {
	var d dropError
	return errors.As(err, &d)
}
