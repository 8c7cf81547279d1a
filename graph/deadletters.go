package graph

import (
	"context"

	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/platform"
)

// maxDeadLetterIDLen bounds redriveDeadLetter's id. Dead-letter ids are
// opaque strings chosen by the store (a federated one reads
// "catalog/catalog-projection:<event id>:<suffix>"), so they are not held to
// the ID scalar's shape, only to a length no store comes near.
const maxDeadLetterIDLen = 1024

// deadLetters returns the dead-letter store for an admin caller. The store
// knows nothing of callers, so the role is checked here as well as by the
// schema's @hasRole.
//
// Errors: KindUnauthenticated, KindForbidden; KindUnavailable when the
// deployment keeps no dead letters.
func (r *Resolver) deadLetters(ctx context.Context) (platform.DeadLetters, error) {
	if err := caller(ctx).RequireAdmin(); err != nil {
		return nil, err
	}
	if r.dead == nil {
		return nil, platform.E(platform.KindUnavailable, "dead letters are not available in this deployment", nil)
	}
	return r.dead, nil
}

// checkDeadLetterID reports an empty or oversized id as KindInvalid.
func checkDeadLetterID(id string) error {
	if id == "" || len(id) > maxDeadLetterIDLen {
		return platform.Errorf(platform.KindInvalid, "a dead letter id has 1 to %d characters", maxDeadLetterIDLen)
	}
	return nil
}

// deadLetterList maps the store's dead letters to the schema's.
func deadLetterList(list []platform.DeadLetter) []*model.DeadLetter {
	out := make([]*model.DeadLetter, len(list))
	for i, d := range list {
		payload := string(d.Event.Data)
		if payload == "" {
			payload = "null"
		}
		out[i] = &model.DeadLetter{
			ID:           d.ID,
			Subscription: d.Subscription,
			Topic:        d.Event.Topic,
			EventID:      d.Event.ID,
			EventType:    d.Event.Type,
			Source:       d.Event.Source,
			Reason:       d.Reason,
			Attempts:     d.Attempts,
			FailedAt:     d.FailedAt,
			Payload:      payload,
		}
	}
	return out
}
