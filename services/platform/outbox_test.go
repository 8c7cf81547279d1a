package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// countingState is a MemState that counts Transact calls.
type countingState struct {
	*platformtest.MemState
	mu        sync.Mutex
	transacts int
}

func (c *countingState) Transact(ctx context.Context, ops []platform.Op) error {
	c.mu.Lock()
	c.transacts++
	c.mu.Unlock()
	return c.MemState.Transact(ctx, ops)
}

func (c *countingState) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transacts
}

// outboxFixture is an Outbox over an in-memory state and a recorder.
type outboxFixture struct {
	state *countingState
	pub   *platformtest.Recorder
	box   *platform.Outbox
}

func newOutboxFixture() *outboxFixture {
	f := &outboxFixture{state: &countingState{MemState: platformtest.NewMemState()}, pub: &platformtest.Recorder{}}
	f.box = platform.NewOutbox(f.state, f.pub, nil)
	return f
}

func testEvent(t *testing.T, typ string) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent("test", "things", typ, time.Unix(0, 0), map[string]string{"k": "v"})
	require.NoError(t, err)
	return ev
}

// stored reads the raw JSON at key, or "" when it is missing.
func stored(t *testing.T, s platform.State, key string) string {
	t.Helper()
	it, err := s.Get(context.Background(), key)
	if platform.Is(err, platform.KindNotFound) {
		return ""
	}
	require.NoError(t, err)
	return string(it.Value)
}

func TestBatchCollectsOpsAndEvents(t *testing.T) {
	var b platform.Batch
	ev := testEvent(t, "thing.created")
	b.Set("thing/1", map[string]int{"n": 1}, "e1", false)
	b.Set("name/a", "1", "", true)
	b.Delete("thing/0", "e0")
	b.Add([]platform.Op{{Key: "things/shard/00", Value: []byte(`["1"]`)}}, nil)
	b.Emit(ev, nil)

	require.NoError(t, b.Err())
	assert.Equal(t, []platform.Op{
		{Key: "thing/1", Value: []byte(`{"n":1}`), ETag: "e1"},
		{Key: "name/a", Value: []byte(`"1"`), IfAbsent: true},
		{Key: "thing/0", Delete: true, ETag: "e0"},
		{Key: "things/shard/00", Value: []byte(`["1"]`)},
	}, b.Ops())
	assert.Equal(t, []platform.Event{ev}, b.Events())
	assert.False(t, b.Committed())
}

func TestBatchFirstErrorSticks(t *testing.T) {
	bad := errors.New("first")
	cases := []struct {
		name string
		fail func(b *platform.Batch)
		want error
	}{
		{"Set of an unencodable value", func(b *platform.Batch) { b.Set("k", func() {}, "", false) }, nil},
		{"Add with an error", func(b *platform.Batch) { b.Add(nil, bad) }, bad},
		{"Emit with an error", func(b *platform.Batch) { b.Emit(platform.NewEvent("s", "t", "x", time.Now(), func() {})) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b platform.Batch
			b.Set("before", 1, "", false)
			tc.fail(&b)
			require.Error(t, b.Err())
			if tc.want != nil {
				assert.ErrorIs(t, b.Err(), tc.want)
			}
			first := b.Err()
			b.Set("after", 2, "", false)
			b.Delete("after", "")
			b.Add([]platform.Op{{Key: "after"}}, errors.New("second"))
			b.Emit(testEvent(t, "after"), nil)
			assert.Equal(t, first, b.Err(), "the first error sticks")
			assert.Len(t, b.Ops(), 1, "additions after the error are ignored")
			assert.Empty(t, b.Events())

			f := newOutboxFixture()
			assert.Equal(t, first, f.box.Commit(context.Background(), &b))
			assert.Zero(t, f.state.count(), "a failed batch writes nothing")
		})
	}
}

func TestOutboxCommitIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	ev := testEvent(t, "thing.created")
	var b platform.Batch
	b.Set("thing/1", "one", "", true)
	b.Emit(ev, nil)

	require.NoError(t, f.box.Commit(ctx, &b))
	assert.True(t, b.Committed())
	assert.Equal(t, 1, f.state.count(), "data and outbox in one Transact")
	assert.Equal(t, `"one"`, stored(t, f.state, "thing/1"))
	var entry platform.Event
	require.NoError(t, json.Unmarshal([]byte(stored(t, f.state, "outbox/event/"+ev.ID)), &entry))
	assert.Equal(t, ev.ID, entry.ID)
	pending, err := f.box.Pending(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{ev.ID}, pending)
	assert.Zero(t, f.pub.Count(), "Commit does not publish")
	assert.Error(t, f.box.Commit(ctx, &b), "a batch commits once")
}

