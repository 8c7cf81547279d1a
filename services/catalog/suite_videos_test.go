package catalog_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

func testVideos(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	t.Run("lifecycle with versions", func(t *testing.T) {
		api := newAPI(t)
		c := mustCategory(t, api, "Movies")
		g := mustGenre(t, api, "Drama")
		m := mustCast(t, api, "Ana", catalog.CastActor)
		in := catalog.VideoInput{
			Title: "  The Film ", Description: "A film.\nTwo lines.", ReleaseYear: 1999, DurationSeconds: 7200,
			AgeRating: catalog.RatingR, CategoryIDs: []string{c.ID}, GenreIDs: []string{g.ID}, CastIDs: []string{m.ID}, Tags: []string{"Noir"},
		}
		created, err := api.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: admin, Input: in})
		require.NoError(t, err)
		v := created.Video
		assert.Equal(t, "The Film", v.Title)
		assert.Equal(t, "A film.\nTwo lines.", v.Description)
		assert.Equal(t, []string{"noir"}, v.Tags)
		assert.Equal(t, catalog.StatusDraft, v.Status)
		assert.False(t, v.Published)
		assert.Equal(t, int64(1), v.Version)
		assert.Equal(t, v.CreatedAt, v.UpdatedAt)

		got, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
		require.NoError(t, err)
		assert.Equal(t, v, got.Video)

		renamed, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID, Patch: catalog.VideoPatch{Title: ptr("The Film, Redux")}})
		require.NoError(t, err)
		assert.Equal(t, "The Film, Redux", renamed.Video.Title)
		assert.Equal(t, in.ReleaseYear, renamed.Video.ReleaseYear, "unpatched fields stay")
		assert.Equal(t, int64(2), renamed.Video.Version)
		assert.True(t, renamed.Video.UpdatedAt.After(v.UpdatedAt))
		assert.Equal(t, v.CreatedAt, renamed.Video.CreatedAt)

		same, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID})
		require.NoError(t, err)
		assert.Equal(t, renamed.Video, same.Video, "an empty patch changes nothing")

		pub, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: v.ID, Published: true})
		require.NoError(t, err)
		assert.True(t, pub.Video.Published)
		assert.Equal(t, int64(3), pub.Video.Version)

		cleared, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: v.ID, Patch: catalog.VideoPatch{
			CategoryIDs: &[]string{}, Tags: &[]string{}, AgeRating: ptr(catalog.RatingG), DurationSeconds: ptr(60),
		}})
		require.NoError(t, err)
		assert.Equal(t, []string{}, cleared.Video.CategoryIDs)
		assert.Equal(t, []string{}, cleared.Video.Tags)
		assert.Equal(t, catalog.RatingG, cleared.Video.AgeRating)
		assert.Equal(t, 60, cleared.Video.DurationSeconds)

		_, err = api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: v.ID})
		require.NoError(t, err)
		_, err = api.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
		requireKind(t, err, platform.KindNotFound, "video not found")
		_, err = api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: v.ID})
		requireKind(t, err, platform.KindNotFound, "video not found")
	})

	t.Run("GetVideos keeps request order and leaves out missing and hidden", func(t *testing.T) {
		api := newAPI(t)
		a := mustVideo(t, api, input("A"), true)
		b := mustVideo(t, api, input("B"), true)
		hidden := mustVideo(t, api, input("Hidden"), false)
		resp, err := api.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer, IDs: []string{b.ID, uuid.NewString(), hidden.ID, a.ID}})
		require.NoError(t, err)
		assert.Equal(t, []catalog.Video{b, a}, resp.Videos)
		resp, err = api.GetVideos(ctx, catalog.GetVideosRequest{Caller: admin, IDs: []string{hidden.ID}})
		require.NoError(t, err)
		assert.Equal(t, []catalog.Video{hidden}, resp.Videos)
		resp, err = api.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer})
		require.NoError(t, err)
		assert.Equal(t, []catalog.Video{}, resp.Videos)
	})
}

func testVisibility(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	api := newAPI(t)
	shown := mustVideo(t, api, input("Shown Nebula"), true)
	hidden := mustVideo(t, api, input("Hidden Nebula"), false)

	visibleTo := func(t *testing.T, c platform.Caller) []string {
		t.Helper()
		list, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: c, Order: catalog.VideoOrder{Field: catalog.OrderTitle}})
		require.NoError(t, err)
		require.Equal(t, len(list.Page.Videos), list.Page.TotalCount)
		found, err := api.Search(ctx, catalog.SearchRequest{Caller: c, Query: "nebula"})
		require.NoError(t, err)
		require.ElementsMatch(t, ids(list.Page.Videos), ids(found.Page.Videos), "search sees what listing sees")
		require.Equal(t, len(found.Page.Videos), found.Page.TotalCount)
		named, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: c, Name: "NEBULA"})
		require.NoError(t, err)
		require.Equal(t, ids(list.Page.Videos), ids(named.Videos), "by name sees what listing sees")
		got, err := api.GetVideos(ctx, catalog.GetVideosRequest{Caller: c, IDs: []string{hidden.ID, shown.ID}})
		require.NoError(t, err)
		require.ElementsMatch(t, ids(list.Page.Videos), ids(got.Videos))
		return ids(list.Page.Videos)
	}

	for _, c := range []platform.Caller{viewer, anon} {
		assert.Equal(t, []string{shown.ID}, visibleTo(t, c))
		_, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: c, ID: hidden.ID})
		requireKind(t, err, platform.KindNotFound, "video not found")
	}
	assert.Equal(t, []string{hidden.ID, shown.ID}, visibleTo(t, admin))
	_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: hidden.ID, Tags: []string{"x"}})
	requireKind(t, err, platform.KindNotFound, "video not found")

	_, err = api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: hidden.ID, Published: true})
	require.NoError(t, err)
	_, err = api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: shown.ID, Published: false})
	require.NoError(t, err)
	assert.Equal(t, []string{hidden.ID}, visibleTo(t, viewer), "publish and unpublish take effect at once")
}
