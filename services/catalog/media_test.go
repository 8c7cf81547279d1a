package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// mediaEvent builds a media event at the given time.
func mediaEvent(t *testing.T, typ string, at time.Time, payload any) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent("test", encoder.Topic, typ, at, payload)
	require.NoError(t, err)
	return ev
}

func TestMediaStatusFollowsEvents(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	v := mustVideo(t, svc, input("Encoded"), true)
	handle := handler(t, svc, catalog.SubscriptionMedia)
	media := func() *catalog.Media {
		t.Helper()
		got, err := svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
		require.NoError(t, err)
		return got.Video.Media
	}
	idA, idB := strings.Repeat("a", 64), strings.Repeat("b", 64)
	t0 := testClockStart
	upA := mediaEvent(t, encoder.EventUploadCompleted, t0, encoder.UploadCompleted{VideoID: v.ID, MediaID: idA, Filename: "a.mp4", Size: 10})
	progress := func(id string, pct float64) platform.Event {
		return mediaEvent(t, encoder.EventEncodingProgress, t0, encoder.EncodingProgress{VideoID: v.ID, MediaID: id, Percent: pct})
	}

	require.Nil(t, media(), "no upload yet")
	require.NoError(t, handle(ctx, upA))
	require.NoError(t, handle(ctx, upA), "a duplicate changes nothing")
	m := media()
	require.NotNil(t, m)
	assert.Equal(t, catalog.MediaPending, m.Status)
	assert.Equal(t, "a.mp4", m.Filename)

	require.NoError(t, handle(ctx, progress(idA, 40)))
	require.NoError(t, handle(ctx, progress(idA, 25)), "a late progress event does not go back")
	require.NoError(t, handle(ctx, progress(idB, 90)), "another media's progress is not this one's")
	m = media()
	assert.Equal(t, catalog.MediaProcessing, m.Status)
	assert.InDelta(t, 40, m.Percent, 0.01)

	done := mediaEvent(t, encoder.EventEncodingCompleted, t0, encoder.EncodingCompleted{VideoID: v.ID, MediaID: idA, Result: encoder.Result{
		DurationSeconds: 12.4, Width: 1920, Height: 1080, HasAudio: true,
		Renditions: []encoder.Rendition{{Name: "1080p", Width: 1920, Height: 1080, Bandwidth: 5_500_000, Codecs: "avc1.640028,mp4a.40.2", DownloadSize: 99}},
		Findings:   []encoder.Finding{{Check: "black", Start: 0, End: 1.5, Detail: "black frames"}},
	}})
	require.NoError(t, handle(ctx, done))
	require.NoError(t, handle(ctx, progress(idA, 95)), "progress after the outcome changes nothing")
	require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventEncodingFailed, t0, encoder.EncodingFailed{VideoID: v.ID, MediaID: idA, Reason: "late"})))
	got, err := svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: v.ID})
	require.NoError(t, err)
	assert.Equal(t, catalog.StatusReady, got.Video.Status)
	assert.Equal(t, 12, got.Video.DurationSeconds, "the encoded duration replaces the typed one")
	m = got.Video.Media
	assert.Equal(t, catalog.MediaReady, m.Status)
	assert.InDelta(t, 100, m.Percent, 0.01)
	require.Len(t, m.Renditions, 1)
	assert.Equal(t, "avc1.640028,mp4a.40.2", m.Renditions[0].Codecs)
	assert.Equal(t, []catalog.Finding{{Check: "black", Start: 0, End: 1.5, Detail: "black frames"}}, m.Findings)

	// An older upload event does not replace the media; a newer one does,
	// and its failure is recorded with the reason.
	require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventUploadCompleted, t0.Add(-time.Hour), encoder.UploadCompleted{VideoID: v.ID, MediaID: idB})))
	assert.Equal(t, idA, media().ID)
	require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventUploadCompleted, t0.Add(time.Hour), encoder.UploadCompleted{VideoID: v.ID, MediaID: idB})))
	require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventEncodingFailed, t0, encoder.EncodingFailed{VideoID: v.ID, MediaID: idB, Reason: "no video stream"})))
	m = media()
	assert.Equal(t, idB, m.ID)
	assert.Equal(t, catalog.MediaFailed, m.Status)
	assert.Equal(t, "no video stream", m.Reason)
	got, err = svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
	require.NoError(t, err)
	assert.Equal(t, catalog.StatusFailed, got.Video.Status)
}

func TestMediaEventsEdgeCases(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	handle := handler(t, svc, catalog.SubscriptionMedia)
	bad := mediaEvent(t, encoder.EventEncodingProgress, testClockStart, encoder.EncodingProgress{VideoID: "", MediaID: "x"})
	assert.True(t, platform.IsDrop(handle(ctx, bad)), "an event naming no video can never be handled")
	gone := mediaEvent(t, encoder.EventEncodingFailed, testClockStart, encoder.EncodingFailed{VideoID: "00000000-0000-4000-8000-000000000000", MediaID: "x"})
	assert.NoError(t, handle(ctx, gone), "a deleted video's media event is acknowledged")
	other := mediaEvent(t, "something.else", testClockStart, struct{}{})
	assert.NoError(t, handle(ctx, other))
}

// TestMediaEventsLeaveTheSearchIndexAlone: the encoder's events change a
// video's media, not what search matches it by, so catalog records them
// without analyzing the video's document again (bleve's analysis was most of
// an event's cost in make bench); a change of what search sees is indexed.
func TestMediaEventsLeaveTheSearchIndexAlone(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	v := mustVideo(t, svc, input("Nebula Drift"), true)
	handle := handler(t, svc, catalog.SubscriptionMedia)
	before := catalog.IndexWrites(svc)
	id := strings.Repeat("c", 64)
	require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventUploadCompleted, testClockStart, encoder.UploadCompleted{VideoID: v.ID, MediaID: id, Filename: "n.mp4", Size: 10})))
	for _, pct := range []float64{10, 50, 90} {
		require.NoError(t, handle(ctx, mediaEvent(t, encoder.EventEncodingProgress, testClockStart, encoder.EncodingProgress{VideoID: v.ID, MediaID: id, Percent: pct})))
	}
	got, err := svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
	require.NoError(t, err)
	require.NotNil(t, got.Video.Media)
	assert.InDelta(t, 90, got.Video.Media.Percent, 0.01, "the events were recorded")
	assert.Equal(t, before, catalog.IndexWrites(svc), "no document analyzed again")

	title := "Quasar Bloom"
	_, err = svc.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID, Patch: catalog.VideoPatch{Title: &title}})
	require.NoError(t, err)
	assert.Equal(t, before+1, catalog.IndexWrites(svc), "a new title is indexed")
	found, err := svc.Search(ctx, catalog.SearchRequest{Caller: admin, Query: "quasar"})
	require.NoError(t, err)
	assert.Equal(t, []string{v.ID}, ids(found.Page.Videos))
}
