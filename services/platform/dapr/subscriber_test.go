package dapr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeFailures records what a Subscriber reports, in place of a
// DeadLetterStore.
type fakeFailures struct {
	mu       sync.Mutex
	recorded [][]outcome
	cleared  [][]string
	lettered []lettered
	err      error
}

// lettered is one deadLettered call.
type lettered struct {
	id, topic string
	subs      []string
}

func (f *fakeFailures) deadLettered(_ context.Context, ev platform.Event, subs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.lettered = append(f.lettered, lettered{id: ev.ID, topic: ev.Topic, subs: subs})
	return nil
}

func (f *fakeFailures) recordFailures(_ context.Context, _ platform.Event, o []outcome) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.recorded = append(f.recorded, o)
	return nil
}

func (f *fakeFailures) clearFailures(_ context.Context, _ string, subs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleared = append(f.cleared, subs)
	return nil
}

// newTestSubscriber returns a Subscriber that needs no sidecar, with its
// routes on a test server.
func newTestSubscriber(t *testing.T, cfg Config) (*Subscriber, *fakeFailures, *httptest.Server) {
	t.Helper()
	cfg.AppID = "app"
	cfg.Logger = slog.New(slog.DiscardHandler)
	sc := &Sidecar{cfg: cfg.withDefaults()}
	sc.log = sc.cfg.Logger
	sub := sc.Subscriber()
	ff := &fakeFailures{}
	sub.failures = ff
	mux := http.NewServeMux()
	sub.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return sub, ff, srv
}

func deliverTo(t *testing.T, srv *httptest.Server, route string, ev platform.Event, redrive string) ackStatus {
	t.Helper()
	body, err := encodeEvent(ev, redrive)
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+EventsRoutePrefix+route, cloudEventContentType, strings.NewReader(string(body)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ Status ackStatus }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Status
}

func testEvent(topic string) platform.Event {
	ev, _ := platform.NewEvent("test", topic, "test.happened", time.Now(), map[string]int{"n": 1})
	return ev
}

func TestSubscribeValidates(t *testing.T) {
	sub, _, srv := newTestSubscriber(t, Config{})
	h := func(context.Context, platform.Event) error { return nil }
	cases := []struct {
		name string
		s    platform.Subscription
	}{
		{"no topic", platform.Subscription{Name: "a", Handle: h}},
		{"no name", platform.Subscription{Topic: "t", Handle: h}},
		{"name with slash", platform.Subscription{Topic: "t", Name: "a/b", Handle: h}},
		{"no handler", platform.Subscription{Topic: "t", Name: "a"}},
		{"reserved", platform.Subscription{Topic: "t", Name: deadLetterRoute, Handle: h}},
		{"reserved prefix", platform.Subscription{Topic: "t", Name: "deadletters.a", Handle: h}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := sub.Subscribe(context.Background(), tc.s)
			assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
		})
	}
	require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "a", Handle: h}))
	err := sub.Subscribe(context.Background(), platform.Subscription{Topic: "u", Name: "a", Handle: h})
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "taken: %v", err)

	resp, err := http.Get(srv.URL + "/dapr/subscribe")
	require.NoError(t, err)
	_ = resp.Body.Close()
	err = sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "late", Handle: h})
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "after the sidecar read them: %v", err)
}

func TestSubscriptionsDeclared(t *testing.T) {
	h := func(context.Context, platform.Event) error { return nil }
	for _, declarative := range []bool{false, true} {
		sub, _, srv := newTestSubscriber(t, Config{DeadLetterTopic: "dead", DeclarativeSubscriptions: declarative})
		for _, s := range []platform.Subscription{
			{Topic: "videos", Name: "index", Handle: h},
			{Topic: "videos", Name: "stats", Handle: h},
			{Topic: "users", Name: "revoke", Broadcast: true, Handle: h},
		} {
			require.NoError(t, sub.Subscribe(context.Background(), s))
		}
		resp, err := http.Get(srv.URL + "/dapr/subscribe")
		require.NoError(t, err)
		var got []subscriptionJSON
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		_ = resp.Body.Close()
		// One dead-letter topic per Dapr subscription, named after it, and
		// the dead-letter store's subscription to each on the competing
		// pubsub (a broadcast's letters included: same broker, same topic).
		want := []subscriptionJSON{
			{PubSubName: "pubsub", Topic: "videos", Route: "/events/index", DeadLetterTopic: "dead.index"},
			{PubSubName: "broadcast", Topic: "users", Route: "/events/revoke", DeadLetterTopic: "dead.revoke"},
			{PubSubName: "pubsub", Topic: "dead.index", Route: "/events/deadletters.index"},
			{PubSubName: "pubsub", Topic: "dead.revoke", Route: "/events/deadletters.revoke"},
		}
		if declarative {
			assert.Empty(t, got)
			assert.Len(t, sub.Subscriptions(), 4)
			continue
		}
		assert.Equal(t, want, got)
	}
}

