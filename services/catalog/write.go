package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// batch collects the writes of one transaction and the events it records.
type batch struct {
	ops    []platform.Op
	events []platform.Event
	err    error
}

// set adds a JSON write of v at key; etag "" with ifAbsent false is an
// unconditional write. The first error sticks.
func (b *batch) set(key string, v any, etag string, ifAbsent bool) {
	if b.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		b.err = fmt.Errorf("encode %s: %w", key, err)
		return
	}
	b.ops = append(b.ops, platform.Op{Key: key, Value: data, ETag: etag, IfAbsent: ifAbsent})
}

// del adds a delete of key, conditional on etag when it is not empty.
func (b *batch) del(key, etag string) {
	b.ops = append(b.ops, platform.Op{Key: key, Delete: true, ETag: etag})
}

// add appends ops (such as key set edits), or records the error that
// produced them.
func (b *batch) add(ops []platform.Op, err error) {
	if b.err != nil {
		return
	}
	b.ops, b.err = append(b.ops, ops...), err
}

// emit adds an event on Topic to the batch.
func (b *batch) emit(typ string, now time.Time, payload any) {
	if b.err != nil {
		return
	}
	ev, err := platform.NewEvent(Source, Topic, typ, now, payload)
	b.events, b.err = append(b.events, ev), err
}

// commit applies the batch, with its events written to the outbox, as one
// transaction. A lost race comes back as KindConflict.
func (s *Service) commit(ctx context.Context, b *batch) error {
	if b.err != nil {
		return b.err
	}
	ops, err := s.outboxOps(ctx, b.events)
	if err != nil {
		return err
	}
	if err := s.state.Transact(ctx, append(b.ops, ops...)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// write runs build, which reads what it needs and fills a fresh batch, then
// commits the batch; when the commit loses an optimistic-concurrency race
// the whole read-modify-write runs again. An error from build itself (bad
// input, a name taken, a failed read) ends it at once, unretried. The events
// of the committed batch are published before write returns.
func (s *Service) write(ctx context.Context, build func(b *batch) error) error {
	var (
		committed *batch
		final     error
	)
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		final = nil
		b := &batch{}
		if err := build(b); err != nil {
			final = err
			return nil
		}
		if len(b.ops) == 0 && len(b.events) == 0 && b.err == nil {
			committed = b
			return nil
		}
		if err := s.commit(ctx, b); err != nil {
			return err
		}
		committed = b
		return nil
	})
	if err != nil {
		return err
	}
	if final != nil {
		return final
	}
	s.publish(ctx, committed.events)
	return nil
}
