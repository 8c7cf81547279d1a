package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

func TestGenerate(t *testing.T) {
	const n = 300
	state := openState(t, t.TempDir())
	g, err := catalog.Generate(ctx, state, n, 7)
	require.NoError(t, err)

	t.Run("the same seed writes the same catalog", func(t *testing.T) {
		again, err := catalog.Generate(ctx, openState(t, t.TempDir()), n, 7)
		require.NoError(t, err)
		assert.Equal(t, g, again)
		other, err := catalog.Generate(ctx, openState(t, t.TempDir()), n, 8)
		require.NoError(t, err)
		assert.NotEqual(t, g.Videos[0].Title+g.Videos[0].Description, other.Videos[0].Title+other.Videos[0].Description)
	})

	svc := newService(t, state, &platformtest.Recorder{})
	t.Run("a replica loads every video", func(t *testing.T) {
		resp, err := svc.ListVideos(ctx, catalog.ListVideosRequest{Caller: admin})
		require.NoError(t, err)
		assert.Equal(t, n, resp.Page.TotalCount)
		got, err := svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: g.Videos[0].ID})
		require.NoError(t, err)
		assert.Equal(t, g.Videos[0].Video, got.Video)
	})

	t.Run("search finds a video by its cast and its words", func(t *testing.T) {
		var v catalog.GeneratedVideo
		for _, gv := range g.Videos {
			if gv.Published {
				v = gv
				break
			}
		}
		require.NotEmpty(t, v.CastNames)
		for _, q := range []string{v.Title, v.CastNames[0] + " " + v.Title} {
			resp, err := svc.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: q, Page: catalog.Page{First: catalog.MaxPageSize}})
			require.NoError(t, err)
			assert.Contains(t, ids(resp.Page.Videos), v.ID, "query %q", q)
		}
	})

	t.Run("names are claimed as the service claims them", func(t *testing.T) {
		_, err := svc.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: "movies"})
		assert.True(t, platform.Is(err, platform.KindConflict), "got %v", err)
	})
}

func TestLongTailWordsAreDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := range catalog.LongTailSize {
		w := catalog.LongTailWord(i)
		if j, ok := seen[w]; ok {
			t.Fatalf("LongTailWord(%d) = LongTailWord(%d) = %q", i, j, w)
		}
		seen[w] = i
	}
}
