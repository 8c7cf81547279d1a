package catalog

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// inboundTypes are the types a fuzzed event of another service gets,
// picked by a byte, with the subscription it goes to: media facts to
// SubscriptionMedia, user facts to SubscriptionUserDeleted.
var inboundTypes = []struct {
	typ  string
	user bool
}{
	{encoder.EventUploadCompleted, false}, {encoder.EventEncodingProgress, false},
	{encoder.EventEncodingCompleted, false}, {encoder.EventEncodingFailed, false},
	{EventVideoChanged, false}, {auth.EventUserDeleted, true}, {auth.EventUserRegistered, true},
}

// FuzzInboundEvent feeds catalog's consumers of other services' topics two
// arbitrary events about a fresh video (@V) and a user who tagged it (@U).
// A payload that does not decode, names a malformed video or no user is
// dropped to the dead letters, never retried, and changes nothing; an event
// about another video (or no video) changes nothing and publishes nothing;
// a user.deleted deletes exactly that user's tags. After each event the
// video's status follows its media, the media's percent stays within
// 0..100, a READY media is never undone by its own late progress or
// failure, and the projection serves what the state holds. Handling the
// second event again writes and publishes nothing.
func FuzzInboundEvent(f *testing.F) {
	w := newFuzzWorld(f)
	a, b := "@A", "@B"
	up := func(media string) []byte {
		return platformtest.SeedJSON(f, encoder.UploadCompleted{VideoID: "@V", MediaID: media, SourceKey: "media/" + media + "/source", Size: 9, Filename: "a.mp4"})
	}
	progress := func(media string, pct float64) []byte {
		return platformtest.SeedJSON(f, encoder.EncodingProgress{VideoID: "@V", MediaID: media, Percent: pct})
	}
	done := platformtest.SeedJSON(f, encoder.EncodingCompleted{VideoID: "@V", MediaID: a, Result: encoder.Result{DurationSeconds: 12.4, Width: 640, Height: 360,
		Renditions: []encoder.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 800_000, Codecs: "avc1.4d401e"}}}})
	failed := platformtest.SeedJSON(f, encoder.EncodingFailed{VideoID: "@V", MediaID: a, Reason: "no video stream"})
	for _, seed := range []struct {
		p1 uint8
		d1 []byte
		p2 uint8
		d2 []byte
	}{
		{0, up(a), 1, progress(a, 40)},
		{1, progress(a, 60), 0, up(a)},
		{2, done, 1, progress(a, 99)},
		{2, done, 3, failed},
		{3, failed, 2, done},
		{0, up(a), 0, up(b)},
		{1, progress(b, 250), 2, platformtest.SeedJSON(f, encoder.EncodingCompleted{VideoID: "@V", MediaID: b})},
		{1, progress(a, -5), 3, platformtest.SeedJSON(f, encoder.EncodingFailed{VideoID: "00000000-0000-0000-0000-000000000000", MediaID: a})},
		{0, platformtest.SeedJSON(f, encoder.UploadCompleted{VideoID: "not-an-id", MediaID: a}), 4, up(a)},
		{5, platformtest.SeedJSON(f, auth.UserDeleted{UserID: "@U"}), 5, platformtest.SeedJSON(f, auth.UserDeleted{UserID: "someone-else"})},
		{5, platformtest.SeedJSON(f, auth.UserDeleted{}), 6, platformtest.SeedJSON(f, auth.UserDeleted{UserID: "@U"})},
		{0, []byte(`{`), 5, []byte(`[]`)},
		{2, []byte(`{"videoId":"@V","mediaId":"@A","result":{"renditions":[]}}`), 2, []byte(`null`)},
	} {
		f.Add(seed.p1, seed.d1, seed.p2, seed.d2)
	}
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, pick1 uint8, data1 []byte, pick2 uint8, data2 []byte) {
		v, user, data := w.fresh(t, data1, data2)
		e1 := inboundEvent(pick1, data[0], t0)
		e2 := inboundEvent(pick2, data[1], t0.Add(time.Second))
		w.checkInbound(t, v, user, e1)
		w.checkInbound(t, v, user, e2)

		stored, tags, writes, published := w.stored(t, v.ID), w.tags(t, user, v), w.state.Writes(), len(w.pub.Events())
		err := w.inbound(e2)
		requireDroppedOrNil(t, err)
		sameVideo(t, stored, w.stored(t, v.ID))
		require.Equal(t, tags, w.tags(t, user, v))
		require.Equal(t, writes, w.state.Writes(), "a redelivered %s event wrote again", e2.Type)
		require.Len(t, w.pub.Events(), published, "a redelivered %s event published again", e2.Type)
	})
}

