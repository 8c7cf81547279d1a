package catalog_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// browseCatalog is a catalog with varied fields for listing tests.
type browseCatalog struct {
	cats, genres, cast []string
	videos             []catalog.Video // as the admin sees them
}

func newBrowseCatalog(t *testing.T, api catalog.API) browseCatalog {
	t.Helper()
	var bc browseCatalog
	for i := range 2 {
		bc.cats = append(bc.cats, mustCategory(t, api, fmt.Sprintf("Cat %d", i)).ID)
		bc.genres = append(bc.genres, mustGenre(t, api, fmt.Sprintf("Genre %d", i)).ID)
		bc.cast = append(bc.cast, mustCast(t, api, fmt.Sprintf("Cast %d", i), catalog.CastActor).ID)
	}
	ratings := []catalog.AgeRating{catalog.RatingG, catalog.RatingPG, catalog.RatingR}
	words := []string{"alpha", "Bravo", "charlie", "Delta", "echo", "alpha"}
	for i := range 22 {
		in := input(fmt.Sprintf("%s %02d", words[i%len(words)], (i*7)%22))
		if i%5 == 0 {
			in.Title = strings.ToUpper(in.Title)
		}
		in.ReleaseYear = 1990 + i%4
		in.AgeRating = ratings[i%3]
		in.CategoryIDs = []string{bc.cats[i%2]}
		in.GenreIDs = bc.genres[:1+i%2]
		in.CastIDs = []string{bc.cast[(i/2)%2]}
		bc.videos = append(bc.videos, mustVideo(t, api, in, i%6 != 5))
	}
	return bc
}

// expect returns the ids the listing should yield, in order.
func (bc browseCatalog) expect(f catalog.VideoFilter, o catalog.VideoOrder, c platform.Caller) []string {
	var out []catalog.Video
	for _, v := range bc.videos {
		if (c.IsAdmin() || v.Published) &&
			(f.CategoryID == "" || slices.Contains(v.CategoryIDs, f.CategoryID)) &&
			(f.GenreID == "" || slices.Contains(v.GenreIDs, f.GenreID)) &&
			(f.CastMemberID == "" || slices.Contains(v.CastIDs, f.CastMemberID)) &&
			(f.Year == 0 || v.ReleaseYear == f.Year) &&
			(f.AgeRating == "" || v.AgeRating == f.AgeRating) {
			out = append(out, v)
		}
	}
	desc := o.Descending || o.Field == ""
	slices.SortFunc(out, func(a, b catalog.Video) int {
		var c int
		switch o.Field {
		case catalog.OrderTitle:
			c = strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
		case catalog.OrderReleaseYear:
			c = cmp.Compare(a.ReleaseYear, b.ReleaseYear)
		default:
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		c = cmp.Or(c, strings.Compare(a.ID, b.ID))
		if desc {
			return -c
		}
		return c
	})
	return ids(out)
}

// walk lists every page and returns the ids in order, checking the page
// bookkeeping on the way.
func walk(t *testing.T, api catalog.API, req catalog.ListVideosRequest, want int) []string {
	t.Helper()
	got := []string{}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100, "pagination does not end")
		resp, err := api.ListVideos(ctx, req)
		require.NoError(t, err)
		p := resp.Page
		require.Equal(t, want, p.TotalCount)
		require.Len(t, p.Cursors, len(p.Videos))
		got = append(got, ids(p.Videos)...)
		if !p.HasNextPage {
			return got
		}
		require.NotEmpty(t, p.Videos)
		req.Page.After = p.Cursors[len(p.Cursors)-1]
	}
}

func testBrowse(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	api := newAPI(t)
	bc := newBrowseCatalog(t, api)
	filters := map[string]catalog.VideoFilter{
		"none":          {},
		"category":      {CategoryID: bc.cats[0]},
		"genre":         {GenreID: bc.genres[1]},
		"cast":          {CastMemberID: bc.cast[1]},
		"year":          {Year: 1992},
		"rating":        {AgeRating: catalog.RatingPG},
		"genre+cast":    {GenreID: bc.genres[1], CastMemberID: bc.cast[0]},
		"matches none":  {Year: 1800},
		"unknown genre": {GenreID: "0190b7d2-0000-7000-8000-000000000000"},
	}
	orders := []catalog.VideoOrder{
		{}, {Field: catalog.OrderTitle}, {Field: catalog.OrderTitle, Descending: true},
		{Field: catalog.OrderReleaseYear}, {Field: catalog.OrderReleaseYear, Descending: true},
		{Field: catalog.OrderCreatedAt}, {Field: catalog.OrderCreatedAt, Descending: true},
	}
	for fname, f := range filters {
		for _, o := range orders {
			for _, c := range []platform.Caller{viewer, admin} {
				t.Run(fmt.Sprintf("%s/%s-%v/%s", fname, o.Field, o.Descending, c.Role), func(t *testing.T) {
					want := bc.expect(f, o, c)
					for _, size := range []int{0, 1, 4, 7} {
						req := catalog.ListVideosRequest{Caller: c, Filter: f, Order: o, Page: catalog.Page{First: size}}
						got := walk(t, api, req, len(want))
						require.Equal(t, want, got, "page size %d", size)
					}
				})
			}
		}
	}

	t.Run("default page size", func(t *testing.T) {
		resp, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: admin})
		require.NoError(t, err)
		assert.Len(t, resp.Page.Videos, catalog.DefaultPageSize)
		assert.True(t, resp.Page.HasNextPage)
	})

	t.Run("cursor of another order", func(t *testing.T) {
		resp, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: admin, Page: catalog.Page{First: 1}})
		require.NoError(t, err)
		_, err = api.ListVideos(ctx, catalog.ListVideosRequest{Caller: admin, Order: catalog.VideoOrder{Field: catalog.OrderTitle}, Page: catalog.Page{After: resp.Page.Cursors[0]}})
		requireKind(t, err, platform.KindInvalid, "cursor belongs to a different order")
	})

	t.Run("stable under inserts", func(t *testing.T) {
		api := newAPI(t)
		var before []string
		for i := range 6 {
			before = append(before, mustVideo(t, api, input(fmt.Sprintf("m%02d", i)), true).ID)
		}
		req := catalog.ListVideosRequest{Caller: viewer, Order: catalog.VideoOrder{Field: catalog.OrderTitle}, Page: catalog.Page{First: 3}}
		first, err := api.ListVideos(ctx, req)
		require.NoError(t, err)
		early := mustVideo(t, api, input("a first"), true)
		late := mustVideo(t, api, input("z last"), true)
		req.Page.After = first.Page.Cursors[2]
		rest := walk(t, api, req, 8)
		got := append(ids(first.Page.Videos), rest...)
		assert.Equal(t, append(before, late.ID), got)
		assert.NotContains(t, got, early.ID)
	})
}