func TestOutboxCommitConflictWritesNothing(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	require.NoError(t, platform.Set(ctx, f.state, platform.Op{Key: "thing/1", Value: []byte(`"old"`)}))
	var b platform.Batch
	b.Set("thing/1", "new", "stale-etag", false)
	b.Emit(testEvent(t, "thing.changed"), nil)

	err := f.box.Commit(ctx, &b)
	assert.True(t, platform.Is(err, platform.KindConflict), "err: %v", err)
	assert.False(t, b.Committed())
	assert.Equal(t, `"old"`, stored(t, f.state, "thing/1"))
	pending, err := f.box.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)
}

func TestOutboxCommitEmptyBatchWritesNothing(t *testing.T) {
	f := newOutboxFixture()
	var b platform.Batch
	require.NoError(t, f.box.Commit(context.Background(), &b))
	assert.True(t, b.Committed())
	assert.Zero(t, f.state.count())
}

func TestOutboxWritePublishesAfterCommit(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	ev := testEvent(t, "thing.created")
	calls := 0
	err := f.box.Write(ctx, 5, func(b *platform.Batch) error {
		calls++
		b.Set("thing/1", "one", "", true)
		b.Emit(ev, nil)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, `"one"`, stored(t, f.state, "thing/1"))
	assert.Equal(t, []platform.Event{ev}, f.pub.Events())
	pending, err := f.box.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending, "published events leave the outbox")
	assert.Empty(t, stored(t, f.state, "outbox/event/"+ev.ID))
}

