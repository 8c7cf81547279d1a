package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Batch collects the writes of one transaction and the events it records,
// for Outbox.Commit. The zero Batch is empty and ready to use. The first
// error (an unencodable value, a failed key set read, an unbuildable event)
// sticks: later additions are ignored and Commit returns it.
type Batch struct {
	ops       []Op
	events    []Event
	err       error
	committed bool
	lost      bool     // Commit lost an optimistic-concurrency race
	onCommit  []func() // run by Outbox.Write between commit and publish
}

// Set adds a write of v as JSON at key, conditional on etag and ifAbsent as
// described by Op ("" and false write unconditionally).
func (b *Batch) Set(key string, v any, etag string, ifAbsent bool) {
	if b.err != nil {
		return
	}
	op, err := jsonOp(key, v, etag, ifAbsent)
	if err != nil {
		b.err = err
		return
	}
	b.ops = append(b.ops, op)
}

// Delete adds a delete of key, conditional on etag when it is not empty.
func (b *Batch) Delete(key, etag string) {
	if b.err != nil {
		return
	}
	b.ops = append(b.ops, Op{Key: key, Delete: true, ETag: etag})
}

// Add adds ops built elsewhere, or records the error that building them
// returned, so it takes a KeySet's AddOps or RemoveOps as is:
//
//	b.Add(set.AddOps(ctx, id))
func (b *Batch) Add(ops []Op, err error) {
	if b.err != nil {
		return
	}
	if err != nil {
		b.err = err
		return
	}
	b.ops = append(b.ops, ops...)
}

// Emit adds an event to publish once the batch commits, or records the
// error that building it returned, so it takes NewEvent as is:
//
//	b.Emit(platform.NewEvent(source, topic, typ, now, payload))
func (b *Batch) Emit(ev Event, err error) {
	if b.err != nil {
		return
	}
	if err != nil {
		b.err = err
		return
	}
	b.events = append(b.events, ev)
}

// OnCommit adds f to run once the batch has committed, before its events
// are published (Outbox.Write only). A service updates its in-memory view
// there, so a consumer that hears the event and reads back from the writer
// sees the change.
func (b *Batch) OnCommit(f func()) {
	b.onCommit = append(b.onCommit, f)
}

// Err returns the first error recorded by Set, Add or Emit.
func (b *Batch) Err() error { return b.err }

// Ops returns the writes added so far (not those of the outbox).
func (b *Batch) Ops() []Op { return slices.Clone(b.ops) }

// Events returns the events emitted so far.
func (b *Batch) Events() []Event { return slices.Clone(b.events) }

// Committed reports whether Commit applied the batch.
func (b *Batch) Committed() bool { return b.committed }

// empty reports whether committing the batch would write nothing.
func (b *Batch) empty() bool { return len(b.ops) == 0 && len(b.events) == 0 }

// DefaultOutboxInterval is how often Outbox.Run publishes leftover events
// when it is given no positive interval.
const DefaultOutboxInterval = 30 * time.Second

// Outbox layout in the service's State: each event written but not yet
// published is stored at "outbox/event/<event id>", and its id is a member
// of the KeySet "outbox" (shards "outbox/shard/<nn>").
const (
	outboxSet    = "outbox"
	outboxShards = 8
	outboxPrefix = "outbox/event/"
)

// outboxRetries bounds the retries of removing a published event after a
// lost race on a key set shard.
const outboxRetries = 16

// publishTimeout bounds the publishing of one event by Flush.
const publishTimeout = 10 * time.Second

// inlineBudget bounds the publishing of a write's events before Write
// returns. Its caller waits for it, often under a service invocation
// timeout (5 s in Dapr mode), and with the broker down each publish hangs
// in the sidecar's reconnects and retries: without a budget the write
// committed but its caller timed out (UNAVAILABLE for an applied
// changePassword, e2e TestDaprBrokerDown). What is not published within it
// stays in the outbox for the relay.
const inlineBudget = 2 * time.Second

// Outbox is a transactional outbox over a service's own State: Commit
// stores a Batch's events in the same transaction as its writes, and they
// are published right after the commit (Publish); whatever could not be
// published then is published later by Flush or Run. Delivery is therefore
// at least once: a crash between publishing an event and removing it from
// the outbox publishes the same event (same id) again, which consumers
// tolerate. It is safe for concurrent use, also by several replicas sharing
// one State.
type Outbox struct {
	state State
	pub   Publisher
	log   *slog.Logger
	ids   *KeySet // ids of events written but not yet published
}

// NewOutbox returns the outbox kept in state, publishing with pub. A nil
// log discards.
func NewOutbox(state State, pub Publisher, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{state: state, pub: pub, log: log, ids: NewKeySet(state, outboxSet, outboxShards)}
}

// Commit applies b, with its events written to the outbox, as one
// Transact. It does not publish (see Publish and Write). An empty batch
// commits without writing anything.
//
// Errors: b's recorded error; KindConflict when a write's condition fails
// (a lost race: redo the whole read-modify-write, see Write); a failed read
// or write keeps its kind.
func (o *Outbox) Commit(ctx context.Context, b *Batch) error {
	if b.err != nil {
		return b.err
	}
	if b.committed {
		return errors.New("outbox: batch committed twice")
	}
	if b.empty() {
		b.committed = true
		return nil
	}
	if tp := TraceParent(ctx); tp != "" {
		for i := range b.events { // stored with the events, for the relay
			if b.events[i].TraceParent == "" {
				b.events[i].TraceParent = tp
			}
		}
	}
	entries, err := o.entryOps(ctx, b.events)
	if err != nil {
		return err
	}
	if err := o.state.Transact(ctx, slices.Concat(b.ops, entries)); err != nil {
		b.lost = Is(err, KindConflict)
		return fmt.Errorf("commit: %w", err)
	}
	b.committed = true
	return nil
}

