package dapr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitFor bounds the waits of these tests.
const waitFor = 20 * time.Second

// counter counts the calls of a handler per event id and fails while fail
// says so.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
	fail  bool
}

func newCounter(fail bool) *counter { return &counter{calls: map[string]int{}, fail: fail} }

func (c *counter) handle(_ context.Context, ev platform.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[ev.ID]++
	if c.fail {
		return errors.New("still failing")
	}
	return nil
}

func (c *counter) of(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

func (c *counter) total() (events, calls int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.calls {
		events++
		calls += n
	}
	return events, calls
}

func (c *counter) setFail(fail bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = fail
}

// appWith starts a sidecar for appID whose app subscribes subs, with a
// DeadLetterStore when deadLetters.
func appWith(t *testing.T, appID string, subs []platform.Subscription, deadLetters bool) (*testSidecar, *DeadLetterStore) {
	t.Helper()
	var dl *DeadLetterStore
	ts := startSidecar(t, requireEnv(t), sidecarSpec{appID: appID, routes: func(t *testing.T, sc *Sidecar) http.Handler {
		for _, s := range subs {
			require.NoError(t, sc.Subscriber().Subscribe(context.Background(), s))
		}
		if deadLetters {
			var err error
			dl, err = sc.DeadLetters(sc.State(redisStore))
			require.NoError(t, err)
		}
		mux := http.NewServeMux()
		sc.Subscriber().Routes(mux)
		return mux
	}}, false)
	return ts, dl
}

func publishEvents(t *testing.T, p platform.Publisher, topic string, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		ev, err := platform.NewEvent("test", topic, "test.happened", time.Now(), map[string]int{"n": i})
		require.NoError(t, err)
		require.NoError(t, p.Publish(context.Background(), ev))
		ids = append(ids, ev.ID)
	}
	return ids
}

// TestBroadcastAndCompetingConsumers: two instances of one app; a Broadcast
// subscription gets every event on each instance, a plain one shares them.
func TestBroadcastAndCompetingConsumers(t *testing.T) {
	requireEnv(t)
	appID := "dflix-bc-" + randomID()
	cacheTopic, workTopic := "cache-"+randomID(), "work-"+randomID()
	var caches, works []*counter
	var first *testSidecar
	for i := range 2 {
		cache, work := newCounter(false), newCounter(false)
		caches, works = append(caches, cache), append(works, work)
		ts, _ := appWith(t, appID, []platform.Subscription{
			{Topic: cacheTopic, Name: "cache", Broadcast: true, Handle: cache.handle},
			{Topic: workTopic, Name: "work", Handle: work.handle},
		}, false)
		if i == 0 {
			first = ts
		}
	}
	const n = 20
	cacheIDs := publishEvents(t, first.sc.Publisher(), cacheTopic, n)
	workIDs := publishEvents(t, first.sc.Publisher(), workTopic, n)

	require.Eventually(t, func() bool {
		for _, id := range cacheIDs {
			if caches[0].of(id) == 0 || caches[1].of(id) == 0 {
				return false
			}
		}
		for _, id := range workIDs {
			if works[0].of(id)+works[1].of(id) == 0 {
				return false
			}
		}
		return true
	}, waitFor, 20*time.Millisecond, "every instance gets every broadcast event; the instances share the others")
	_, calls0 := works[0].total()
	_, calls1 := works[1].total()
	assert.Equal(t, n, calls0+calls1, "each competing event is handled by one instance")
}

// TestSharedTopicFailureAndRedrive: two subscriptions of one app on one
// topic and one of another app. The failing one is retried alone, becomes
// the only dead letter, and its redrive reaches it alone.
func TestSharedTopicFailureAndRedrive(t *testing.T) {
	requireEnv(t)
	topic := "shared-" + randomID()
	ok, bad, other := newCounter(false), newCounter(true), newCounter(false)
	ts, dl := appWith(t, "dflix-st-"+randomID(), []platform.Subscription{
		{Topic: topic, Name: "ok", Handle: ok.handle},
		{Topic: topic, Name: "bad", Handle: bad.handle},
	}, true)
	_, _ = appWith(t, "dflix-other-"+randomID(), []platform.Subscription{{Topic: topic, Name: "watch", Handle: other.handle}}, false)

	id := publishEvents(t, ts.sc.Publisher(), topic, 1)[0]
	var letters []platform.DeadLetter
	require.Eventually(t, func() bool {
		var err error
		letters, err = dl.ListDeadLetters(context.Background())
		return err == nil && len(letters) > 0
	}, waitFor, 20*time.Millisecond, "the failing subscription's dead letter")
	require.Len(t, letters, 1)
	assert.Equal(t, "bad", letters[0].Subscription)
	assert.Equal(t, id, letters[0].Event.ID)
	assert.Equal(t, topic, letters[0].Event.Topic)
	assert.Equal(t, testMaxAttempts, letters[0].Attempts)
	assert.Contains(t, letters[0].Reason, "still failing")
	assert.Equal(t, testMaxAttempts, bad.of(id))
	assert.Equal(t, 1, ok.of(id), "a handler that acknowledged is not run again on the retries")
	require.Eventually(t, func() bool { return other.of(id) == 1 }, waitFor, 20*time.Millisecond)

	bad.setFail(false)
	require.NoError(t, dl.Redrive(context.Background(), letters[0].ID))
	require.Eventually(t, func() bool { return bad.of(id) == testMaxAttempts+1 }, waitFor, 20*time.Millisecond, "redriven to bad")
	assert.Never(t, func() bool { return ok.of(id) != 1 || other.of(id) != 1 }, time.Second, 50*time.Millisecond,
		"a redrive reaches only the dead letter's subscription")
	letters, err := dl.ListDeadLetters(context.Background())
	require.NoError(t, err)
	assert.Empty(t, letters)
}

// TestDeclarativeSubscriptions: with Config.DeclarativeSubscriptions the app
// declares nothing and a Subscription resource routes the topic to
// /events/<name>.
func TestDeclarativeSubscriptions(t *testing.T) {
	e := requireEnv(t)
	appID, topic := "dflix-decl-"+randomID(), "decl-"+randomID()
	got := newCounter(false)
	ts := startSidecar(t, e, sidecarSpec{
		appID:     appID,
		configure: func(c *Config) { c.DeclarativeSubscriptions = true },
		resources: map[string]string{"subscription.yaml": fmt.Sprintf(declarativeSubscriptionYAML, topic, EventsRoutePrefix+"decl", e.deadLetterTopic, appID)},
		routes: func(t *testing.T, sc *Sidecar) http.Handler {
			require.NoError(t, sc.Subscriber().Subscribe(context.Background(), platform.Subscription{Topic: topic, Name: "decl", Handle: got.handle}))
			mux := http.NewServeMux()
			sc.Subscriber().Routes(mux)
			return mux
		},
	}, false)
	id := publishEvents(t, ts.sc.Publisher(), topic, 1)[0]
	require.Eventually(t, func() bool { return got.of(id) == 1 }, waitFor, 20*time.Millisecond)
}

// declarativeSubscriptionYAML is a Subscription resource: topic, route,
// dead-letter topic, app id.
const declarativeSubscriptionYAML = `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: decl
spec:
  pubsubname: pubsub
  topic: %s
  routes:
    default: %s
  deadLetterTopic: %s
scopes:
- %s
`
