package catalog_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// fixture is a small catalog that validation cases refer to.
type fixture struct {
	cat   catalog.Category
	genre catalog.Genre
	cast  catalog.CastMember
	video catalog.Video
}

func newFixture(t *testing.T, api catalog.API) fixture {
	t.Helper()
	f := fixture{cat: mustCategory(t, api, "Movies"), genre: mustGenre(t, api, "Drama"), cast: mustCast(t, api, "Ana", catalog.CastActor)}
	f.video = mustVideo(t, api, input("Existing"), true)
	return f
}

// withInput returns a CreateVideo call whose valid input is changed by edit.
func withInput(edit func(in *catalog.VideoInput, f fixture)) func(catalog.API, fixture) error {
	return func(api catalog.API, f fixture) error {
		in := input("Valid")
		edit(&in, f)
		_, err := api.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: admin, Input: in})
		return err
	}
}

func testValidation(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	unknown := uuid.NewString()
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("tag%d", i)
		}
		return out
	}
	cases := []struct {
		name string
		call func(catalog.API, fixture) error
		kind platform.Kind
		msg  string
	}{
		{"empty title", withInput(func(in *catalog.VideoInput, _ fixture) { in.Title = "  " }), platform.KindInvalid, "title is required"},
		{"overlong title", withInput(func(in *catalog.VideoInput, _ fixture) { in.Title = strings.Repeat("é", catalog.MaxTitleLen+1) }), platform.KindInvalid, "title must be at most 200 characters"},
		{"control char in title", withInput(func(in *catalog.VideoInput, _ fixture) { in.Title = "a\x07b" }), platform.KindInvalid, "title must not contain control characters"},
		{"overlong description", withInput(func(in *catalog.VideoInput, _ fixture) {
			in.Description = strings.Repeat("x", catalog.MaxDescriptionLen+1)
		}), platform.KindInvalid, "description must be at most"},
		{"year too early", withInput(func(in *catalog.VideoInput, _ fixture) { in.ReleaseYear = 1887 }), platform.KindInvalid, "release year must be between 1888 and 2030"},
		{"year too late", withInput(func(in *catalog.VideoInput, _ fixture) { in.ReleaseYear = 2031 }), platform.KindInvalid, "release year must be between"},
		{"negative duration", withInput(func(in *catalog.VideoInput, _ fixture) { in.DurationSeconds = -1 }), platform.KindInvalid, "duration must not be negative"},
		{"bad rating", withInput(func(in *catalog.VideoInput, _ fixture) { in.AgeRating = "X" }), platform.KindInvalid, `age rating "X"`},
		{"unknown category", withInput(func(in *catalog.VideoInput, f fixture) { in.CategoryIDs = []string{f.cat.ID, unknown} }), platform.KindInvalid, fmt.Sprintf("unknown category %q", unknown)},
		{"unknown genre", withInput(func(in *catalog.VideoInput, _ fixture) { in.GenreIDs = []string{unknown} }), platform.KindInvalid, fmt.Sprintf("unknown genre %q", unknown)},
		{"unknown cast member", withInput(func(in *catalog.VideoInput, _ fixture) { in.CastIDs = []string{unknown} }), platform.KindInvalid, fmt.Sprintf("unknown cast member %q", unknown)},
		{"category id of a genre", withInput(func(in *catalog.VideoInput, f fixture) { in.CategoryIDs = []string{f.genre.ID} }), platform.KindInvalid, "unknown category"},
		{"malformed reference", withInput(func(in *catalog.VideoInput, _ fixture) { in.CategoryIDs = []string{"12"} }), platform.KindInvalid, `malformed id "12"`},
		{"bad tag", withInput(func(in *catalog.VideoInput, _ fixture) { in.Tags = []string{"a_b"} }), platform.KindInvalid, "may contain only letters"},
		{"too many video tags", withInput(func(in *catalog.VideoInput, _ fixture) { in.Tags = many(catalog.MaxTagsPerVideo + 1) }), platform.KindInvalid, "at most 50 tags"},
		{"update malformed id", func(api catalog.API, _ fixture) error {
			_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: "abc", Patch: catalog.VideoPatch{Title: ptr("x")}})
			return err
		}, platform.KindInvalid, `malformed id "abc"`},
		{"update unknown id", func(api catalog.API, _ fixture) error {
			_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: unknown, Patch: catalog.VideoPatch{Title: ptr("x")}})
			return err
		}, platform.KindNotFound, "video not found"},
		{"update empty title", func(api catalog.API, f fixture) error {
			_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: f.video.ID, Patch: catalog.VideoPatch{Title: ptr("")}})
			return err
		}, platform.KindInvalid, "title is required"},
		{"update unknown genre", func(api catalog.API, f fixture) error {
			_, err := api.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: f.video.ID, Patch: catalog.VideoPatch{GenreIDs: &[]string{unknown}}})
			return err
		}, platform.KindInvalid, "unknown genre"},
		{"get malformed id", func(api catalog.API, _ fixture) error {
			_, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: "not-a-uuid"})
			return err
		}, platform.KindInvalid, "malformed id"},
		{"get unknown id", func(api catalog.API, _ fixture) error {
			_, err := api.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: unknown})
			return err
		}, platform.KindNotFound, "video not found"},
		{"get videos malformed id", func(api catalog.API, f fixture) error {
			_, err := api.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer, IDs: []string{f.video.ID, "x"}})
			return err
		}, platform.KindInvalid, "malformed id"},
		{"delete unknown video", func(api catalog.API, _ fixture) error {
			_, err := api.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: unknown})
			return err
		}, platform.KindNotFound, "video not found"},
		{"publish malformed id", func(api catalog.API, _ fixture) error {
			_, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: "1", Published: true})
			return err
		}, platform.KindInvalid, "malformed id"},
		{"empty category name", func(api catalog.API, _ fixture) error {
			_, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: ""})
			return err
		}, platform.KindInvalid, "name is required"},
		{"overlong genre name", func(api catalog.API, _ fixture) error {
			_, err := api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: admin, Name: strings.Repeat("g", catalog.MaxNameLen+1)})
			return err
		}, platform.KindInvalid, "name must be at most 120 characters"},
		{"bad cast type", func(api catalog.API, _ fixture) error {
			_, err := api.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: admin, Name: "Bo", Type: "EXTRA"})
			return err
		}, platform.KindInvalid, `cast type "EXTRA"`},
		{"update unknown category", func(api catalog.API, _ fixture) error {
			_, err := api.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: admin, ID: unknown, Name: ptr("x")})
			return err
		}, platform.KindNotFound, "category not found"},
		{"update malformed category", func(api catalog.API, _ fixture) error {
			_, err := api.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: admin, ID: "x", Name: ptr("x")})
			return err
		}, platform.KindInvalid, "malformed id"},
		{"update unknown genre entity", func(api catalog.API, _ fixture) error {
			_, err := api.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: admin, ID: unknown, Name: "x"})
			return err
		}, platform.KindNotFound, "genre not found"},
		{"delete unknown cast member", func(api catalog.API, _ fixture) error {
			_, err := api.DeleteCastMember(ctx, catalog.DeleteCastMemberRequest{Caller: admin, ID: unknown})
			return err
		}, platform.KindNotFound, "cast member not found"},
		{"negative page size", func(api catalog.API, _ fixture) error {
			_, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Page: catalog.Page{First: -1}})
			return err
		}, platform.KindInvalid, "page size must be between 1 and 100"},
		{"page too large", func(api catalog.API, _ fixture) error {
			_, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Page: catalog.Page{First: catalog.MaxPageSize + 1}})
			return err
		}, platform.KindInvalid, "page size"},
		{"malformed list cursor", func(api catalog.API, _ fixture) error {
			_, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Page: catalog.Page{After: "%%%"}})
			return err
		}, platform.KindInvalid, "malformed cursor"},
		{"unknown order", func(api catalog.API, _ fixture) error {
			_, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Order: catalog.VideoOrder{Field: "LENGTH"}})
			return err
		}, platform.KindInvalid, `order field "LENGTH"`},
		{"malformed filter id", func(api catalog.API, _ fixture) error {
			_, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: viewer, Filter: catalog.VideoFilter{GenreID: "g"}})
			return err
		}, platform.KindInvalid, "malformed id"},
		{"bad filter rating", func(api catalog.API, _ fixture) error {
			_, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "x", Filter: catalog.VideoFilter{AgeRating: "XXX"}})
			return err
		}, platform.KindInvalid, "age rating"},
		{"empty query", func(api catalog.API, _ fixture) error {
			_, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "   "})
			return err
		}, platform.KindInvalid, "query is required"},
		{"overlong query", func(api catalog.API, _ fixture) error {
			_, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: strings.Repeat("q", catalog.MaxQueryLen+1)})
			return err
		}, platform.KindInvalid, "query must be at most 200 characters"},
		{"malformed search cursor", func(api catalog.API, _ fixture) error {
			_, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "x", Page: catalog.Page{After: "bm9wZQ"}})
			return err
		}, platform.KindInvalid, "malformed cursor"},
		{"empty name search", func(api catalog.API, _ fixture) error {
			_, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: viewer, Name: " "})
			return err
		}, platform.KindInvalid, "name is required"},
		{"no tags to add", func(api catalog.API, f fixture) error {
			_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: f.video.ID})
			return err
		}, platform.KindInvalid, "at least one tag is required"},
		{"too many tags per request", func(api catalog.API, f fixture) error {
			_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: f.video.ID, Tags: many(catalog.MaxTagsPerRequest + 1)})
			return err
		}, platform.KindInvalid, "at most 20 tags"},
		{"overlong tag", func(api catalog.API, f fixture) error {
			_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: f.video.ID, Tags: []string{strings.Repeat("t", catalog.MaxTagLen+1)}})
			return err
		}, platform.KindInvalid, "longer than 40 characters"},
		{"tag of unknown video", func(api catalog.API, _ fixture) error {
			_, err := api.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: unknown, Tags: []string{"x"}})
			return err
		}, platform.KindNotFound, "video not found"},
		{"no tags to match", func(api catalog.API, _ fixture) error {
			_, err := api.VideosByTags(ctx, catalog.VideosByTagsRequest{Caller: viewer})
			return err
		}, platform.KindInvalid, "at least one tag is required"},
		{"user tags malformed id", func(api catalog.API, _ fixture) error {
			_, err := api.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer, VideoIDs: []string{"z"}})
			return err
		}, platform.KindInvalid, "malformed id"},
	}
	api := newAPI(t)
	f := newFixture(t, api)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireKind(t, tc.call(api, f), tc.kind, tc.msg)
		})
	}

	t.Run("accepts the bounds and normalizes", func(t *testing.T) {
		in := input("  " + strings.Repeat("é", catalog.MaxTitleLen) + "  ")
		in.ReleaseYear, in.DurationSeconds = testClockStart.Year()+5, 0
		in.Tags = []string{"  Sci-Fi ", "sci-fi", "Space  Opera", "ÉPICO"}
		in.CategoryIDs = []string{f.cat.ID, strings.ToUpper(f.cat.ID)}
		v := mustVideo(t, api, in, false)
		assert.Equal(t, strings.Repeat("é", catalog.MaxTitleLen), v.Title)
		assert.Equal(t, []string{"sci-fi", "space opera", "épico"}, v.Tags)
		assert.Equal(t, []string{f.cat.ID}, v.CategoryIDs)
		assert.Equal(t, []string{}, v.GenreIDs)
		assert.Equal(t, catalog.StatusDraft, v.Status)
		assert.False(t, v.Published)
		assert.Equal(t, int64(1), v.Version)
		u, err := uuid.Parse(v.ID)
		require.NoError(t, err)
		assert.Equal(t, uuid.Version(7), u.Version())
	})
}
