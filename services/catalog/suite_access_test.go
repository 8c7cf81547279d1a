package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

func testAdminOnly(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	api := newAPI(t)
	f := newFixture(t, api)
	calls := []struct {
		name string
		call func(c platform.Caller) error
	}{
		{"CreateCategory", func(c platform.Caller) error {
			_, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: c, Name: "New"})
			return err
		}},
		{"UpdateCategory", func(c platform.Caller) error {
			_, err := api.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: c, ID: f.cat.ID, Name: ptr("New")})
			return err
		}},
		{"DeleteCategory", func(c platform.Caller) error {
			_, err := api.DeleteCategory(ctx, catalog.DeleteCategoryRequest{Caller: c, ID: f.cat.ID})
			return err
		}},
		{"CreateGenre", func(c platform.Caller) error {
			_, err := api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: c, Name: "New"})
			return err
		}},
		{"UpdateGenre", func(c platform.Caller) error {
			_, err := api.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: c, ID: f.genre.ID, Name: "New"})
			return err
		}},
		{"DeleteGenre", func(c platform.Caller) error {
			_, err := api.DeleteGenre(ctx, catalog.DeleteGenreRequest{Caller: c, ID: f.genre.ID})
			return err
		}},
		{"CreateCastMember", func(c platform.Caller) error {
			_, err := api.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: c, Name: "New", Type: catalog.CastActor})
			return err
		}},
		{"UpdateCastMember", func(c platform.Caller) error {
			_, err := api.UpdateCastMember(ctx, catalog.UpdateCastMemberRequest{Caller: c, ID: f.cast.ID, Name: ptr("New")})
			return err
		}},
		{"DeleteCastMember", func(c platform.Caller) error {
			_, err := api.DeleteCastMember(ctx, catalog.DeleteCastMemberRequest{Caller: c, ID: f.cast.ID})
			return err
		}},
		{"CreateVideo", func(c platform.Caller) error {
			_, err := api.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: c, Input: input("New")})
			return err
		}},
		{"UpdateVideo", func(c platform.Caller) error {
			_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: c, ID: f.video.ID, Patch: catalog.VideoPatch{Title: ptr("New")}})
			return err
		}},
		{"PublishVideo", func(c platform.Caller) error {
			_, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: c, ID: f.video.ID})
			return err
		}},
		{"DeleteVideo", func(c platform.Caller) error {
			_, err := api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: c, ID: f.video.ID})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			requireKind(t, c.call(viewer), platform.KindForbidden, "admin role required")
			requireKind(t, c.call(anon), platform.KindUnauthenticated, "sign in required")
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		got, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: f.video.ID})
		require.NoError(t, err)
		require.Equal(t, f.video, got.Video)
		cats, err := api.ListCategories(ctx, catalog.ListCategoriesRequest{})
		require.NoError(t, err)
		require.Equal(t, []catalog.Category{f.cat}, cats.Categories)
	})

	t.Run("tags need a signed-in user", func(t *testing.T) {
		_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: anon, VideoID: f.video.ID, Tags: []string{"x"}})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = api.RemoveTags(ctx, catalog.RemoveTagsRequest{Caller: anon, VideoID: f.video.ID, Tags: []string{"x"}})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = api.UserTags(ctx, catalog.UserTagsRequest{Caller: anon, VideoIDs: []string{f.video.ID}})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
		_, err = api.VideosByTags(ctx, catalog.VideosByTagsRequest{Caller: anon, Tags: []string{"x"}})
		requireKind(t, err, platform.KindUnauthenticated, "sign in required")
	})
}
