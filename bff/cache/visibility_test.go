package cache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// TestOnlyWhatEveryoneSeesIsCached: an unpublished video, a not-found and an
// error are fetched anew every time, with the caller's own request.
func TestOnlyWhatEveryoneSeesIsCached(t *testing.T) {
	tests := []struct {
		name   string
		method string
		read   func(ctx context.Context, c catalog.API, w world) error
		want   platform.Kind // of each read's error, "" for none
	}{
		{"unpublished video as admin", catalog.MethodGetVideo, func(ctx context.Context, c catalog.API, w world) error {
			resp, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: w.draft})
			if err == nil && resp.Video.ID != w.draft {
				err = assert.AnError
			}
			return err
		}, ""},
		{"unpublished video as viewer", catalog.MethodGetVideo, func(ctx context.Context, c catalog.API, w world) error {
			_, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: w.draft})
			return err
		}, platform.KindNotFound},
		{"unknown video", catalog.MethodGetVideo, func(ctx context.Context, c catalog.API, _ world) error {
			_, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: uuid.NewString()})
			return err
		}, platform.KindNotFound},
		{"unpublished among videos", catalog.MethodGetVideos, func(ctx context.Context, c catalog.API, w world) error {
			_, err := c.GetVideos(ctx, catalog.GetVideosRequest{Caller: admin, IDs: []string{w.draft}})
			return err
		}, ""},
		{"unknown taxonomy", catalog.MethodGetTaxonomy, func(ctx context.Context, c catalog.API, _ world) error {
			_, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{GenreIDs: []string{uuid.NewString()}})
			return err
		}, ""},
		{"a refused list", catalog.MethodListCastMembers, func(ctx context.Context, c catalog.API, _ world) error {
			_, err := c.ListCastMembers(ctx, catalog.ListCastMembersRequest{Type: "WRITER"})
			return err
		}, platform.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, w := newCache(t)
			for range 2 {
				err := tt.read(context.Background(), c, w)
				assert.Equal(t, tt.want, platform.KindOf(err), "%v", err)
			}
			assert.Equal(t, 2, f.count(tt.method), "nothing was cached")
		})
	}
}

// TestViewerNeverSeesAnUnpublishedVideo: neither an admin's read nor an
// unpublish the cache has heard of lets a viewer see an unpublished video.
func TestViewerNeverSeesAnUnpublishedVideo(t *testing.T) {
	c, f, w := newCache(t)
	ctx := context.Background()

	_, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: w.draft})
	require.NoError(t, err)
	_, err = c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: w.draft})
	assert.True(t, platform.Is(err, platform.KindNotFound), "after an admin's read: %v", err)
	list, err := c.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer, IDs: []string{w.draft, w.published}})
	require.NoError(t, err)
	assert.Equal(t, []string{w.published}, videoIDs(list.Videos))

	// Published and cached, then unpublished: the event drops it.
	_, err = c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: w.published})
	require.NoError(t, err)
	v := f.setVideo(w.published, func(v *catalog.Video) { v.Published = false })
	deliver(t, c, event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: v}))
	_, err = c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: w.published})
	assert.True(t, platform.Is(err, platform.KindNotFound), "after unpublishing: %v", err)
	list, err = c.GetVideos(ctx, catalog.GetVideosRequest{Caller: anonymous, IDs: []string{w.published}})
	require.NoError(t, err)
	assert.Empty(t, list.Videos)
}

// TestReadsAreCopies: a caller changing what it got changes nobody else's.
func TestReadsAreCopies(t *testing.T) {
	c, _, w := newCache(t)
	ctx := context.Background()
	first, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	first.Video.Tags[0] = "changed"
	first.Video.CategoryIDs[0] = "changed"
	again, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, again.Video.Tags)
	assert.Equal(t, []string{w.category}, again.Video.CategoryIDs)

	cats, err := c.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(t, err)
	cats.Categories[0].Name = "changed"
	cats, err = c.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(t, err)
	assert.Equal(t, "Movies", cats.Categories[0].Name)
}

// TestIDsMatchInAnyCase: catalog accepts its UUIDs in any case and answers
// with the canonical lowercase id; the cache matches them the same way.
func TestIDsMatchInAnyCase(t *testing.T) {
	c, f, w := newCache(t)
	ctx := context.Background()
	_, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	upper := []string{strings.ToUpper(w.published)}
	list, err := c.GetVideos(ctx, catalog.GetVideosRequest{IDs: upper})
	require.NoError(t, err)
	assert.Equal(t, []string{w.published}, videoIDs(list.Videos))
	assert.Zero(t, f.count(catalog.MethodGetVideos), "served from the entry of the canonical id")
}
