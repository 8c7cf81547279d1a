package subscription_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

func testStreams(t *testing.T, newFixture factory) {
	ttl := 60 * time.Second
	f := newFixture(t, subscription.Config{StreamTTL: ttl})
	in := planInput("Duo", 999, 0, 2)
	in.MaxResolution = 720
	plan := f.mustPlan(t, in)

	t.Run("no subscription", func(t *testing.T) {
		_, err := f.startStream(viewer, "v1")
		requireCode(t, err, platform.KindForbidden, subscription.CodeSubscriptionRequired)
		assert.Equal(t, "an active subscription is required to play", platform.PublicMessage(err))
		_, err = f.startStream(anon, "v1")
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
	})

	f.mustSubscribe(t, viewer, plan, cardOK)
	start := func(video string) error {
		t.Helper()
		resp, err := f.startStream(viewer, video)
		if err == nil {
			assert.Equal(t, 720, resp.MaxResolution)
			assert.Equal(t, 2, resp.MaxStreams)
			requireTime(t, f.clock.Now().Add(ttl), resp.LiveUntil, "live until")
		}
		return err
	}
	t.Run("the plan's streams and no more", func(t *testing.T) {
		require.NoError(t, start("v1"))
		require.NoError(t, start("v2"))
		err := start("v3")
		requireCode(t, err, platform.KindConflict, subscription.CodeStreamLimitReached)
		assert.Contains(t, platform.PublicMessage(err), "already playing 2 streams, the most your plan allows")
		require.NoError(t, start("v1"), "a live video starts again")
	})
	t.Run("progress keeps a stream live, others lapse", func(t *testing.T) {
		f.clock.Advance(ttl / 2)
		_, err := f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: viewer, VideoID: "v2", PositionSeconds: 30, DurationSeconds: 600})
		require.NoError(t, err)
		f.clock.Advance(ttl/2 + time.Second) // v1 lapses, v2 was seen ttl/2+1s ago
		require.NoError(t, start("v3"))
		requireCode(t, start("v4"), platform.KindConflict, subscription.CodeStreamLimitReached)
		f.clock.Advance(ttl)
		require.NoError(t, start("v4"))
		require.NoError(t, start("v5"))
	})
	t.Run("progress does not revive a lapsed stream", func(t *testing.T) {
		f.clock.Advance(2 * ttl)
		_, err := f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: viewer, VideoID: "v4", PositionSeconds: 40, DurationSeconds: 600})
		require.NoError(t, err)
		require.NoError(t, start("v6"))
		require.NoError(t, start("v7"))
	})
	t.Run("admins always play, without limits", func(t *testing.T) {
		for _, v := range []string{"a1", "a2", "a3", "a4"} {
			resp, err := f.startStream(admin, v)
			require.NoError(t, err)
			assert.Zero(t, resp.MaxResolution)
			assert.Zero(t, resp.MaxStreams)
		}
	})
	t.Run("streams are per viewer", func(t *testing.T) {
		f.mustSubscribe(t, viewer2, plan, cardOK)
		for _, v := range []string{"v6", "v7"} {
			_, err := f.startStream(viewer2, v)
			require.NoError(t, err)
		}
	})
	t.Run("malformed video id", func(t *testing.T) {
		_, err := f.startStream(viewer, "a/b")
		requireKind(t, err, platform.KindInvalid, "invalid video id")
		_, err = f.startStream(viewer, "")
		requireKind(t, err, platform.KindInvalid, "invalid video id")
	})
}

