package embedded

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// storeRetry is how long a worker waits after its store failed before it
// tries again.
const storeRetry = time.Second

// run delivers w's queue until Close or the Start context ends.
func (b *Bus) run(w *worker) {
	defer b.wg.Done()
	for !b.stopping() {
		var (
			d     queued
			due   time.Time
			found bool
		)
		err := b.db.View(func(tx *bolt.Tx) error {
			var err error
			d, due, found, err = nextDelivery(tx, w.key, b.opts.Clock())
			return err
		})
		switch {
		case err != nil:
			b.log.Error("read queue", "subscription", w.key, "err", err)
			due = b.opts.Clock().Add(storeRetry)
		case found:
			b.deliver(w, d)
			continue
		}
		b.sleep(w, due)
	}
}

// stopping reports whether workers must take no new deliveries.
func (b *Bus) stopping() bool {
	select {
	case <-b.stop:
		return true
	case <-b.runCtx.Done():
		return true
	default:
		return false
	}
}

// sleep waits until due (forever when zero), a wake-up or a stop.
func (b *Bus) sleep(w *worker, due time.Time) {
	var timeout <-chan time.Time
	if !due.IsZero() {
		t := time.NewTimer(max(due.Sub(b.opts.Clock()), 0))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-b.stop:
	case <-b.runCtx.Done():
	case <-w.wake:
	case <-timeout:
	}
}

// deliver hands d to w's handler and records the outcome: acknowledged,
// rescheduled or dead. A failure caused by shutdown is not recorded, so the
// delivery is simply attempted again after a restart.
func (b *Bus) deliver(w *worker, d queued) {
	ctx, cancel := context.WithCancel(b.runCtx)
	defer cancel()
	herr := b.handle(ctx, w, d.Event)
	if herr != nil && b.runCtx.Err() != nil {
		return
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		switch {
		case herr == nil:
			return remove(tx, w.key, d)
		case platform.IsDrop(herr) || d.Attempts+1 >= b.opts.MaxAttempts:
			return bury(tx, w.key, d, b.deadLetter(w.key, d, herr))
		default:
			d.Attempts++
			d.LastError = herr.Error()
			return reschedule(tx, w.key, d, b.opts.Clock().Add(b.opts.Backoff(d.Attempts)))
		}
	})
	if err != nil {
		b.log.Error("record delivery outcome; it will be delivered again",
			"subscription", w.key, "event", d.Event.ID, "err", err)
	}
}

// handle calls the handler, turning a panic into an error.
func (b *Bus) handle(ctx context.Context, w *worker, ev platform.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("event handler panicked", "subscription", w.key, "event", ev.ID,
				"panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	if err := w.sub.Handle(ctx, ev); err != nil {
		b.log.Warn("event handler failed", "subscription", w.key, "event", ev.ID,
			"type", ev.Type, "drop", platform.IsDrop(err), "err", err)
		return err
	}
	return nil
}

func (b *Bus) deadLetter(key string, d queued, err error) platform.DeadLetter {
	return platform.DeadLetter{
		ID:           uuid.NewString(),
		Subscription: key,
		Event:        d.Event,
		Reason:       err.Error(),
		Attempts:     d.Attempts + 1,
		FailedAt:     b.opts.Clock().UTC(),
	}
}
