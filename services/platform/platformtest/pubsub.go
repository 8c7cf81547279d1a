package platformtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PubSubHarness connects TestPubSub to one pub/sub adapter.
type PubSubHarness struct {
	// Start registers subs (through the adapter's platform.Subscriber, or
	// however the adapter declares subscriptions), starts delivery and
	// returns the ports to publish with. The suite calls it once per case
	// with topics unique to the call; stop the adapter with t.Cleanup.
	Start func(t *testing.T, subs []platform.Subscription) PubSubPorts
	// MaxAttempts is how many times the adapter handles a failing event
	// before it becomes a dead letter; 0 skips the case that exhausts them.
	MaxAttempts int
	// Timeout bounds each wait for a delivery (default 15s); the adapter's
	// retry backoff must fit well within it.
	Timeout time.Duration
}

// PubSubPorts are what a started adapter offers the suite.
type PubSubPorts struct {
	Publisher platform.Publisher
	// DeadLetters is nil when the adapter exposes dead letters otherwise;
	// the dead-letter cases are then skipped.
	DeadLetters platform.DeadLetters
}

// TestPubSub runs the pub/sub conformance cases: every subscription gets
// every event of its topic at least once and nothing else, a failing or
// panicking handler gets the event again, a dropped event becomes a
// visible, redrivable dead letter, and concurrent publishers lose nothing.
func TestPubSub(t *testing.T, h PubSubHarness) {
	t.Helper()
	if h.Timeout <= 0 {
		h.Timeout = 15 * time.Second
	}
	cases := []struct {
		name string
		run  func(t *testing.T, h PubSubHarness)
	}{
		{"FanOutToEverySubscription", pubsubFanOut},
		{"EventRoundtrip", pubsubRoundtrip},
		{"RetryAfterFailure", pubsubRetry},
		{"RetryAfterPanic", pubsubPanic},
		{"DropToDeadLetterAndRedrive", pubsubDeadLetter},
		{"ExhaustedAttemptsToDeadLetter", pubsubExhausted},
		{"ConcurrentPublishLosesNothing", pubsubConcurrent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// inbox records what a handler saw. fail decides, per event and call number
// (from 1), what the handler returns; nil acknowledges everything.
type inbox struct {
	mu    sync.Mutex
	calls map[string]int
	acked map[string]platform.Event
	fail  func(ev platform.Event, call int) error
}

func newInbox(fail func(platform.Event, int) error) *inbox {
	return &inbox{calls: map[string]int{}, acked: map[string]platform.Event{}, fail: fail}
}

func (in *inbox) handle(_ context.Context, ev platform.Event) error {
	in.mu.Lock()
	in.calls[ev.ID]++
	call, fail := in.calls[ev.ID], in.fail
	in.mu.Unlock()
	if fail != nil {
		if err := fail(ev, call); err != nil {
			return err
		}
	}
	in.mu.Lock()
	in.acked[ev.ID] = ev
	in.mu.Unlock()
	return nil
}

func (in *inbox) setFail(fail func(platform.Event, int) error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fail = fail
}

func (in *inbox) callsOf(id string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.calls[id]
}

func (in *inbox) hasAll(ids []string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, id := range ids {
		if _, ok := in.acked[id]; !ok {
			return false
		}
	}
	return true
}

func (in *inbox) ackedIDs() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	ids := make([]string, 0, len(in.acked))
	for id := range in.acked {
		ids = append(ids, id)
	}
	return ids
}

// publish publishes n events on topic and returns their ids.
func publish(t *testing.T, p platform.Publisher, topic string, n int) []string {
	t.Helper()
	ids, err := publishN(p, topic, n)
	require.NoError(t, err)
	return ids
}

// publishN publishes n events on topic and returns the ids of those
// published before any error.
func publishN(p platform.Publisher, topic string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for i := range n {
		ev, err := platform.NewEvent("platformtest", topic, "test.happened", time.Now(), map[string]int{"n": i})
		if err != nil {
			return ids, err
		}
		if err := p.Publish(context.Background(), ev); err != nil {
			return ids, fmt.Errorf("publish %d: %w", i, err)
		}
		ids = append(ids, ev.ID)
	}
	return ids, nil
}

func sub(topic, name string, in *inbox) platform.Subscription {
	return platform.Subscription{Topic: topic, Name: name, Handle: in.handle}
}

// eventually waits for cond within the harness timeout.
func eventually(t *testing.T, h PubSubHarness, cond func() bool, msg string, args ...any) {
	t.Helper()
	require.Eventually(t, cond, h.Timeout, 10*time.Millisecond, fmt.Sprintf(msg, args...))
}

func pubsubFanOut(t *testing.T, h PubSubHarness) {
	topicA, topicB := unique("topic"), unique("topic")
	a1, a2, b1 := newInbox(nil), newInbox(nil), newInbox(nil)
	ports := h.Start(t, []platform.Subscription{sub(topicA, "a1", a1), sub(topicA, "a2", a2), sub(topicB, "b1", b1)})

	idsA := publish(t, ports.Publisher, topicA, 10)
	idsB := publish(t, ports.Publisher, topicB, 3)
	eventually(t, h, func() bool { return a1.hasAll(idsA) && a2.hasAll(idsA) && b1.hasAll(idsB) },
		"every subscription gets every event of its topic")
	assert.ElementsMatch(t, idsA, a1.ackedIDs())
	assert.ElementsMatch(t, idsA, a2.ackedIDs())
	assert.ElementsMatch(t, idsB, b1.ackedIDs(), "a subscription gets only its topic")
}

func pubsubRoundtrip(t *testing.T, h PubSubHarness) {
	topic := unique("topic")
	in := newInbox(nil)
	ports := h.Start(t, []platform.Subscription{sub(topic, "rt", in)})
	payload := map[string]any{"videoId": "v-1", "title": "Ça marche ✓", "tags": []string{"a", "b"}, "n": 3.5}
	ev, err := platform.NewEvent("catalog", topic, "video.changed", time.Now(), payload)
	require.NoError(t, err)
	require.NoError(t, ports.Publisher.Publish(context.Background(), ev))

	eventually(t, h, func() bool { return in.hasAll([]string{ev.ID}) }, "event delivered")
	in.mu.Lock()
	got := in.acked[ev.ID]
	in.mu.Unlock()
	assert.Equal(t, ev.ID, got.ID)
	assert.Equal(t, ev.Type, got.Type)
	assert.Equal(t, ev.Source, got.Source)
	assert.Equal(t, ev.Topic, got.Topic)
	assert.WithinDuration(t, ev.Time, got.Time, time.Millisecond)
	assert.JSONEq(t, string(ev.Data), string(got.Data))
	var decoded map[string]any
	require.NoError(t, got.Decode(&decoded))
	assert.Equal(t, "Ça marche ✓", decoded["title"])
}

func pubsubRetry(t *testing.T, h PubSubHarness) {
	topic := unique("topic")
	in := newInbox(func(_ platform.Event, call int) error {
		if call < 3 {
			return errors.New("transient failure")
		}
		return nil
	})
	ports := h.Start(t, []platform.Subscription{sub(topic, "retry", in)})
	ids := publish(t, ports.Publisher, topic, 2)
	eventually(t, h, func() bool { return in.hasAll(ids) }, "failed events are retried until handled")
	for _, id := range ids {
		assert.GreaterOrEqual(t, in.callsOf(id), 3)
	}
}

func pubsubPanic(t *testing.T, h PubSubHarness) {
	topic := unique("topic")
	in := newInbox(func(_ platform.Event, call int) error {
		if call == 1 {
			panic("handler bug")
		}
		return nil
	})
	ports := h.Start(t, []platform.Subscription{sub(topic, "panic", in)})
	ids := publish(t, ports.Publisher, topic, 1)
	eventually(t, h, func() bool { return in.hasAll(ids) }, "an event whose handler panicked is retried")
	assert.GreaterOrEqual(t, in.callsOf(ids[0]), 2)
}