func testHistory(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{HistoryLimit: 5})
	record := func(video string, pos, dur float64) subscription.Progress {
		t.Helper()
		f.clock.Advance(time.Minute)
		resp, err := f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: viewer, VideoID: video, PositionSeconds: pos, DurationSeconds: dur})
		require.NoError(t, err)
		return resp.Progress
	}
	ids := func(items []subscription.Progress) []string {
		var out []string
		for _, p := range items {
			out = append(out, p.VideoID)
		}
		return out
	}
	continueWatching := func(first int) []string {
		t.Helper()
		resp, err := f.api.ContinueWatching(ctx, subscription.ContinueWatchingRequest{Caller: viewer, First: first})
		require.NoError(t, err)
		return ids(resp.Items)
	}

	record("v1", 10, 100)
	record("v2", 50, 100)
	p := record("v3", 95, 100)
	assert.True(t, p.Finished, "95% is finished")

	record("v4", 0, 100) // opened, not started
	record("v1", 20, 100)
	assert.Equal(t, []string{"v1", "v2"}, continueWatching(0), "unfinished, started, most recent first")
	assert.Equal(t, []string{"v1"}, continueWatching(1))

	record("v2", 99, 100)
	assert.Equal(t, []string{"v1"}, continueWatching(0), "a finished video leaves")
	record("v2", 5, 100)
	assert.Equal(t, []string{"v2", "v1"}, continueWatching(0), "watching again brings it back")

	t.Run("history pages, most recent first", func(t *testing.T) {
		var got []string
		after := ""
		for {
			resp, err := f.api.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: viewer, First: 2, After: after})
			require.NoError(t, err)
			assert.Equal(t, 4, resp.TotalCount)
			got = append(got, ids(resp.Items)...)
			if !resp.HasNext {
				break
			}
			after = resp.EndCursor
		}
		assert.Equal(t, []string{"v2", "v1", "v4", "v3"}, got)
	})
	t.Run("a cursor survives a video moving to the front", func(t *testing.T) {
		first, err := f.api.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: viewer, First: 2})
		require.NoError(t, err)
		record("v3", 10, 100)
		rest, err := f.api.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: viewer, First: 10, After: first.EndCursor})
		require.NoError(t, err)
		assert.Equal(t, []string{"v4"}, ids(rest.Items))
	})
	t.Run("the oldest entries beyond the limit are dropped", func(t *testing.T) {
		record("v5", 1, 100)
		record("v6", 1, 100)
		resp, err := f.api.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, []string{"v6", "v5", "v3", "v2", "v1"}, ids(resp.Items))
	})
	t.Run("validation", func(t *testing.T) {
		for _, req := range []subscription.RecordProgressRequest{
			{Caller: viewer, VideoID: "v1", PositionSeconds: -1, DurationSeconds: 100},
			{Caller: viewer, VideoID: "v1", PositionSeconds: 1, DurationSeconds: -5},
			{Caller: viewer, VideoID: "", PositionSeconds: 1, DurationSeconds: 100},
		} {
			_, err := f.api.RecordProgress(ctx, req)
			requireKind(t, err, platform.KindInvalid, "")
		}
		_, err := f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: anon, VideoID: "v1"})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = f.api.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: viewer, After: "bm9wZQ"})
		requireKind(t, err, platform.KindInvalid, "malformed cursor")
	})
	t.Run("history is per viewer", func(t *testing.T) {
		resp, err := f.api.ContinueWatching(ctx, subscription.ContinueWatchingRequest{Caller: viewer2})
		require.NoError(t, err)
		assert.Empty(t, resp.Items)
	})
}

func testProgressPastTheEnd(t *testing.T, newFixture factory) {
	f := newFixture(t, subscription.Config{})
	resp, err := f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: viewer, VideoID: "v9", PositionSeconds: 1e308, DurationSeconds: 100})
	require.NoError(t, err)
	assert.Equal(t, 100.0, resp.Progress.PositionSeconds, "a position past the known duration is kept at the end")
	assert.True(t, resp.Progress.Finished)
	resp, err = f.api.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: viewer, VideoID: "v8", PositionSeconds: 7200})
	require.NoError(t, err)
	assert.Equal(t, 7200.0, resp.Progress.PositionSeconds, "without a duration the position is kept as sent")
}
