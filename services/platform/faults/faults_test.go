package faults_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/faults"
)

// queueBus is a minimal adapter: Publish queues a delivery per
// subscription of the topic, Drain delivers them one at a time, puts a
// failed one back at the end of the queue and keeps dropped ones.
type queueBus struct {
	mu      sync.Mutex
	subs    []platform.Subscription
	queue   []delivery
	dropped []delivery
}

type delivery struct {
	sub platform.Subscription
	ev  platform.Event
}

func (b *queueBus) Subscribe(_ context.Context, s platform.Subscription) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, s)
	return nil
}

func (b *queueBus) Publish(_ context.Context, ev platform.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if s.Topic == ev.Topic {
			b.queue = append(b.queue, delivery{s, ev})
		}
	}
	return nil
}

func (b *queueBus) Drain(t *testing.T) {
	t.Helper()
	for range 10_000 {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.mu.Unlock()
			return
		}
		d := b.queue[0]
		b.queue = b.queue[1:]
		b.mu.Unlock()
		err := d.sub.Handle(t.Context(), d.ev)
		b.mu.Lock()
		switch {
		case platform.IsDrop(err):
			b.dropped = append(b.dropped, d)
		case err != nil:
			b.queue = append(b.queue, d)
		}
		b.mu.Unlock()
	}
	t.Fatal("queue never drained")
}

// recorder is a handler that records the ids it saw, dropping those in
// poison (and, once it saw an id, dropping its repeats when dropRepeats).
type recorder struct {
	mu          sync.Mutex
	seen        []string
	poison      map[string]bool
	dropRepeats bool
}

func (r *recorder) handle(_ context.Context, ev platform.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	repeat := slices.Contains(r.seen, ev.ID)
	r.seen = append(r.seen, ev.ID)
	if r.poison[ev.ID] || (r.dropRepeats && repeat) {
		return platform.Drop(errors.New("cannot handle"))
	}
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func events(n int) []platform.Event {
	evs := make([]platform.Event, n)
	for i := range evs {
		evs[i] = platform.Event{ID: fmt.Sprintf("ev-%03d", i), Type: "thing.changed", Topic: "things"}
	}
	return evs
}

func ids(evs []platform.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// run publishes evs through an Injector with cfg to one recorder and
// drains the bus, then waits until the Injector has settled everything.
func run(t *testing.T, cfg faults.Config, rec *recorder, evs []platform.Event) (*faults.Injector, *queueBus) {
	t.Helper()
	bus := &queueBus{}
	in := faults.New(cfg)
	t.Cleanup(in.Close)
	require.NoError(t, in.Subscriber(bus).Subscribe(t.Context(), platform.Subscription{Topic: "things", Name: "rec", Handle: rec.handle}))
	pub := in.Publisher(bus)
	for _, ev := range evs {
		require.NoError(t, pub.Publish(t.Context(), ev))
	}
	bus.Drain(t)
	require.Eventually(t, func() bool { return len(in.Pending()) == 0 }, 5*time.Second, 5*time.Millisecond,
		"unsettled: %v", in.Pending())
	return in, bus
}

func TestInjector(t *testing.T) {
	evs := events(50)
	tests := []struct {
		name  string
		cfg   faults.Config
		check func(t *testing.T, c faults.Counts, seen []string)
	}{
		{"no faults: each event once, in order", faults.Config{Seed: 1}, func(t *testing.T, c faults.Counts, seen []string) {
			assert.Equal(t, ids(evs), seen)
			assert.Equal(t, faults.Counts{Deliveries: 50}, c)
		}},
		{"duplicate: each event twice in a row", faults.Config{Seed: 1, Duplicate: 1}, func(t *testing.T, c faults.Counts, seen []string) {
			require.Len(t, seen, 100)
			for i := range 50 {
				assert.Equal(t, evs[i].ID, seen[2*i])
				assert.Equal(t, evs[i].ID, seen[2*i+1])
			}
			assert.Equal(t, 50, c.Duplicated)
		}},
		{"redeliver: each event again after later ones", faults.Config{Seed: 1, Redeliver: 1, Later: 2, MaxHold: 10 * time.Millisecond},
			func(t *testing.T, c faults.Counts, seen []string) {
				require.Len(t, seen, 100)
				assert.ElementsMatch(t, slices.Concat(ids(evs), ids(evs)), seen)
				assert.Equal(t, evs[1].ID, seen[1], "the copy of the first waits for later events")
				assert.Equal(t, 50, c.Redelivered)
			}},
		{"reorder: some events after later ones, each handled once", faults.Config{Seed: 1, Reorder: 0.3},
			func(t *testing.T, c faults.Counts, seen []string) {
				assert.ElementsMatch(t, ids(evs), seen)
				assert.NotEqual(t, ids(evs), seen)
				assert.Positive(t, c.Reordered)
				assert.Equal(t, 50, c.Deliveries)
			}},
		{"delay: every event, in order", faults.Config{Seed: 1, Delay: 1, MaxDelay: time.Millisecond},
			func(t *testing.T, c faults.Counts, seen []string) {
				assert.Equal(t, ids(evs), seen)
				assert.Equal(t, 50, c.Delayed)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			in, _ := run(t, tt.cfg, rec, evs)
			tt.check(t, in.Counts(), rec.ids())
		})
	}
}

func TestInjectorIsDeterministic(t *testing.T) {
	cfg := faults.Config{Seed: 42, Duplicate: 0.1, Reorder: 0.2, Delay: 0.1, MaxDelay: time.Millisecond}
	evs := events(80)
	first, second := &recorder{}, &recorder{}
	in1, _ := run(t, cfg, first, evs)
	in2, _ := run(t, cfg, second, evs)
	assert.Equal(t, first.ids(), second.ids())
	assert.Equal(t, in1.Counts(), in2.Counts())

	cfg.Seed = 43
	other := &recorder{}
	run(t, cfg, other, evs)
	assert.NotEqual(t, first.ids(), other.ids())
}

func TestPoisonReachesTheDeadLettersThroughEveryFault(t *testing.T) {
	cfg := faults.Config{Seed: 7, Duplicate: 0.3, Redeliver: 0.3, Reorder: 0.3, MaxHold: 10 * time.Millisecond}
	evs := events(60)
	poison := map[string]bool{}
	for i := 0; i < 60; i += 6 {
		poison[evs[i].ID] = true
	}
	rec := &recorder{poison: poison}
	in, bus := run(t, cfg, rec, evs)
	var dropped []string
	for _, d := range bus.dropped {
		dropped = append(dropped, d.ev.ID)
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(poison)), dropped, "each poison message dropped once, nothing else")
	assert.Zero(t, in.Counts().Mismatched)
}

func TestMismatchedCopiesAreCounted(t *testing.T) {
	rec := &recorder{dropRepeats: true}
	in, _ := run(t, faults.Config{Seed: 1, Duplicate: 1}, rec, events(5))
	assert.Equal(t, 5, in.Counts().Mismatched)
}

func TestPendingListsWhatIsNotSettled(t *testing.T) {
	bus := &queueBus{}
	in := faults.New(faults.Config{Seed: 1})
	t.Cleanup(in.Close)
	rec := &recorder{}
	require.NoError(t, in.Subscriber(bus).Subscribe(t.Context(), platform.Subscription{Topic: "things", Name: "rec", Handle: rec.handle}))
	require.NoError(t, in.Publisher(bus).Publish(t.Context(), events(1)[0]))
	assert.Equal(t, []faults.Unsettled{{Subscription: "things/rec", EventID: "ev-000"}}, in.Pending())
	bus.Drain(t)
	assert.Empty(t, in.Pending())
}
