package faults

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var (
	_ platform.Publisher  = publisher{}
	_ platform.Subscriber = subscriber{}
)

// ErrHeld is what a held-back delivery returns to the adapter: a retryable
// error, so the adapter delivers the event again later.
var ErrHeld = errors.New("faults: event held back to reorder it")

// Config says how often each fault is injected. Probabilities are per
// delivery, from 0 (never) to 1; a held-back event gets no other fault.
type Config struct {
	// Seed seeds every subscription's source of decisions.
	Seed uint64
	// Duplicate is the chance an event is handled twice in a row; the
	// adapter gets the second outcome.
	Duplicate float64
	// Redeliver is the chance a handled event is handled once more later:
	// after Later further deliveries of its subscription, or after MaxHold.
	Redeliver float64
	// Reorder is the chance an event is held back (ErrHeld) until Later
	// further deliveries of its subscription went by, or it was refused
	// MaxRefusals times.
	Reorder float64
	// Delay is the chance a delivery waits up to MaxDelay before its
	// handler runs.
	Delay float64
	// MaxDelay bounds a delay (default 20ms).
	MaxDelay time.Duration
	// Later is how many deliveries a held or copied event lets by (default 3).
	Later int
	// MaxRefusals bounds how often one event is held back (default 3).
	MaxRefusals int
	// MaxHold is how long a copy waits for later events before it is
	// delivered anyway (default 500ms).
	MaxHold time.Duration
	// Log receives the faults that reveal a handler bug (default discard).
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxDelay <= 0 {
		c.MaxDelay = 20 * time.Millisecond
	}
	if c.Later <= 0 {
		c.Later = 3
	}
	if c.MaxRefusals <= 0 {
		c.MaxRefusals = 3
	}
	if c.MaxHold <= 0 {
		c.MaxHold = 500 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Counts is what an Injector did.
type Counts struct {
	// Deliveries counts the events handed over by the adapter, a held-back
	// event once.
	Deliveries  int
	Duplicated  int // handled twice in a row
	Redelivered int // handled once more after later events
	Reordered   int // held back behind later events
	Delayed     int
	// Mismatched counts copies whose handler decided otherwise than on the
	// original (handled one, dropped the other): a handler bug.
	Mismatched int
	// Abandoned counts copies whose handler kept failing, given up.
	Abandoned int
}

// String formats the counts as key=value pairs, for logs and reports.
func (c Counts) String() string {
	return fmt.Sprintf("deliveries=%d duplicated=%d redelivered=%d reordered=%d delayed=%d mismatched=%d abandoned=%d",
		c.Deliveries, c.Duplicated, c.Redelivered, c.Reordered, c.Delayed, c.Mismatched, c.Abandoned)
}

// Unsettled is an event a subscription still has to settle: published and
// not yet acknowledged or dropped by its handler, or a copy not delivered.
type Unsettled struct {
	Subscription string // "topic/name"
	EventID      string
	Copy         bool
}

// Injector puts faults between an adapter and the handlers registered
// through Subscriber. It is safe for concurrent use.
type Injector struct {
	cfg Config

	mu      sync.Mutex
	subs    map[string]*sub   // by "topic/name"
	byTopic map[string][]*sub // the subscriptions of each topic
	counts  Counts
	closed  bool
}

// New returns an Injector with cfg.
func New(cfg Config) *Injector {
	return &Injector{cfg: cfg.withDefaults(), subs: map[string]*sub{}, byTopic: map[string][]*sub{}}
}

// Publisher wraps p so that the Injector knows what each subscription has
// to settle (Pending). Publish the events of every service through it.
func (in *Injector) Publisher(p platform.Publisher) platform.Publisher {
	return publisher{in: in, next: p}
}

// Subscriber wraps s: every subscription registered through it gets the
// Injector's faults.
func (in *Injector) Subscriber(s platform.Subscriber) platform.Subscriber {
	return subscriber{in: in, next: s}
}

// Counts returns what the Injector did so far.
func (in *Injector) Counts() Counts {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.counts
}

// Pending lists what the subscriptions have not settled yet, sorted. An
// event the adapter gave up on (its dead letters) stays listed: the
// Injector does not see the adapter's attempts.
func (in *Injector) Pending() []Unsettled {
	in.mu.Lock()
	subs := make([]*sub, 0, len(in.subs))
	for _, s := range in.subs {
		subs = append(subs, s)
	}
	in.mu.Unlock()
	var out []Unsettled
	for _, s := range subs {
		out = append(out, s.unsettled()...)
	}
	slices.SortFunc(out, func(a, b Unsettled) int {
		return cmp.Or(strings.Compare(a.Subscription, b.Subscription), strings.Compare(a.EventID, b.EventID))
	})
	return out
}

// Close stops the delivery of copies, waiting for those being delivered,
// and drops the rest (they were duplicates). Close it before the adapter
// and the services' state, so no copy reaches a closed store.
func (in *Injector) Close() {
	in.mu.Lock()
	in.closed = true
	subs := make([]*sub, 0, len(in.subs))
	for _, s := range in.subs {
		subs = append(subs, s)
	}
	in.mu.Unlock()
	for _, s := range subs {
		s.close()
	}
}

func (in *Injector) isClosed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

func (in *Injector) count(f func(*Counts)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f(&in.counts)
}

// expect records ev as unsettled for every subscription of its topic.
func (in *Injector) expect(ev platform.Event) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, s := range in.byTopic[ev.Topic] {
		s.open[ev.ID] = struct{}{}
	}
}

// unexpect forgets ev after a failed publish.
func (in *Injector) unexpect(ev platform.Event) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, s := range in.byTopic[ev.Topic] {
		delete(s.open, ev.ID)
	}
}

func (in *Injector) settle(s *sub, id string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(s.open, id)
}

// add registers the state of a new subscription.
func (in *Injector) add(ps platform.Subscription) (*sub, error) {
	key := ps.Topic + "/" + ps.Name
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	s := &sub{
		in: in, key: key, next: ps.Handle,
		rnd:  rand.New(rand.NewPCG(in.cfg.Seed, h.Sum64())),
		held: map[string]hold{}, open: map[string]struct{}{},
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.subs[key] != nil {
		return nil, platform.Errorf(platform.KindConflict, "faults: subscribe %s: already subscribed", key)
	}
	in.subs[key] = s
	in.byTopic[ps.Topic] = append(in.byTopic[ps.Topic], s)
	return s, nil
}

func (in *Injector) remove(s *sub, topic string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.subs, s.key)
	in.byTopic[topic] = slices.DeleteFunc(in.byTopic[topic], func(x *sub) bool { return x == s })
}

type publisher struct {
	in   *Injector
	next platform.Publisher
}

// Publish records ev before publishing it: a handler may settle it before
// the adapter's Publish returns.
func (p publisher) Publish(ctx context.Context, ev platform.Event) error {
	p.in.expect(ev)
	if err := p.next.Publish(ctx, ev); err != nil {
		p.in.unexpect(ev)
		return err
	}
	return nil
}

type subscriber struct {
	in   *Injector
	next platform.Subscriber
}

// Subscribe registers ps on the wrapped subscriber with a faulty handler.
func (w subscriber) Subscribe(ctx context.Context, ps platform.Subscription) error {
	if ps.Handle == nil {
		return w.next.Subscribe(ctx, ps) // let the adapter refuse it
	}
	s, err := w.in.add(ps)
	if err != nil {
		return err
	}
	wrapped := ps
	wrapped.Handle = s.handle
	if err := w.next.Subscribe(ctx, wrapped); err != nil {
		w.in.remove(s, ps.Topic)
		return err
	}
	return nil
}