// entryOps returns the writes that record events in the outbox.
func (o *Outbox) entryOps(ctx context.Context, events []Event) ([]Op, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var b Batch
	ids := make([]string, 0, len(events))
	for _, ev := range events {
		b.Set(outboxPrefix+ev.ID, ev, "", true)
		ids = append(ids, ev.ID)
	}
	b.Add(o.ids.AddOps(ctx, ids...))
	if b.err != nil {
		return nil, fmt.Errorf("outbox: %w", b.err)
	}
	return b.ops, nil
}

// Write runs build, a read-modify-write that reads what it needs and fills
// a fresh Batch, then commits the batch; while the commit loses an
// optimistic-concurrency race (KindConflict) the whole read-modify-write
// runs again, up to attempts times in all. The events of the batch that
// committed are published before Write returns, within inlineBudget; the
// relay publishes those that were not.
//
// An error from build ends the write at once, unretried, whatever its kind
// (bad input, a name taken, a failed read), and nothing is written. build
// may instead Commit the batch itself to keep its writes and still fail (a
// detected refresh-token reuse revokes the family, then refuses): Write
// does not commit it again, publishes its events all the same and returns
// build's error, retrying only when that Commit lost a race.
//
// Errors: build's error; the last KindConflict once attempts are spent; a
// failed commit keeps its kind.
func (o *Outbox) Write(ctx context.Context, attempts int, build func(b *Batch) error) error {
	var (
		b      *Batch
		failed error // build's own error: not retried
	)
	err := RetryConflict(ctx, attempts, func() error {
		b, failed = &Batch{}, nil
		if err := build(b); err != nil {
			if b.lost {
				return err // build's own Commit lost a race: run it again
			}
			failed = err
			return nil
		}
		if b.committed {
			return nil
		}
		return o.Commit(ctx, b)
	})
	if b != nil && b.committed {
		for _, f := range b.onCommit {
			f()
		}
		o.Publish(ctx, b.events)
	}
	if err != nil {
		return err
	}
	return failed
}

// Publish sends events that were just committed and removes each published
// one from the outbox. It never fails the caller: the write already
// happened, and an event that cannot be published now (or within
// inlineBudget) is logged and stays in the outbox for Flush (or Run). It
// goes on when ctx is canceled.
func (o *Outbox) Publish(ctx context.Context, events []Event) {
	if len(events) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	deadline := time.Now().Add(inlineBudget)
	for _, ev := range events {
		if err := o.deliver(ctx, ev, deadline); err != nil {
			o.log.ErrorContext(ctx, "outbox: event not published yet; it stays in the outbox for the relay",
				"event_id", ev.ID, "event_type", ev.Type, "event_source", ev.Source, "err", err)
		}
	}
}

// deliver publishes one outbox event, giving up at deadline, and removes
// it from the outbox.
func (o *Outbox) deliver(ctx context.Context, ev Event, deadline time.Time) error {
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if err := o.pub.Publish(pctx, ev); err != nil {
		return fmt.Errorf("publish %s: %w", ev.Type, err)
	}
	return o.forget(ctx, ev.ID)
}

// forget removes a published event from the outbox.
func (o *Outbox) forget(ctx context.Context, id string) error {
	return RetryConflict(ctx, outboxRetries, func() error {
		ops, err := o.ids.RemoveOps(ctx, id)
		if err != nil {
			return err
		}
		ops = append(ops, Op{Key: outboxPrefix + id, Delete: true})
		return o.state.Transact(ctx, ops)
	})
}

// Flush publishes every event still waiting in the outbox, in no particular
// order (consumers tolerate any order). It returns how many it published
// and the first error; events that failed stay for the next try.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	ids, err := o.ids.Members(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	var first error
	for _, id := range ids {
		var ev Event
		_, err := GetJSON(ctx, o.state, outboxPrefix+id, "outbox entry not found", &ev)
		if Is(err, KindNotFound) {
			err = o.forget(ctx, id) // a stale member: the entry is already gone
		} else if err == nil {
			if err = o.deliver(ctx, ev, time.Now().Add(publishTimeout)); err == nil {
				sent++
			}
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return sent, first
}

// Run flushes the outbox at start and then every interval (a non-positive
// one means DefaultOutboxInterval) until ctx is done; failures are logged
// and retried on the next tick. Start it once per process, beside the
// server: it returns nil when ctx is canceled.
func (o *Outbox) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultOutboxInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.log.ErrorContext(ctx, "outbox: relay", "published", n, "err", err)
		} else if n > 0 {
			o.log.InfoContext(ctx, "outbox: relay published leftover events", "published", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pending returns the ids of the events written but not yet published,
// sorted.
func (o *Outbox) Pending(ctx context.Context) ([]string, error) {
	return o.ids.Members(ctx)
}
