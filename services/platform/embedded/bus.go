package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/dflix/dflix/services/platform"
	bolt "go.etcd.io/bbolt"
)

var (
	_ platform.Publisher   = (*Bus)(nil)
	_ platform.Subscriber  = (*Bus)(nil)
	_ platform.DeadLetters = (*Bus)(nil)
)

// BusOptions tunes a Bus; the zero value is usable.
type BusOptions struct {
	// MaxAttempts is how many times an event is handled before it goes to
	// the dead letters (default 8).
	MaxAttempts int
	// Backoff is the wait before retry number attempt (from 1) of a failed
	// event (default exponential from 100ms, capped at 30s, jittered).
	Backoff func(attempt int) time.Duration
	// Logger receives delivery failures (default slog.Default()).
	Logger *slog.Logger
	// Clock stamps retry times and dead letters (default
	// platform.SystemClock). It must advance, or retries never come due.
	Clock platform.Clock
	// CloseTimeout bounds how long Close waits for in-flight handlers before
	// it cancels their context (default 5s).
	CloseTimeout time.Duration
}

func (o BusOptions) withDefaults() BusOptions {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = platform.SystemClock
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 5 * time.Second
	}
	return o
}

// DefaultBackoff waits 100ms before the first retry, doubling up to 30s,
// each wait jittered down by up to half.
func DefaultBackoff(attempt int) time.Duration {
	d := min(100*time.Millisecond<<min(max(attempt-1, 0), 20), 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// Bus is a durable in-process pub/sub: a platform.Publisher, Subscriber and
// DeadLetters on its own bbolt file.
//
// Publish stores one delivery per subscription of the topic (every
// subscription ever registered on this file, so events published before a
// subscriber re-registers after a restart are kept for it) in one fsynced
// transaction. A worker per subscription delivers them one at a time in
// order of publication; a failed delivery is retried with backoff (its
// attempt count persisted) while later events go on, and a dropped or
// exhausted one becomes a dead letter. Deliveries are removed only once
// acknowledged, so whatever was not acknowledged before a crash is delivered
// again after the Bus is reopened and the subscription registered. Broadcast
// is irrelevant in one process: every subscription gets every event.
type Bus struct {
	db   *bolt.DB
	opts BusOptions
	log  *slog.Logger

	mu      sync.Mutex
	workers map[string]*worker // by subscription key "topic/name"
	started bool
	closed  bool
	runCtx  context.Context // parent of handler contexts, set by Start
	cancel  context.CancelFunc
	stop    chan struct{} // closed by Close: workers take no new deliveries
	wg      sync.WaitGroup
}

// worker delivers one subscription's queue.
type worker struct {
	key  string
	sub  platform.Subscription
	wake chan struct{}
}

// OpenBus opens (or creates) the bus file at path, creating its directory
// if needed. Register subscriptions with Subscribe, then call Start.
//
// Errors: KindUnavailable when the file is held by another process or Bus.
func OpenBus(path string, opts BusOptions) (*Bus, error) {
	db, err := openBolt(path, subsBucket, queuesBucket, deadBucket)
	if err != nil {
		return nil, fmt.Errorf("embedded: open bus: %w", err)
	}
	opts = opts.withDefaults()
	return &Bus{
		db:      db,
		opts:    opts,
		log:     opts.Logger.With("component", "embedded.bus"),
		workers: map[string]*worker{},
		stop:    make(chan struct{}),
	}, nil
}

// Subscribe registers sub and records it in the file, so events on its
// topic are kept for it from now on, across restarts. Subscribing after
// Start starts its delivery at once.
//
// Errors: KindInvalid for an empty topic or name, a name with "/", or no
// handler; KindConflict when topic/name is already registered on this Bus;
// KindUnavailable after Close.
func (b *Bus) Subscribe(ctx context.Context, sub platform.Subscription) error {
	if sub.Topic == "" || sub.Name == "" || strings.Contains(sub.Name, "/") || sub.Handle == nil {
		return platform.Errorf(platform.KindInvalid, "subscribe: need a topic, a name without '/' and a handler")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: subscribe: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	key := subKey(sub.Topic, sub.Name)
	switch {
	case b.closed:
		return platform.Errorf(platform.KindUnavailable, "subscribe %s: bus closed", key)
	case b.workers[key] != nil:
		return platform.Errorf(platform.KindConflict, "subscribe %s: already subscribed", key)
	}
	if err := b.db.Update(func(tx *bolt.Tx) error { return storeSubscription(tx, sub.Topic, sub.Name) }); err != nil {
		return fmt.Errorf("embedded: subscribe %s: %w", key, boltError(err))
	}
	w := &worker{key: key, sub: sub, wake: make(chan struct{}, 1)}
	b.workers[key] = w
	if b.started {
		b.launch(w)
	}
	return nil
}

// Start launches delivery for every registered subscription. Handlers get a
// context derived from ctx, cancelled by Close; cancelling ctx stops
// delivery too.
//
// Errors: KindInvalid when already started; KindUnavailable after Close.
func (b *Bus) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return platform.Errorf(platform.KindUnavailable, "start: bus closed")
	case b.started:
		return platform.Errorf(platform.KindInvalid, "start: bus already started")
	}
	b.started = true
	b.runCtx, b.cancel = context.WithCancel(ctx)
	for _, w := range b.workers {
		b.launch(w)
	}
	return nil
}

// launch starts w's goroutine; b.mu must be held.
func (b *Bus) launch(w *worker) {
	b.wg.Add(1)
	go b.run(w)
}

// Publish stores ev for every subscription of ev.Topic and returns once
// that is committed to disk. An event on a topic nobody ever subscribed to
// is discarded.
//
// Errors: KindInvalid for an event without ID or topic; KindUnavailable
// after Close or when ctx has ended.
func (b *Bus) Publish(ctx context.Context, ev platform.Event) error {
	if ev.ID == "" || ev.Topic == "" {
		return platform.Errorf(platform.KindInvalid, "publish: event needs an id and a topic")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: publish %s: %w", ev.Topic, err)
	}
	var keys []string
	err := b.db.Update(func(tx *bolt.Tx) error {
		var err error
		keys, err = enqueue(tx, ev)
		return err
	})
	if err != nil {
		return fmt.Errorf("embedded: publish %s: %w", ev.Topic, boltError(err))
	}
	b.wake(keys...)
	return nil
}

// wake nudges the workers of the given subscriptions, if registered.
func (b *Bus) wake(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if w := b.workers[k]; w != nil {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

// Close stops delivery, waits up to CloseTimeout for in-flight handlers,
// then cancels their context, waits briefly once more, and closes the file.
// Deliveries not acknowledged by then are delivered again after reopening.
// Closing twice is a no-op.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	cancel := b.cancel
	b.mu.Unlock()

	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	if !waitDone(done, b.opts.CloseTimeout) {
		b.log.Warn("handlers still running at close; cancelling them", "timeout", b.opts.CloseTimeout)
		if cancel != nil {
			cancel()
		}
		if !waitDone(done, time.Second) {
			b.log.Error("handlers ignore cancellation; closing anyway")
		}
	}
	if cancel != nil {
		cancel()
	}
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("embedded: close bus: %w", err)
	}
	return nil
}

func waitDone(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
