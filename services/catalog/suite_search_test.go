package catalog_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
)

// searchTitles returns the titles of the first page of hits for q.
func searchTitles(t *testing.T, api catalog.API, q string, f catalog.VideoFilter) []string {
	t.Helper()
	resp, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: q, Filter: f, Page: catalog.Page{First: catalog.MaxPageSize}})
	require.NoError(t, err)
	return titles(resp.Page.Videos)
}

func testSearch(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	api := newAPI(t)
	movies, series := mustCategory(t, api, "Movies"), mustCategory(t, api, "Series")
	scifi, drama := mustGenre(t, api, "Sci-Fi"), mustGenre(t, api, "Drama")
	star := mustCast(t, api, "Matthew McConaughey", catalog.CastActor)
	video := func(title, desc string, year int, cat catalog.Category, g catalog.Genre, cast []string, tags ...string) catalog.Video {
		in := input(title)
		in.Description, in.ReleaseYear, in.Tags, in.CastIDs = desc, year, tags, cast
		in.CategoryIDs, in.GenreIDs = []string{cat.ID}, []string{g.ID}
		return mustVideo(t, api, in, true)
	}
	interstellar := video("Interstellar", "Explorers travel through a wormhole near Saturn.", 2014, movies, scifi, []string{star.ID}, "space")
	video("Run Lola Run", "A woman has twenty minutes to find money.", 1998, movies, drama, nil)
	video("La luz del día", "Una historia de verano.", 2005, movies, drama, nil)
	video("O Animal Cordial", "Um restaurante em São Paulo.", 2017, series, drama, nil)
	video("Neon City", "Streets at night.", 2020, series, scifi, nil, "cyberpunk")
	video("Wormhole", "A short documentary.", 2020, series, scifi, nil)
	hidden := video("Hidden Wormhole", "Not published.", 2020, series, scifi, nil)
	_, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: hidden.ID, Published: false})
	require.NoError(t, err)

	cases := []struct {
		name, query string
		want        []string
	}{
		{"exact title", "interstellar", []string{"Interstellar"}},
		{"English stemming", "running", []string{"Run Lola Run"}},
		{"Spanish stemming", "luces", []string{"La luz del día"}},
		{"Portuguese stemming", "animais", []string{"O Animal Cordial"}},
		{"typo", "intersteller", []string{"Interstellar"}},
		{"typo in a short word", "nein city", []string{"Neon City"}},
		{"prefix as you type", "inter", []string{"Interstellar"}},
		{"prefix of the last word", "lola ru", []string{"Run Lola Run"}},
		{"cast name", "mcconaughey", []string{"Interstellar"}},
		{"global tag", "cyberpunk", []string{"Neon City"}},
		{"description", "saturn", []string{"Interstellar"}},
		{"title ranks above description", "wormhole", []string{"Wormhole", "Interstellar"}},
		{"no match", "zebra", []string{}},
		{"only stop words", "the", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, searchTitles(t, api, tc.query, catalog.VideoFilter{}))
		})
	}

	t.Run("admins find unpublished videos", func(t *testing.T) {
		resp, err := api.Search(ctx, catalog.SearchRequest{Caller: admin, Query: "wormhole"})
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"Wormhole", "Hidden Wormhole", "Interstellar"}, titles(resp.Page.Videos))
	})

	t.Run("filters", func(t *testing.T) {
		assert.Equal(t, []string{"Wormhole"}, searchTitles(t, api, "wormhole", catalog.VideoFilter{CategoryID: series.ID}))
		assert.Equal(t, []string{"Interstellar"}, searchTitles(t, api, "wormhole", catalog.VideoFilter{Year: 2014}))
		assert.Equal(t, []string{"Interstellar"}, searchTitles(t, api, "wormhole", catalog.VideoFilter{CastMemberID: star.ID}))
		assert.Empty(t, searchTitles(t, api, "wormhole", catalog.VideoFilter{GenreID: drama.ID}))
		assert.Empty(t, searchTitles(t, api, "wormhole", catalog.VideoFilter{AgeRating: catalog.RatingNC17}))
	})

	t.Run("cast rename is indexed", func(t *testing.T) {
		_, err := api.UpdateCastMember(ctx, catalog.UpdateCastMemberRequest{Caller: admin, ID: star.ID, Name: ptr("Matt Damon")})
		require.NoError(t, err)
		assert.Equal(t, []string{"Interstellar"}, searchTitles(t, api, "damon", catalog.VideoFilter{}))
		assert.Empty(t, searchTitles(t, api, "mcconaughey", catalog.VideoFilter{}))
	})

	t.Run("changes are searchable at once", func(t *testing.T) {
		_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: interstellar.ID, Patch: catalog.VideoPatch{Tags: &[]string{"black hole"}}})
		require.NoError(t, err)
		assert.Equal(t, []string{"Interstellar"}, searchTitles(t, api, "black hole", catalog.VideoFilter{}))
		assert.Empty(t, searchTitles(t, api, "space", catalog.VideoFilter{}))
	})

	t.Run("facets count all hits", func(t *testing.T) {
		resp, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "wormhole night", Page: catalog.Page{First: 1}})
		require.NoError(t, err)
		require.Equal(t, 3, resp.Page.TotalCount)
		require.Len(t, resp.Page.Videos, 1)
		assert.Equal(t, catalog.Facets{
			Categories: []catalog.FacetValue{{Value: series.ID, Count: 2}, {Value: movies.ID, Count: 1}},
			Genres:     []catalog.FacetValue{{Value: scifi.ID, Count: 3}},
			Years:      []catalog.FacetValue{{Value: "2020", Count: 2}, {Value: "2014", Count: 1}},
		}, resp.Facets)
	})

	t.Run("deleted videos leave the index", func(t *testing.T) {
		v := video("Ephemeral Comet", "", 2001, movies, drama, nil)
		assert.Equal(t, []string{"Ephemeral Comet"}, searchTitles(t, api, "comet", catalog.VideoFilter{}))
		_, err := api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: v.ID})
		require.NoError(t, err)
		assert.Empty(t, searchTitles(t, api, "comet", catalog.VideoFilter{}))
	})

	t.Run("pages through all hits", func(t *testing.T) {
		api := newAPI(t)
		for i := range 7 {
			mustVideo(t, api, input(fmt.Sprintf("Galaxy %d", i)), true)
		}
		seen := map[string]bool{}
		req := catalog.SearchRequest{Caller: viewer, Query: "galaxy", Page: catalog.Page{First: 3}}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			resp, err := api.Search(ctx, req)
			require.NoError(t, err)
			require.Equal(t, 7, resp.Page.TotalCount)
			for _, v := range resp.Page.Videos {
				require.False(t, seen[v.ID], "duplicate %s", v.Title)
				seen[v.ID] = true
			}
			if !resp.Page.HasNextPage {
				break
			}
			req.Page.After = resp.Page.Cursors[len(resp.Page.Cursors)-1]
		}
		assert.Len(t, seen, 7)
	})
}