// TestDeadLetterDeliveries: a letter on a subscription's dead-letter route
// is recorded for the subscriptions of its group, with the group's topic,
// whether or not a handler ever ran.
func TestDeadLetterDeliveries(t *testing.T) {
	h := func(context.Context, platform.Event) error { return nil }
	cases := []struct {
		name, route, redrive string
		noStore, failing     bool
		want                 ackStatus
		wantSubs             []string
	}{
		{name: "a group's letter", route: "index", want: statusSuccess, wantSubs: []string{"index", "stats"}},
		{name: "by a later name of the group", route: "stats", want: statusSuccess, wantSubs: []string{"index", "stats"}},
		{name: "a redrive to one subscription", route: "index", redrive: "app/stats", want: statusSuccess, wantSubs: []string{"stats"}},
		{name: "a redrive to another app", route: "index", redrive: "other/stats", want: statusSuccess},
		{name: "a subscription the app does not make", route: "nosuch", want: statusSuccess},
		{name: "bookkeeping fails", route: "index", failing: true, want: statusRetry},
		{name: "no dead-letter store", route: "index", noStore: true, want: statusRetry},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub, ff, srv := newTestSubscriber(t, Config{})
			for _, name := range []string{"index", "stats"} {
				require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "videos", Name: name, Handle: h}))
			}
			if tc.noStore {
				sub.failures = nil
			}
			if tc.failing {
				ff.err = platform.Errorf(platform.KindUnavailable, "store down")
			}
			ev := testEvent("")
			assert.Equal(t, tc.want, deliverTo(t, srv, "deadletters."+tc.route, ev, tc.redrive))
			if tc.wantSubs == nil {
				assert.Empty(t, ff.lettered)
				return
			}
			assert.Equal(t, []lettered{{id: ev.ID, topic: "videos", subs: tc.wantSubs}}, ff.lettered)
		})
	}
}

func TestDeliveryAnswers(t *testing.T) {
	cases := []struct {
		name     string
		handle   platform.Handler
		want     ackStatus
		recorded bool
	}{
		{"acknowledged", func(context.Context, platform.Event) error { return nil }, statusSuccess, false},
		{"failed", func(context.Context, platform.Event) error { return errors.New("db down") }, statusRetry, true},
		{"dropped", func(context.Context, platform.Event) error { return platform.Drop(errors.New("bad payload")) }, statusDrop, true},
		{"panicked", func(context.Context, platform.Event) error { panic("bug") }, statusRetry, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub, ff, srv := newTestSubscriber(t, Config{})
			require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "s", Handle: tc.handle}))
			assert.Equal(t, tc.want, deliverTo(t, srv, "s", testEvent("t"), ""))
			assert.Equal(t, tc.recorded, len(ff.recorded) == 1)
		})
	}
}

func TestDeliveryEdgeCases(t *testing.T) {
	sub, ff, srv := newTestSubscriber(t, Config{})
	calls := map[string]int{}
	var mu sync.Mutex
	fail := true
	handler := func(name string) platform.Handler {
		return func(context.Context, platform.Event) error {
			mu.Lock()
			defer mu.Unlock()
			calls[name]++
			if name == "b" && fail {
				return errors.New("b fails")
			}
			return nil
		}
	}
	require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "a", Handle: handler("a")}))
	require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "b", Handle: handler("b")}))
	ev := testEvent("t")

	assert.Equal(t, statusRetry, deliverTo(t, srv, "a", ev, ""))
	assert.Equal(t, statusRetry, deliverTo(t, srv, "a", ev, ""))
	assert.Equal(t, map[string]int{"a": 1, "b": 2}, calls, "a retry skips the handler that acknowledged")
	mu.Lock()
	fail = false
	mu.Unlock()
	assert.Equal(t, statusSuccess, deliverTo(t, srv, "a", ev, ""))
	assert.Equal(t, [][]string{{"a", "b"}}, ff.cleared, "failures are cleared once the event is handled")

	other := testEvent("t")
	assert.Equal(t, statusSuccess, deliverTo(t, srv, "a", other, "app/b"))
	assert.Equal(t, statusSuccess, deliverTo(t, srv, "a", other, "another-app/b"), "a redrive for another app is acknowledged")
	assert.Equal(t, map[string]int{"a": 1, "b": 4}, calls, "a redrive for b leaves a alone")

	assert.Equal(t, statusRetry, deliverTo(t, srv, "nosuch", ev, ""), "an unknown route asks for a retry")
	resp, err := http.Post(srv.URL+EventsRoutePrefix+"a", cloudEventContentType, strings.NewReader("not json"))
	require.NoError(t, err)
	var out struct{ Status ackStatus }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	_ = resp.Body.Close()
	assert.Equal(t, statusDrop, out.Status, "an undecodable event is dropped")
}

func TestDeliveryWhoseBookkeepingFailsIsRetried(t *testing.T) {
	sub, ff, srv := newTestSubscriber(t, Config{})
	ff.err = platform.Errorf(platform.KindUnavailable, "store down")
	n := 0
	require.NoError(t, sub.Subscribe(context.Background(), platform.Subscription{Topic: "t", Name: "s", Handle: func(context.Context, platform.Event) error {
		n++
		return platform.Drop(errors.New("never"))
	}}))
	ev := testEvent("t")
	assert.Equal(t, statusRetry, deliverTo(t, srv, "s", ev, ""), "an unrecorded drop is not dead-lettered")
	ff.err = nil
	assert.Equal(t, statusDrop, deliverTo(t, srv, "s", ev, ""))
	assert.Equal(t, 2, n)
}

func TestMemoEvicts(t *testing.T) {
	m := newMemo(2)
	for _, k := range []string{"a", "b", "c"} {
		m.put(k, []outcome{{sub: "s"}}, false)
	}
	assert.LessOrEqual(t, len(m.entries), 2)
	m.remove("c")
	assert.Empty(t, m.get("c").settled)
}
