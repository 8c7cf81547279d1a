package auth

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

func TestEventsOnTheRealBus(t *testing.T) {
	bus, err := embedded.OpenBus(filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bus.Close() })
	var mu sync.Mutex
	got := map[string]platform.Event{}
	require.NoError(t, bus.Subscribe(t.Context(), platform.Subscription{
		Topic: Topic, Name: "test",
		Handle: func(_ context.Context, ev platform.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got[ev.Type] = ev
			return nil
		},
	}))
	require.NoError(t, bus.Start(t.Context()))

	f := newFixture(t)
	svc, err := New(Config{Argon2: fastArgon2}, f.state, bus, f.clock.Now, nil)
	require.NoError(t, err)
	root := admin(t, svc)
	v := register(t, svc, "bus@example.com")
	_, err = svc.DeleteUser(t.Context(), DeleteUserRequest{Caller: root, UserID: v.User.ID})
	require.NoError(t, err)

	want := []string{EventUserRegistered, EventUserDeleted, EventTokensRevoked}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, typ := range want {
			if _, ok := got[typ]; !ok {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, UserDeleted{UserID: v.User.ID}, decodeEvent[UserDeleted](t, got[EventUserDeleted]))
	assert.Equal(t, reasonUserDeleted, decodeEvent[TokensRevoked](t, got[EventTokensRevoked]).Reason)
	pending, err := svc.outbox.Pending(t.Context())
	require.NoError(t, err)
	assert.Empty(t, pending, "published events leave the outbox")
}

func TestOutboxKeepsEventsThePublisherRefused(t *testing.T) {
	f := newFixture(t)
	f.pub.SetFail(platform.E(platform.KindUnavailable, "broker down", nil))
	s := register(t, f.svc, "outbox@example.com")
	require.NotEmpty(t, s.AccessToken, "the write succeeds although publishing failed")
	assert.Zero(t, f.pub.Count())
	pending, err := f.svc.outbox.Pending(t.Context())
	require.NoError(t, err)
	require.Len(t, pending, 1)

	n, err := f.svc.FlushOutbox(t.Context())
	requireKind(t, err, platform.KindUnavailable, "")
	assert.Zero(t, n)

	f.pub.SetFail(nil)
	replica := f.newService(t, f.state) // e.g. after a restart
	n, err = replica.FlushOutbox(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	evs := f.pub.OfType(EventUserRegistered)
	require.Len(t, evs, 1)
	assert.Equal(t, pending[0], evs[0].ID, "the event keeps the id it was written with")
	assert.Equal(t, s.User.ID, decodeEvent[UserRegistered](t, evs[0]).User.ID)

	n, err = replica.FlushOutbox(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left")
}

func TestRunFlushesTheOutboxUntilCanceled(t *testing.T) {
	f := newFixture(t)
	f.pub.SetFail(errors.New("broker down"))
	register(t, f.svc, "run@example.com")
	f.pub.SetFail(nil)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	require.Eventually(t, func() bool { return f.pub.Count() == 1 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
