package dapr

import (
	"context"
	"fmt"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var _ platform.Publisher = (*Publisher)(nil)

// Publisher is a platform.Publisher on Config.PubSub. Each event goes out
// as a complete CloudEvent (see cloudEvent), so a subscriber gets the
// producer's id, type, source, time and topic back. Broadcast subscriptions
// read the same topics through Config.BroadcastPubSub, a component on the
// same broker.
type Publisher struct {
	sc     *Sidecar
	pubsub string
}

// Publisher returns the Publisher of s.
func (s *Sidecar) Publisher() platform.Publisher {
	return &Publisher{sc: s, pubsub: s.cfg.PubSub}
}

// Publish publishes ev on ev.Topic and returns once the sidecar has handed it
// to the broker.
//
// Errors: KindInvalid for an event without ID, Type or Topic; KindUnavailable
// when the sidecar or broker cannot take it or ctx ends; KindInternal when
// the pub/sub component is not configured.
func (p *Publisher) Publish(ctx context.Context, ev platform.Event) error {
	return p.publish(ctx, ev, "")
}

// publish publishes ev, addressed to one subscription when redrive is set.
func (p *Publisher) publish(ctx context.Context, ev platform.Event, redrive string) error {
	if ev.ID == "" || ev.Type == "" || ev.Topic == "" {
		return platform.Errorf(platform.KindInvalid, "dapr: publish: event needs an id, a type and a topic")
	}
	body, err := encodeEvent(ev, redrive)
	if err != nil {
		return platform.E(platform.KindInvalid, "malformed event", fmt.Errorf("dapr: publish %s: %w", ev.ID, err))
	}
	if ev.TraceParent != "" {
		// daprd reads the publisher's trace context from this metadata and
		// writes its child into the CloudEvent it hands the broker.
		ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", ev.TraceParent)
	}
	err = p.sc.client.PublishEvent(ctx, p.pubsub, ev.Topic, body, daprc.PublishEventWithContentType(cloudEventContentType))
	if err != nil {
		return fmt.Errorf("dapr: publish %s on %s/%s: %w", ev.ID, p.pubsub, ev.Topic, publishError(err))
	}
	return nil
}

// publishError classifies a failed publish: a missing component is a
// configuration error, anything else means the event was not taken.
func publishError(err error) error {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.PermissionDenied, codes.Unauthenticated:
		return platform.E(platform.KindInternal, "internal error", err)
	}
	return platform.E(platform.KindUnavailable, "event not published, try again", err)
}