func inboundEvent(pick uint8, data []byte, at time.Time) platform.Event {
	in := inboundTypes[int(pick)%len(inboundTypes)]
	topic := encoder.Topic
	if in.user {
		topic = auth.Topic
	}
	return platform.Event{ID: "e-" + at.Format(time.RFC3339), Type: in.typ, Source: "fuzz", Topic: topic, Time: at, Data: data}
}

// inbound hands ev to the subscription of its topic.
func (w *fuzzWorld) inbound(ev platform.Event) error {
	if ev.Topic == auth.Topic {
		return w.svc.handleUserEvent(context.Background(), ev)
	}
	return w.svc.handleMediaEvent(context.Background(), ev)
}

func requireDroppedOrNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		requireDropped(t, err)
	}
}

// checkInbound handles ev and checks what it did to v and user's tags.
func (w *fuzzWorld) checkInbound(t *testing.T, v Video, user string, ev platform.Event) {
	t.Helper()
	before, tags, published := w.stored(t, v.ID), w.tags(t, user, v), len(w.pub.Events())
	err := w.inbound(ev)
	videoID, userID, usable := inboundTarget(ev)
	after := w.stored(t, v.ID)
	switch {
	case !usable:
		require.Error(t, err, "%s event %q", ev.Type, ev.Data)
		requireDropped(t, err)
		sameVideo(t, before, after)
		require.Equal(t, tags, w.tags(t, user, v))
		require.Len(t, w.pub.Events(), published)
		return
	case ev.Topic == auth.Topic:
		require.NoError(t, err)
		sameVideo(t, before, after)
		if userID == user {
			require.Empty(t, w.tags(t, user, v), "a deleted user's tags are deleted")
		} else {
			require.Equal(t, tags, w.tags(t, user, v), "another user's deletion took these tags")
		}
		return
	}
	require.NoError(t, err)
	if videoID != v.ID {
		sameVideo(t, before, after)
		require.Len(t, w.pub.Events(), published, "an event about another video published")
	}
	projected, err := w.svc.GetVideo(context.Background(), GetVideoRequest{Caller: fuzzAdmin, ID: v.ID})
	require.NoError(t, err)
	sameVideo(t, after, projected.Video)
	requireMediaInvariants(t, before, after, ev)
}

// inboundTarget is the canonical video id and the user id ev names, and
// whether its subscription can use it at all.
func inboundTarget(ev platform.Event) (videoID, userID string, usable bool) {
	var p struct {
		VideoID string `json:"videoId"`
		UserID  string `json:"userId"`
	}
	switch ev.Type {
	case encoder.EventUploadCompleted, encoder.EventEncodingProgress, encoder.EventEncodingCompleted, encoder.EventEncodingFailed:
		if !decodes(ev) || json.Unmarshal(ev.Data, &p) != nil {
			return "", "", false
		}
		c := canonical(p.VideoID)
		return c, "", c != ""
	case auth.EventUserDeleted:
		if !decodes(ev) || json.Unmarshal(ev.Data, &p) != nil {
			return "", "", false
		}
		return "", p.UserID, p.UserID != ""
	}
	return "", "", true
}

// decodes reports whether ev's payload decodes as its type's own struct.
func decodes(ev platform.Event) bool {
	var v any
	switch ev.Type {
	case encoder.EventUploadCompleted:
		v = &encoder.UploadCompleted{}
	case encoder.EventEncodingProgress:
		v = &encoder.EncodingProgress{}
	case encoder.EventEncodingCompleted:
		v = &encoder.EncodingCompleted{}
	case encoder.EventEncodingFailed:
		v = &encoder.EncodingFailed{}
	case auth.EventUserDeleted:
		v = &auth.UserDeleted{}
	}
	return json.Unmarshal(ev.Data, v) == nil
}

// requireMediaInvariants checks the media of a video after ev.
func requireMediaInvariants(t *testing.T, before, after Video, ev platform.Event) {
	t.Helper()
	m := after.Media
	if m == nil {
		require.Equal(t, before.Status, after.Status, "a video without media keeps its status")
		return
	}
	want := map[MediaStatus]VideoStatus{MediaReady: StatusReady, MediaFailed: StatusFailed}[m.Status]
	if want == "" {
		want = StatusProcessing
	}
	require.Equal(t, want, after.Status, "the video's status follows its media's %s", m.Status)
	require.GreaterOrEqual(t, m.Percent, 0.0)
	require.LessOrEqual(t, m.Percent, 100.0)
	var p struct {
		MediaID string `json:"mediaId"`
	}
	_ = json.Unmarshal(ev.Data, &p)
	late := ev.Type == encoder.EventEncodingProgress || ev.Type == encoder.EventEncodingFailed
	if b := before.Media; b != nil && b.Status == MediaReady && late && p.MediaID == b.ID {
		require.Equal(t, MediaReady, m.Status, "a late %s undid READY", ev.Type)
		require.Equal(t, b.Renditions, m.Renditions)
	}
}
