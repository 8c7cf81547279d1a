package bff_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/catalog"
)

// staleLimit is the bound: a stale read may not outlive the event
// that announced the change by more than this.
const staleLimit = time.Second

func TestCacheSubscriptionOnlyWithATTL(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		want []string
	}{
		{"no cache by default", 0, []string{bff.SubscriptionRevocations, bff.SubscriptionMedia}},
		{"a TTL adds the cache's", 30 * time.Second, []string{bff.SubscriptionRevocations, bff.SubscriptionCatalogCache, bff.SubscriptionMedia}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{cfg: bff.Config{CacheTTL: tt.ttl}})
			var names []string
			for _, sub := range s.server.Subscriptions() {
				names = append(names, sub.Name)
				assert.True(t, sub.Broadcast, "%s reaches every replica", sub.Name)
			}
			assert.Equal(t, tt.want, names)
		})
	}
}

// TestCachedReadIsFreshWithinASecond reads a video through the BFF's cache,
// changes it in the catalog directly (bypassing the cache), and polls the
// BFF until it shows the change: catalog's event must drop the entry well
// before the TTL, within staleLimit of the write's acknowledgement.
func TestCachedReadIsFreshWithinASecond(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{CacheTTL: time.Minute}})
	const query = `query($id: ID!) { video(id: $id) { title } }`
	vars := map[string]any{"id": s.fixture.video}
	title := func() string {
		res := s.do(t, "", query, vars)
		require.Empty(t, res.Errors, res.String())
		var v struct{ Title string }
		require.NoError(t, json.Unmarshal(res.Data["video"], &v))
		return v.Title
	}

	require.Equal(t, "The Fixture Movie", title())
	s.calls.reset()
	require.Equal(t, "The Fixture Movie", title())
	require.Zero(t, s.calls.reset()[catalog.MethodGetVideo], "the second read is a cache hit")

	renamed := unique("Renamed")
	_, err := s.catalog.UpdateVideo(context.Background(), catalog.UpdateVideoRequest{
		Caller: s.adminCaller(), ID: s.fixture.video, Patch: catalog.VideoPatch{Title: &renamed},
	})
	require.NoError(t, err)
	acked := time.Now()

	deadline := time.NewTimer(staleLimit)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	stale := 0
	for title() != renamed {
		stale++
		select {
		case <-deadline.C:
			t.Fatalf("still stale %v after the update was acknowledged", time.Since(acked))
		case <-tick.C:
		}
	}
	fresh := time.Since(acked)
	t.Logf("fresh %v after the update was acknowledged, after %d stale reads", fresh, stale)
	assert.Less(t, fresh, staleLimit)

	// And cached again.
	s.calls.reset()
	require.Equal(t, renamed, title())
	assert.Zero(t, s.calls.reset()[catalog.MethodGetVideo], "the fresh video is cached again")
}
