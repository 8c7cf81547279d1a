package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// handler returns the service's handler of the subscription named name.
func handler(t *testing.T, svc *catalog.Service, name string) platform.Handler {
	t.Helper()
	for _, sub := range svc.Subscriptions() {
		if sub.Name == name {
			return sub.Handle
		}
	}
	t.Fatalf("no subscription %q", name)
	return nil
}

func decode[T any](t *testing.T, ev platform.Event) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(ev.Data, &v))
	return v
}

func TestSubscriptions(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	subs := svc.Subscriptions()
	require.Len(t, subs, 3)
	assert.Equal(t, catalog.Topic, subs[0].Topic)
	assert.True(t, subs[0].Broadcast, "every replica keeps its projection current")
	assert.Equal(t, auth.Topic, subs[1].Topic)
	assert.False(t, subs[1].Broadcast)
	assert.Equal(t, encoder.Topic, subs[2].Topic)
	assert.False(t, subs[2].Broadcast, "one replica records each media fact")
}

func TestEventsCarryVersions(t *testing.T) {
	rec := &platformtest.Recorder{}
	svc := newService(t, openState(t, t.TempDir()), rec)
	g := mustGenre(t, svc, "Drama")
	v := mustVideo(t, svc, input("Versioned"), true)
	_, err := svc.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID, Patch: catalog.VideoPatch{GenreIDs: &[]string{g.ID}}})
	require.NoError(t, err)
	_, err = svc.DeleteGenre(ctx, catalog.DeleteGenreRequest{Caller: admin, ID: g.ID})
	require.NoError(t, err)
	addTags(t, svc, viewer, v.ID, "mine")
	_, err = svc.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: v.ID})
	require.NoError(t, err)

	var versions []int64
	for _, ev := range rec.OfType(catalog.EventVideoChanged) {
		versions = append(versions, decode[catalog.VideoChanged](t, ev).Video.Version)
	}
	assert.Equal(t, []int64{1, 2, 3, 4}, versions, "create, publish, genre added, genre deleted")
	deleted := rec.OfType(catalog.EventVideoDeleted)
	require.Len(t, deleted, 1)
	assert.Equal(t, catalog.VideoDeleted{VideoID: v.ID, Version: 5}, decode[catalog.VideoDeleted](t, deleted[0]))
	tax := rec.OfType(catalog.EventTaxonomyChanged)
	require.Len(t, tax, 2)
	assert.Equal(t, catalog.TaxonomyChanged{Kind: "genre", ID: g.ID, Deleted: true}, decode[catalog.TaxonomyChanged](t, tax[1]))
	tags := rec.OfType(catalog.EventTagsChanged)
	require.Len(t, tags, 1)
	assert.Equal(t, catalog.TagsChanged{UserID: viewer.UserID, VideoID: v.ID, Tags: []string{"mine"}}, decode[catalog.TagsChanged](t, tags[0]))

	seen := map[string]bool{}
	for _, ev := range rec.Events() {
		assert.Equal(t, catalog.Source, ev.Source)
		assert.Equal(t, catalog.Topic, ev.Topic)
		assert.False(t, seen[ev.ID], "event ids are unique")
		seen[ev.ID] = true
	}
	n, err := svc.FlushOutbox(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "published events leave the outbox")
}

func TestOutboxRelaysEventsPublishLost(t *testing.T) {
	pub := &platformtest.Recorder{}
	pub.SetFail(platform.E(platform.KindUnavailable, "broker down", nil))
	svc := newService(t, openState(t, t.TempDir()), pub)
	v := mustVideo(t, svc, input("Kept"), false)
	assert.Empty(t, pub.OfType(catalog.EventVideoChanged), "the write succeeds without the broker")
	pub.SetFail(nil)
	n, err := svc.FlushOutbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	changed := pub.OfType(catalog.EventVideoChanged)
	require.Len(t, changed, 1)
	assert.Equal(t, v, decode[catalog.VideoChanged](t, changed[0]).Video)
}

// event builds a catalog event with payload.
func event(t *testing.T, typ string, payload any) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent(catalog.Source, catalog.Topic, typ, testClockStart, payload)
	require.NoError(t, err)
	return ev
}

