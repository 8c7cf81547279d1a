package progress_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/progress"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// changed is catalog's video.changed of a video whose media is m.
func changed(t *testing.T, videoID string, m *catalog.Media) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent(catalog.Source, catalog.Topic, catalog.EventVideoChanged, time.Now(), catalog.VideoChanged{Video: catalog.Video{ID: videoID, Media: m}})
	require.NoError(t, err)
	return ev
}

func next(t *testing.T, w *progress.Watcher) progress.Update {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	u, ok := w.Next(ctx)
	require.True(t, ok, "an update within 2s")
	return u
}

func TestHubDeliversLatestPerVideo(t *testing.T) {
	hub := progress.NewHub()
	ctx := context.Background()
	w := hub.Watch("v1")
	other := hub.Watch("v2")
	require.Equal(t, 2, hub.Watchers())

	require.NoError(t, hub.Handle(ctx, changed(t, "v1", nil)), "a video without media says nothing")
	require.NoError(t, hub.Handle(ctx, changed(t, "v1", &catalog.Media{ID: "m1", Status: catalog.MediaPending})))
	assert.Equal(t, progress.Update{VideoID: "v1", MediaID: "m1", Status: catalog.MediaPending}, next(t, w))

	for _, pct := range []float64{10, 30, 20} {
		require.NoError(t, hub.Handle(ctx, changed(t, "v1", &catalog.Media{ID: "m1", Status: catalog.MediaProcessing, Percent: pct})))
	}
	u := next(t, w)
	assert.Equal(t, catalog.MediaProcessing, u.Status)
	assert.InDelta(t, 30, u.Percent, 0.001, "conflated to the highest percent; a late 20 does not go back")

	require.NoError(t, hub.Handle(ctx, changed(t, "v1", &catalog.Media{ID: "m1", Status: catalog.MediaFailed, Reason: "no video stream"})))
	require.NoError(t, hub.Handle(ctx, changed(t, "v1", &catalog.Media{ID: "m1", Status: catalog.MediaProcessing, Percent: 99})))
	u = next(t, w)
	assert.True(t, u.Final())
	assert.Equal(t, "no video stream", u.Reason)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, ok := other.Next(short)
	assert.False(t, ok, "another video's watcher saw nothing")

	require.NoError(t, hub.Handle(ctx, platform.Event{ID: "x", Type: catalog.EventVideoChanged, Data: []byte("{")}), "garbage is ignored")
	w.Close()
	w.Close()
	other.Close()
	assert.Zero(t, hub.Watchers())
}

func TestWatcherSeedYieldsToNewerEvents(t *testing.T) {
	hub := progress.NewHub()
	w := hub.Watch("v1")
	defer w.Close()
	hub.Publish(progress.Update{VideoID: "v1", MediaID: "m1", Status: catalog.MediaProcessing, Percent: 50})
	w.Seed(progress.Update{VideoID: "v1", MediaID: "m1", Status: catalog.MediaPending})
	u := next(t, w)
	assert.Equal(t, catalog.MediaProcessing, u.Status, "the older catalog state does not replace a newer event")

	hub.Publish(progress.Update{VideoID: "v1", MediaID: "m2", Status: catalog.MediaPending})
	assert.Equal(t, "m2", next(t, w).MediaID, "a new upload starts over")
	w.Seed(progress.Update{VideoID: "v1", MediaID: "m1", Status: catalog.MediaReady})
	hub.Publish(progress.Update{VideoID: "v1", MediaID: "m2", Status: catalog.MediaProcessing, Percent: 5})
	assert.Equal(t, "m2", next(t, w).MediaID, "a late seed of the old media is ignored")
}
