package catalog_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

func addTags(t *testing.T, api catalog.API, c platform.Caller, videoID string, tags ...string) []string {
	t.Helper()
	resp, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: c, VideoID: videoID, Tags: tags})
	require.NoError(t, err)
	return resp.Tags
}

func byTags(t *testing.T, api catalog.API, c platform.Caller, all bool, tags ...string) []string {
	t.Helper()
	resp, err := api.VideosByTags(ctx, catalog.VideosByTagsRequest{Caller: c, Tags: tags, MatchAll: all})
	require.NoError(t, err)
	return titles(resp.Videos)
}

func testTags(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	t.Run("add, match any or all, remove", func(t *testing.T) {
		api := newAPI(t)
		a := mustVideo(t, api, input("Alien"), true)
		b := mustVideo(t, api, input("Brazil"), true)
		c := mustVideo(t, api, input("Casablanca"), true)

		assert.Equal(t, []string{"favorite", "scary"}, addTags(t, api, viewer, a.ID, "Scary", " favorite "))
		assert.Equal(t, []string{"favorite", "scary"}, addTags(t, api, viewer, a.ID, "scary"), "adding again changes nothing")
		addTags(t, api, viewer, b.ID, "favorite", "weird")
		addTags(t, api, viewer, c.ID, "classic")

		assert.Equal(t, []string{"Alien", "Brazil"}, byTags(t, api, viewer, false, "favorite"))
		assert.Equal(t, []string{"Alien", "Brazil", "Casablanca"}, byTags(t, api, viewer, false, "scary", "weird", "CLASSIC"))
		assert.Equal(t, []string{"Alien"}, byTags(t, api, viewer, true, "favorite", "scary"))
		assert.Equal(t, []string{}, byTags(t, api, viewer, true, "classic", "weird"))

		resp, err := api.RemoveTags(ctx, catalog.RemoveTagsRequest{Caller: viewer, VideoID: a.ID, Tags: []string{"FAVORITE", "unknown"}})
		require.NoError(t, err)
		assert.Equal(t, []string{"scary"}, resp.Tags)
		assert.Equal(t, []string{"Brazil"}, byTags(t, api, viewer, false, "favorite"))
		resp, err = api.RemoveTags(ctx, catalog.RemoveTagsRequest{Caller: viewer, VideoID: a.ID, Tags: []string{"scary"}})
		require.NoError(t, err)
		assert.Equal(t, []string{}, resp.Tags)

		ut, err := api.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer, VideoIDs: []string{a.ID, b.ID, c.ID}})
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{b.ID: {"favorite", "weird"}, c.ID: {"classic"}}, ut.Tags)
	})

	t.Run("tags are private to each user", func(t *testing.T) {
		api := newAPI(t)
		v := mustVideo(t, api, input("Solaris"), true)
		addTags(t, api, viewer, v.ID, "slow")
		addTags(t, api, viewer2, v.ID, "masterpiece")
		assert.Equal(t, []string{"Solaris"}, byTags(t, api, viewer, false, "slow"))
		assert.Equal(t, []string{}, byTags(t, api, viewer, false, "masterpiece"))
		assert.Equal(t, []string{}, byTags(t, api, viewer2, false, "slow"))
		ut, err := api.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer2, VideoIDs: []string{v.ID}})
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{v.ID: {"masterpiece"}}, ut.Tags)
		found, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "masterpiece"})
		require.NoError(t, err)
		assert.Empty(t, found.Page.Videos, "user tags are not in the global index")
	})

	t.Run("hidden and deleted videos drop out", func(t *testing.T) {
		api := newAPI(t)
		keep := mustVideo(t, api, input("Keep"), true)
		gone := mustVideo(t, api, input("Gone"), true)
		hide := mustVideo(t, api, input("Hide"), true)
		for _, v := range []catalog.Video{keep, gone, hide} {
			addTags(t, api, viewer, v.ID, "mine")
		}
		_, err := api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: gone.ID})
		require.NoError(t, err)
		_, err = api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: hide.ID, Published: false})
		require.NoError(t, err)
		assert.Equal(t, []string{"Keep"}, byTags(t, api, viewer, false, "mine"))
		ut, err := api.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer, VideoIDs: []string{keep.ID, gone.ID, hide.ID}})
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{keep.ID: {"mine"}}, ut.Tags)
		// A write prunes the deleted video from the user's document.
		addTags(t, api, viewer, keep.ID, "more")
		_, err = api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: hide.ID, Published: true})
		require.NoError(t, err)
		assert.Equal(t, []string{"Hide", "Keep"}, byTags(t, api, viewer, false, "mine"))
	})

	t.Run("at most MaxTagsPerVideo per video", func(t *testing.T) {
		api := newAPI(t)
		v := mustVideo(t, api, input("Tagged"), true)
		for batch := range catalog.MaxTagsPerVideo / catalog.MaxTagsPerRequest {
			var tags []string
			for i := range catalog.MaxTagsPerRequest {
				tags = append(tags, fmt.Sprintf("t%03d", batch*catalog.MaxTagsPerRequest+i))
			}
			addTags(t, api, viewer, v.ID, tags...)
		}
		var tags []string
		for i := range catalog.MaxTagsPerVideo % catalog.MaxTagsPerRequest {
			tags = append(tags, fmt.Sprintf("u%03d", i))
		}
		assert.Len(t, addTags(t, api, viewer, v.ID, tags...), catalog.MaxTagsPerVideo)
		_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: v.ID, Tags: []string{"one-more"}})
		requireKind(t, err, platform.KindInvalid, "at most 50 of your tags")
	})
}