func TestProjectionIgnoresDuplicateAndLateEvents(t *testing.T) {
	state := openState(t, t.TempDir())
	rec := &platformtest.Recorder{}
	writer := newService(t, state, rec)
	replica := newService(t, state, &platformtest.Recorder{})
	apply := handler(t, replica, catalog.SubscriptionProjection)

	v := mustVideo(t, writer, input("Original"), true) // versions 1 and 2
	up, err := writer.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID, Patch: catalog.VideoPatch{Title: ptr("Renamed")}})
	require.NoError(t, err)
	events := rec.OfType(catalog.EventVideoChanged)
	require.Len(t, events, 3)

	get := func() (catalog.Video, error) {
		resp, err := replica.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
		return resp.Video, err
	}
	for _, i := range []int{2, 0, 1, 2, 0} { // newest first, then late and duplicated ones
		require.NoError(t, apply(ctx, events[i]))
		got, err := get()
		require.NoError(t, err)
		require.Equal(t, up.Video, got)
	}
	names, err := replica.VideosByName(ctx, catalog.VideosByNameRequest{Caller: viewer, Name: "original"})
	require.NoError(t, err)
	assert.Empty(t, names.Videos, "a late event does not bring back the old title")

	_, err = writer.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: v.ID})
	require.NoError(t, err)
	del := rec.OfType(catalog.EventVideoDeleted)[0]
	require.NoError(t, apply(ctx, del))
	require.NoError(t, apply(ctx, del))
	require.NoError(t, apply(ctx, events[2]), "a change older than the deletion")
	_, err = get()
	requireKind(t, err, platform.KindNotFound, "video not found")
	found, err := replica.Search(ctx, catalog.SearchRequest{Caller: admin, Query: "renamed"})
	require.NoError(t, err)
	assert.Empty(t, found.Page.Videos)

	t.Run("a replica started after the deletion", func(t *testing.T) {
		late := newService(t, state, &platformtest.Recorder{})
		require.NoError(t, handler(t, late, catalog.SubscriptionProjection)(ctx, events[2]))
		_, err := late.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
		requireKind(t, err, platform.KindNotFound, "video not found")
	})

	t.Run("undecodable events are dropped", func(t *testing.T) {
		bad := event(t, catalog.EventVideoChanged, "not a video")
		assert.True(t, platform.IsDrop(apply(ctx, bad)))
		bad = event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "planet", ID: v.ID})
		assert.True(t, platform.IsDrop(apply(ctx, bad)))
		require.NoError(t, apply(ctx, event(t, "video.future", map[string]int{})), "unknown types are acknowledged")
	})
}

func TestUserDeletedDropsTags(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	v := mustVideo(t, svc, input("Tagged"), true)
	addTags(t, svc, viewer, v.ID, "mine")
	addTags(t, svc, viewer2, v.ID, "theirs")
	handle := handler(t, svc, catalog.SubscriptionUserDeleted)

	other, err := platform.NewEvent(auth.Source, auth.Topic, auth.EventRoleChanged, testClockStart, auth.RoleChanged{UserID: viewer.UserID, Role: "ADMIN"})
	require.NoError(t, err)
	require.NoError(t, handle(ctx, other))
	assert.Equal(t, []string{"Tagged"}, byTags(t, svc, viewer, false, "mine"))

	ev, err := platform.NewEvent(auth.Source, auth.Topic, auth.EventUserDeleted, testClockStart, auth.UserDeleted{UserID: viewer.UserID})
	require.NoError(t, err)
	require.NoError(t, handle(ctx, ev))
	require.NoError(t, handle(ctx, ev), "a duplicate is harmless")
	assert.Equal(t, []string{}, byTags(t, svc, viewer, false, "mine"))
	assert.Equal(t, []string{"Tagged"}, byTags(t, svc, viewer2, false, "theirs"), "other users keep theirs")

	bad, err := platform.NewEvent(auth.Source, auth.Topic, auth.EventUserDeleted, testClockStart, auth.UserDeleted{})
	require.NoError(t, err)
	assert.True(t, platform.IsDrop(handle(ctx, bad)))
}
