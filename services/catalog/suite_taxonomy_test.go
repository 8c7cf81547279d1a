package catalog_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

func ptr[T any](v T) *T { return &v }

func testTaxonomy(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	t.Run("lists by name case-insensitively", func(t *testing.T) {
		api := newAPI(t)
		for _, n := range []string{"drama", "Action", "comedy"} {
			mustGenre(t, api, n)
		}
		resp, err := api.ListGenres(ctx, catalog.ListGenresRequest{})
		require.NoError(t, err)
		var names []string
		for _, g := range resp.Genres {
			names = append(names, g.Name)
			_, err := uuid.Parse(g.ID)
			require.NoError(t, err)
		}
		assert.Equal(t, []string{"Action", "comedy", "drama"}, names)
	})

	t.Run("names are unique per kind case-insensitively", func(t *testing.T) {
		api := newAPI(t)
		mustCategory(t, api, "Movies")
		mustGenre(t, api, "Drama")
		mustCast(t, api, "Ana Torres", catalog.CastActor)
		_, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: "  MOVIES "})
		requireKind(t, err, platform.KindConflict, `a category named "MOVIES" already exists`)
		_, err = api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: admin, Name: "drama"})
		requireKind(t, err, platform.KindConflict, "a genre named")
		_, err = api.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: admin, Name: "ana torres", Type: catalog.CastDirector})
		requireKind(t, err, platform.KindConflict, "a cast member named")
		// The same name in another kind is fine.
		mustGenre(t, api, "Movies")
	})

	t.Run("rename frees the old name and keeps names unique", func(t *testing.T) {
		api := newAPI(t)
		a := mustGenre(t, api, "Action")
		mustGenre(t, api, "Comedy")
		_, err := api.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: admin, ID: a.ID, Name: "comedy"})
		requireKind(t, err, platform.KindConflict, "already exists")
		resp, err := api.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: admin, ID: a.ID, Name: "ACTION"})
		require.NoError(t, err, "a change of case only")
		assert.Equal(t, "ACTION", resp.Genre.Name)
		resp, err = api.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: admin, ID: a.ID, Name: "Adventure"})
		require.NoError(t, err)
		assert.Equal(t, catalog.Genre{ID: a.ID, Name: "Adventure"}, resp.Genre)
		mustGenre(t, api, "action")
	})

	t.Run("update patches only the given fields", func(t *testing.T) {
		api := newAPI(t)
		resp, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: "Series", Description: "episodes"})
		require.NoError(t, err)
		c := resp.Category
		up, err := api.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: admin, ID: c.ID, Description: ptr("many episodes")})
		require.NoError(t, err)
		assert.Equal(t, catalog.Category{ID: c.ID, Name: "Series", Description: "many episodes"}, up.Category)
		up, err = api.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: admin, ID: c.ID, Name: ptr("Shows")})
		require.NoError(t, err)
		assert.Equal(t, catalog.Category{ID: c.ID, Name: "Shows", Description: "many episodes"}, up.Category)

		m := mustCast(t, api, "Lee Park", catalog.CastActor)
		cu, err := api.UpdateCastMember(ctx, catalog.UpdateCastMemberRequest{Caller: admin, ID: m.ID, Type: ptr(catalog.CastDirector)})
		require.NoError(t, err)
		assert.Equal(t, catalog.CastMember{ID: m.ID, Name: "Lee Park", Type: catalog.CastDirector}, cu.CastMember)
	})

	t.Run("cast members list by type", func(t *testing.T) {
		api := newAPI(t)
		a := mustCast(t, api, "Zoe Actor", catalog.CastActor)
		d := mustCast(t, api, "Ann Director", catalog.CastDirector)
		all, err := api.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
		require.NoError(t, err)
		assert.Equal(t, []catalog.CastMember{d, a}, all.CastMembers)
		actors, err := api.ListCastMembers(ctx, catalog.ListCastMembersRequest{Type: catalog.CastActor})
		require.NoError(t, err)
		assert.Equal(t, []catalog.CastMember{a}, actors.CastMembers)
		_, err = api.ListCastMembers(ctx, catalog.ListCastMembersRequest{Type: "EXTRA"})
		requireKind(t, err, platform.KindInvalid, "cast type")
	})

	t.Run("GetTaxonomy returns known ids in order", func(t *testing.T) {
		api := newAPI(t)
		c1, c2 := mustCategory(t, api, "One"), mustCategory(t, api, "Two")
		g := mustGenre(t, api, "Drama")
		m := mustCast(t, api, "Sam", catalog.CastActor)
		resp, err := api.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{
			CategoryIDs: []string{c2.ID, uuid.NewString(), c1.ID}, GenreIDs: []string{g.ID}, CastMemberIDs: []string{m.ID},
		})
		require.NoError(t, err)
		assert.Equal(t, catalog.GetTaxonomyResponse{
			Categories: []catalog.Category{c2, c1}, Genres: []catalog.Genre{g}, CastMembers: []catalog.CastMember{m},
		}, resp)
		_, err = api.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{GenreIDs: []string{"nope"}})
		requireKind(t, err, platform.KindInvalid, "malformed id")
	})

	t.Run("delete removes the entity from its videos", func(t *testing.T) {
		api := newAPI(t)
		c1, c2 := mustCategory(t, api, "Movies"), mustCategory(t, api, "Kids")
		g := mustGenre(t, api, "Drama")
		m := mustCast(t, api, "Kim", catalog.CastActor)
		in := input("Deleted refs")
		in.CategoryIDs, in.GenreIDs, in.CastIDs = []string{c1.ID, c2.ID}, []string{g.ID}, []string{m.ID}
		v := mustVideo(t, api, in, true)

		_, err := api.DeleteCategory(ctx, catalog.DeleteCategoryRequest{Caller: admin, ID: c1.ID})
		require.NoError(t, err)
		_, err = api.DeleteGenre(ctx, catalog.DeleteGenreRequest{Caller: admin, ID: g.ID})
		require.NoError(t, err)
		_, err = api.DeleteCastMember(ctx, catalog.DeleteCastMemberRequest{Caller: admin, ID: m.ID})
		require.NoError(t, err)

		got, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: v.ID})
		require.NoError(t, err)
		assert.Equal(t, []string{c2.ID}, got.Video.CategoryIDs)
		assert.Empty(t, got.Video.GenreIDs)
		assert.Empty(t, got.Video.CastIDs)
		assert.Equal(t, v.Version+3, got.Video.Version)

		cats, err := api.ListCategories(ctx, catalog.ListCategoriesRequest{})
		require.NoError(t, err)
		assert.Equal(t, []catalog.Category{c2}, cats.Categories)
		list, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Filter: catalog.VideoFilter{CategoryID: c1.ID}})
		require.NoError(t, err)
		assert.Empty(t, list.Page.Videos)

		_, err = api.DeleteCategory(ctx, catalog.DeleteCategoryRequest{Caller: admin, ID: c1.ID})
		requireKind(t, err, platform.KindNotFound, "category not found")
		mustCategory(t, api, "movies") // the name is free again
	})
}