// TestOutboxWriteRunsOnCommitBeforePublishing: the writer's own view is
// updated before any consumer can hear of the change, and only for the
// attempt that committed.
func TestOutboxWriteRunsOnCommitBeforePublishing(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	ev := testEvent(t, "thing.created")
	var hooks []int
	publishedAtHook := -1
	attempt := 0
	err := f.box.Write(ctx, 5, func(b *platform.Batch) error {
		attempt++
		n := attempt
		b.OnCommit(func() { hooks = append(hooks, n); publishedAtHook = len(f.pub.Events()) })
		etag := ""
		if n == 1 {
			etag = "stale" // the first attempt loses a race
		}
		b.Set("thing/1", "one", etag, etag == "")
		b.Emit(ev, nil)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{2}, hooks, "only the attempt that committed runs its hook")
	assert.Equal(t, 0, publishedAtHook, "the hook ran before the event was published")
	assert.Equal(t, []platform.Event{ev}, f.pub.Events())
}

func TestOutboxWriteBuildErrorIsFinal(t *testing.T) {
	for _, kind := range []platform.Kind{platform.KindInvalid, platform.KindConflict} {
		t.Run(string(kind), func(t *testing.T) {
			f := newOutboxFixture()
			want := platform.E(kind, "no", nil)
			calls := 0
			err := f.box.Write(context.Background(), 5, func(b *platform.Batch) error {
				calls++
				b.Set("thing/1", "one", "", true)
				b.Emit(testEvent(t, "thing.created"), nil)
				return want
			})
			assert.Equal(t, want, err)
			assert.Equal(t, 1, calls, "not retried, whatever its kind")
			assert.Zero(t, f.state.count(), "nothing written")
			assert.Zero(t, f.pub.Count(), "nothing published")
		})
	}
}

func TestOutboxWriteRetriesALostRace(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	require.NoError(t, platform.Set(ctx, f.state, platform.Op{Key: "n", Value: []byte(`0`)}))
	calls := 0
	err := f.box.Write(ctx, 5, func(b *platform.Batch) error {
		calls++
		var n int
		etag, err := platform.GetJSON(ctx, f.state, "n", "", &n)
		if err != nil {
			return err
		}
		if calls == 1 { // another writer gets in between
			require.NoError(t, platform.SetJSON(ctx, f.state, "n", 10, "", false))
		}
		b.Set("n", n+1, etag, false)
		b.Emit(testEvent(t, "n.changed"), nil)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.Equal(t, `11`, stored(t, f.state, "n"))
	assert.Equal(t, 1, f.pub.Count(), "only the committed attempt's events are published")
}

func TestOutboxWriteGivesUpAfterAttempts(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	require.NoError(t, platform.Set(ctx, f.state, platform.Op{Key: "n", Value: []byte(`0`)}))
	calls := 0
	err := f.box.Write(ctx, 3, func(b *platform.Batch) error {
		calls++
		b.Set("n", 1, "never-matches", false)
		return nil
	})
	assert.True(t, platform.Is(err, platform.KindConflict), "err: %v", err)
	assert.Equal(t, 3, calls)
	assert.Zero(t, f.pub.Count())
}

func TestOutboxWriteBuildMayCommitAndFail(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	refused := platform.E(platform.KindUnauthenticated, "reused", nil)
	ev := testEvent(t, "family.revoked")
	calls := 0
	err := f.box.Write(ctx, 5, func(b *platform.Batch) error {
		calls++
		b.Set("family/1", "revoked", "", false)
		b.Emit(ev, nil)
		if err := f.box.Commit(ctx, b); err != nil {
			return err
		}
		return refused
	})
	assert.Equal(t, refused, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, `"revoked"`, stored(t, f.state, "family/1"), "the write committed inside build stays")
	assert.Equal(t, []platform.Event{ev}, f.pub.Events(), "and its events are published")
}

func TestOutboxWriteRetriesBuildsOwnLostCommit(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	require.NoError(t, platform.Set(ctx, f.state, platform.Op{Key: "family/1", Value: []byte(`"active"`)}))
	calls := 0
	err := f.box.Write(ctx, 5, func(b *platform.Batch) error {
		calls++
		var fam string
		etag, err := platform.GetJSON(ctx, f.state, "family/1", "", &fam)
		if err != nil {
			return err
		}
		if calls == 1 {
			require.NoError(t, platform.SetJSON(ctx, f.state, "family/1", "used", "", false))
		}
		b.Set("family/1", "revoked", etag, false)
		return f.box.Commit(ctx, b)
	})
	require.NoError(t, err)
	assert.Equal(t, 2, calls, "a conflict from build's own Commit is retried")
	assert.Equal(t, `"revoked"`, stored(t, f.state, "family/1"))
}

func TestOutboxKeepsWhatThePublisherRefused(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	f.pub.SetFail(platform.E(platform.KindUnavailable, "broker down", nil))
	ev := testEvent(t, "thing.created")
	require.NoError(t, f.box.Write(ctx, 5, func(b *platform.Batch) error {
		b.Set("thing/1", "one", "", true)
		b.Emit(ev, nil)
		return nil
	}), "the write succeeds although publishing failed")
	pending, err := f.box.Pending(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{ev.ID}, pending)

	n, err := f.box.Flush(ctx)
	assert.True(t, platform.Is(err, platform.KindUnavailable), "err: %v", err)
	assert.Zero(t, n)

	f.pub.SetFail(nil)
	replica := platform.NewOutbox(f.state, f.pub, nil) // e.g. after a restart
	n, err = replica.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.Len(t, f.pub.Events(), 1)
	assert.Equal(t, ev.ID, f.pub.Events()[0].ID, "the event keeps its id")

	n, err = replica.Flush(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left")
}

func TestOutboxFlushForgetsStaleMembers(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture()
	ev := testEvent(t, "thing.created")
	var b platform.Batch
	b.Emit(ev, nil)
	require.NoError(t, f.box.Commit(ctx, &b))
	require.NoError(t, platform.Set(ctx, f.state, platform.Op{Key: "outbox/event/" + ev.ID, Delete: true}))

	n, err := f.box.Flush(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Zero(t, f.pub.Count())
	pending, err := f.box.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, pending)
}

func TestOutboxRunFlushesUntilCanceled(t *testing.T) {
	f := newOutboxFixture()
	var b platform.Batch
	b.Emit(testEvent(t, "thing.created"), nil)
	require.NoError(t, f.box.Commit(context.Background(), &b))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.box.Run(ctx, 0) }() // 0: the default interval
	require.Eventually(t, func() bool { return f.pub.Count() == 1 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
