package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// The transactional outbox: every write that produces events stores them at
// "outbox/<event id>" (and the id in the "outbox" key set) in the same
// transaction as the data. Right after the commit the events are published
// and removed; whatever could not be published then is published by Run.
// Delivery is therefore at least once: a crash between Publish and the
// removal republishes the same event (same id, same video version), which
// consumers tolerate.

const outboxPrefix = "outbox/"

// publishTimeout bounds the publishing of one event after a commit.
const publishTimeout = 10 * time.Second

// outboxOps returns the writes that record events in the outbox.
func (s *Service) outboxOps(ctx context.Context, events []platform.Event) ([]platform.Op, error) {
	if len(events) == 0 {
		return nil, nil
	}
	b := &batch{}
	ids := make([]string, 0, len(events))
	for _, ev := range events {
		b.set(outboxPrefix+ev.ID, ev, "", true)
		ids = append(ids, ev.ID)
	}
	b.add(s.outbox.AddOps(ctx, ids...))
	if b.err != nil {
		return nil, fmt.Errorf("outbox: %w", b.err)
	}
	return b.ops, nil
}

// publish sends events that were just committed. It never fails the caller:
// the write already happened, and an event that cannot be published now
// stays in the outbox for Run. It does not stop when ctx is canceled.
func (s *Service) publish(ctx context.Context, events []platform.Event) {
	if len(events) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, ev := range events {
		if err := s.deliver(ctx, ev); err != nil {
			s.log.ErrorContext(ctx, "catalog: event not published yet; it stays in the outbox for the relay",
				"event_id", ev.ID, "event_type", ev.Type, "err", err)
		}
	}
}

// deliver publishes one outbox event and removes it from the outbox.
func (s *Service) deliver(ctx context.Context, ev platform.Event) error {
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := s.pub.Publish(pctx, ev); err != nil {
		return fmt.Errorf("publish %s: %w", ev.Type, err)
	}
	return s.forget(ctx, ev.ID)
}

// forget removes a published event from the outbox.
func (s *Service) forget(ctx context.Context, id string) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		ops, err := s.outbox.RemoveOps(ctx, id)
		if err != nil {
			return err
		}
		ops = append(ops, platform.Op{Key: outboxPrefix + id, Delete: true})
		return s.state.Transact(ctx, ops)
	})
}

// FlushOutbox publishes every event still waiting in the outbox, in no
// particular order (consumers tolerate any order). It returns how many it
// published and the first error; events that failed stay for the next try.
func (s *Service) FlushOutbox(ctx context.Context) (int, error) {
	ids, err := s.outbox.Members(ctx)
	if err != nil {
		return 0, op("FlushOutbox", err)
	}
	sent := 0
	var first error
	for _, id := range ids {
		var ev platform.Event
		_, err := s.getJSON(ctx, outboxPrefix+id, "outbox entry not found", &ev)
		if platform.Is(err, platform.KindNotFound) {
			err = s.forget(ctx, id) // a stale member: the entry is already gone
		} else if err == nil {
			if err = s.deliver(ctx, ev); err == nil {
				sent++
			}
		}
		if err != nil && first == nil {
			first = op("FlushOutbox", err)
		}
	}
	return sent, first
}

// Run publishes leftover outbox events at start and then every
// Config.OutboxInterval until ctx is done; failures are logged and retried
// on the next tick. Start it once per process, beside the server: it returns
// nil when ctx is canceled.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.OutboxInterval)
	defer t.Stop()
	for {
		if n, err := s.FlushOutbox(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "catalog: outbox relay", "published", n, "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "catalog: outbox relay published leftover events", "published", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
