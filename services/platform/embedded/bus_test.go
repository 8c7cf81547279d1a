package embedded_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitFor = 10 * time.Second

func publishN(t *testing.T, p platform.Publisher, topic string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		ev, err := platform.NewEvent("test", topic, "test.happened", time.Now(), i)
		require.NoError(t, err)
		require.NoError(t, p.Publish(context.Background(), ev))
		ids = append(ids, ev.ID)
	}
	return ids
}

func subscribe(t *testing.T, b *embedded.Bus, topic, name string, r *recorder) {
	t.Helper()
	require.NoError(t, b.Subscribe(context.Background(), platform.Subscription{Topic: topic, Name: name, Handle: r.handle}))
}

func start(t *testing.T, b *embedded.Bus) {
	t.Helper()
	require.NoError(t, b.Start(context.Background()))
}

func TestBusDeliversInPublicationOrder(t *testing.T) {
	bus := openBus(t, filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{})
	r := newRecorder()
	subscribe(t, bus, "videos", "indexer", r)
	ids := publishN(t, bus, "videos", 50) // published before Start: all queued
	start(t, bus)
	require.Eventually(t, func() bool { return r.hasAll(ids) }, waitFor, 5*time.Millisecond)
	assert.Equal(t, ids, r.ackedIDs())
}

func TestBusRetryDoesNotBlockLaterEvents(t *testing.T) {
	bus := openBus(t, filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{
		Backoff: func(int) time.Duration { return 50 * time.Millisecond },
	})
	var first string
	r := failing(func(ev platform.Event, _ int) error {
		if ev.ID == first {
			return errors.New("not yet")
		}
		return nil
	})
	subscribe(t, bus, "videos", "indexer", r)
	first = publishN(t, bus, "videos", 1)[0]
	rest := publishN(t, bus, "videos", 3)
	start(t, bus)
	require.Eventually(t, func() bool { return r.hasAll(rest) }, waitFor, 5*time.Millisecond)
	r.setFail(nil)
	require.Eventually(t, func() bool { return r.hasAll([]string{first}) }, waitFor, 5*time.Millisecond)
	assert.Equal(t, append(rest, first), r.ackedIDs())
}

func TestBusSubscribeAfterStart(t *testing.T) {
	bus := openBus(t, filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{})
	start(t, bus)
	r := newRecorder()
	subscribe(t, bus, "videos", "late", r)
	ids := publishN(t, bus, "videos", 3)
	require.Eventually(t, func() bool { return r.hasAll(ids) }, waitFor, 5*time.Millisecond)
}

func TestBusErrors(t *testing.T) {
	ctx := context.Background()
	bus := openBus(t, filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{})
	ok := newRecorder().handle
	cases := []struct {
		name string
		sub  platform.Subscription
		kind platform.Kind
	}{
		{"no topic", platform.Subscription{Name: "n", Handle: ok}, platform.KindInvalid},
		{"no name", platform.Subscription{Topic: "t", Handle: ok}, platform.KindInvalid},
		{"slash in name", platform.Subscription{Topic: "t", Name: "a/b", Handle: ok}, platform.KindInvalid},
		{"no handler", platform.Subscription{Topic: "t", Name: "n"}, platform.KindInvalid},
		{"first", platform.Subscription{Topic: "t", Name: "n", Handle: ok}, ""},
		{"duplicate", platform.Subscription{Topic: "t", Name: "n", Handle: ok}, platform.KindConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.kind, platform.KindOf(bus.Subscribe(ctx, tc.sub)))
		})
	}
	assert.Equal(t, platform.KindInvalid, platform.KindOf(bus.Publish(ctx, platform.Event{Topic: "t"})), "event without id")
	start(t, bus)
	assert.Equal(t, platform.KindInvalid, platform.KindOf(bus.Start(ctx)), "second start")

	require.NoError(t, bus.Close())
	require.NoError(t, bus.Close(), "closing twice")
	ev, err := platform.NewEvent("test", "t", "x", time.Now(), 1)
	require.NoError(t, err)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(bus.Publish(ctx, ev)))
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(bus.Subscribe(ctx, platform.Subscription{Topic: "t", Name: "m", Handle: ok})))
	_, err = bus.ListDeadLetters(ctx)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))
}

func TestBusKeepsEventsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	bus, err := embedded.OpenBus(path, embedded.BusOptions{Logger: quiet()})
	require.NoError(t, err)
	subscribe(t, bus, "videos", "indexer", newRecorder())
	before := publishN(t, bus, "videos", 5) // never delivered: not started
	require.NoError(t, bus.Close())

	bus = openBus(t, path, embedded.BusOptions{})
	after := publishN(t, bus, "videos", 5) // published before the subscription is registered again
	r := newRecorder()
	subscribe(t, bus, "videos", "indexer", r)
	start(t, bus)
	require.Eventually(t, func() bool { return r.hasAll(before) && r.hasAll(after) }, waitFor, 5*time.Millisecond)
	assert.Equal(t, append(before, after...), r.ackedIDs())
}

func TestBusRedeliversWhatWasInFlightAtClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	bus, err := embedded.OpenBus(path, embedded.BusOptions{Logger: quiet(), CloseTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	inFlight := make(chan string, 1)
	hold := func(ctx context.Context, ev platform.Event) error {
		inFlight <- ev.ID
		<-ctx.Done() // a handler stuck mid-delivery, cancelled only by Close
		return ctx.Err()
	}
	require.NoError(t, bus.Subscribe(context.Background(), platform.Subscription{Topic: "media", Name: "encoder", Handle: hold}))
	start(t, bus)
	ids := publishN(t, bus, "media", 1)
	select {
	case got := <-inFlight:
		require.Equal(t, ids[0], got)
	case <-time.After(waitFor):
		t.Fatal("event never reached the handler")
	}
	require.NoError(t, bus.Close())

	// MaxAttempts 1: had the interrupted delivery counted as a failed
	// attempt, the event would now go straight to the dead letters.
	bus = openBus(t, path, embedded.BusOptions{MaxAttempts: 1})
	r := newRecorder()
	subscribe(t, bus, "media", "encoder", r)
	start(t, bus)
	require.Eventually(t, func() bool { return r.hasAll(ids) }, waitFor, 5*time.Millisecond)
	dead, err := bus.ListDeadLetters(context.Background())
	require.NoError(t, err)
	assert.Empty(t, dead)
}

func TestBusPersistsAttemptsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	bus, err := embedded.OpenBus(path, embedded.BusOptions{
		Logger:  quiet(),
		Backoff: func(int) time.Duration { return time.Hour }, // the retry is not due before Close
	})
	require.NoError(t, err)
	r := failing(func(platform.Event, int) error { return errors.New("boom") })
	subscribe(t, bus, "media", "encoder", r)
	start(t, bus)
	ids := publishN(t, bus, "media", 1)
	require.Eventually(t, func() bool { return r.callsOf(ids[0]) == 1 }, waitFor, 5*time.Millisecond)
	require.NoError(t, bus.Close())

	now := time.Now().Add(2 * time.Hour) // the retry is due
	bus = openBus(t, path, embedded.BusOptions{MaxAttempts: 2, Clock: func() time.Time { return now }})
	r = failing(func(platform.Event, int) error { return errors.New("boom again") })
	subscribe(t, bus, "media", "encoder", r)
	start(t, bus)
	var dead []platform.DeadLetter
	require.Eventually(t, func() bool {
		dead, err = bus.ListDeadLetters(context.Background())
		return err == nil && len(dead) == 1
	}, waitFor, 5*time.Millisecond)
	assert.Equal(t, 2, dead[0].Attempts, "one attempt before reopening, one after")
	assert.Equal(t, "media/encoder", dead[0].Subscription)
	assert.Contains(t, dead[0].Reason, "boom again")
	assert.Equal(t, 1, r.callsOf(ids[0]))
}

func TestBusDeadLettersSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bus.db")
	bus, err := embedded.OpenBus(path, embedded.BusOptions{Logger: quiet()})
	require.NoError(t, err)
	r := failing(func(platform.Event, int) error { return platform.Drop(errors.New("bad payload")) })
	subscribe(t, bus, "users", "mailer", r)
	start(t, bus)
	ids := publishN(t, bus, "users", 2)
	require.Eventually(t, func() bool {
		dead, err := bus.ListDeadLetters(ctx)
		return err == nil && len(dead) == 2
	}, waitFor, 5*time.Millisecond)
	require.NoError(t, bus.Close())

	bus = openBus(t, path, embedded.BusOptions{})
	dead, err := bus.ListDeadLetters(ctx)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	assert.ElementsMatch(t, ids, []string{dead[0].Event.ID, dead[1].Event.ID})

	// Redrive before the subscription is registered again: kept for it.
	for _, d := range dead {
		require.NoError(t, bus.Redrive(ctx, d.ID))
	}
	r = newRecorder()
	subscribe(t, bus, "users", "mailer", r)
	start(t, bus)
	require.Eventually(t, func() bool { return r.hasAll(ids) }, waitFor, 5*time.Millisecond)
	dead, err = bus.ListDeadLetters(ctx)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

func TestBusCloseCancelsHandlersAfterTimeout(t *testing.T) {
	bus, err := embedded.OpenBus(filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{Logger: quiet(), CloseTimeout: 20 * time.Millisecond})
	require.NoError(t, err)
	started, cancelled := make(chan struct{}), make(chan struct{})
	hold := func(ctx context.Context, _ platform.Event) error {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}
	require.NoError(t, bus.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "n", Handle: hold}))
	start(t, bus)
	publishN(t, bus, "t", 1)
	select {
	case <-started:
	case <-time.After(waitFor):
		t.Fatal("event never reached the handler")
	}
	require.NoError(t, bus.Close())
	select {
	case <-cancelled:
	default:
		t.Fatal("Close returned before the handler's context was cancelled")
	}
}
