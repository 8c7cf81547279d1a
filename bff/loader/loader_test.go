package loader_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/loader"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// fakeCatalog serves a fixed taxonomy and records the requests.
type fakeCatalog struct {
	mu       sync.Mutex
	taxonomy []catalog.GetTaxonomyRequest
	tags     []catalog.UserTagsRequest
	err      error
}

func (f *fakeCatalog) GetTaxonomy(_ context.Context, req catalog.GetTaxonomyRequest) (catalog.GetTaxonomyResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taxonomy = append(f.taxonomy, req)
	if f.err != nil {
		return catalog.GetTaxonomyResponse{}, f.err
	}
	var resp catalog.GetTaxonomyResponse
	for _, id := range req.CategoryIDs {
		if id != "gone" {
			resp.Categories = append(resp.Categories, catalog.Category{ID: id, Name: "cat " + id})
		}
	}
	for _, id := range req.GenreIDs {
		resp.Genres = append(resp.Genres, catalog.Genre{ID: id, Name: "genre " + id})
	}
	for _, id := range req.CastMemberIDs {
		resp.CastMembers = append(resp.CastMembers, catalog.CastMember{ID: id, Name: "cast " + id, Type: catalog.CastActor})
	}
	return resp, nil
}

func (f *fakeCatalog) UserTags(_ context.Context, req catalog.UserTagsRequest) (catalog.UserTagsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags = append(f.tags, req)
	return catalog.UserTagsResponse{Tags: map[string][]string{"v1": {"mine"}}}, nil
}

func (f *fakeCatalog) calls() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.taxonomy), len(f.tags)
}

var viewer = platform.Caller{UserID: "u1", Role: platform.RoleViewer}

func names[T any](items []*T, name func(*T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func TestCategoriesAndGenresShareOneCall(t *testing.T) {
	fake := &fakeCatalog{}
	l := loader.New(fake, viewer)
	cats, genres, err := l.CategoriesAndGenres(context.Background(), []string{"c2", "gone", "c1", "c2"}, []string{"g1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"cat c2", "cat c1", "cat c2"}, names(cats, func(c *catalog.Category) string { return c.Name }), "order kept, unknown left out")
	assert.Equal(t, []string{"genre g1"}, names(genres, func(g *catalog.Genre) string { return g.Name }))
	require.Len(t, fake.taxonomy, 1)
	assert.ElementsMatch(t, []string{"c1", "c2", "gone"}, fake.taxonomy[0].CategoryIDs, "ids deduplicated")
	assert.Equal(t, []string{"g1"}, fake.taxonomy[0].GenreIDs)

	// Cached: loading again costs nothing; Clear forgets.
	_, err = l.Categories(context.Background(), []string{"c1"})
	require.NoError(t, err)
	taxCalls, _ := fake.calls()
	assert.Equal(t, 1, taxCalls)
	l.Clear()
	_, err = l.Categories(context.Background(), []string{"c1"})
	require.NoError(t, err)
	taxCalls, _ = fake.calls()
	assert.Equal(t, 2, taxCalls)
}

func TestPrime(t *testing.T) {
	videos := []catalog.Video{
		{ID: "v1", CategoryIDs: []string{"c1"}, GenreIDs: []string{"g1"}, CastIDs: []string{"p1", "p2"}},
		{ID: "v2", CategoryIDs: []string{"c1", "gone"}, GenreIDs: []string{"g2"}, CastIDs: []string{"p2"}},
	}
	tests := []struct {
		name              string
		caller            platform.Caller
		want              loader.Want
		taxCalls, tagCall int
	}{
		{"everything", viewer, loader.Want{Categories: true, Genres: true, Cast: true, MyTags: true}, 1, 1},
		{"only cast", viewer, loader.Want{Cast: true}, 1, 0},
		{"nothing", viewer, loader.Want{}, 0, 0},
		{"anonymous tags cost nothing", platform.Caller{}, loader.Want{MyTags: true}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeCatalog{}
			l := loader.New(fake, tt.caller)
			l.Prime(context.Background(), videos, tt.want)
			taxCalls, tagCalls := fake.calls()
			assert.Equal(t, tt.taxCalls, taxCalls)
			assert.Equal(t, tt.tagCall, tagCalls)

			// What was primed resolves without another call.
			ctx := context.Background()
			if tt.want.Categories {
				cats, err := l.Categories(ctx, videos[1].CategoryIDs)
				require.NoError(t, err)
				assert.Len(t, cats, 1, "the unknown id primed as missing")
			}
			if tt.want.Cast {
				cast, err := l.Cast(ctx, videos[0].CastIDs)
				require.NoError(t, err)
				assert.Len(t, cast, 2)
			}
			tags, err := l.MyTags(ctx, "v2")
			require.NoError(t, err)
			assert.Equal(t, []string{}, tags)
			if tt.want.MyTags && !tt.caller.Anonymous() {
				tags, err = l.MyTags(ctx, "v1")
				require.NoError(t, err)
				assert.Equal(t, []string{"mine"}, tags)
			}
			after, afterTags := fake.calls()
			assert.Equal(t, tt.taxCalls, after, "no taxonomy call after priming")
			if tt.want.MyTags || tt.caller.Anonymous() {
				assert.Equal(t, tt.tagCall, afterTags, "no tags call after priming")
			}
		})
	}
}

func TestLoadErrorKeepsItsKind(t *testing.T) {
	fake := &fakeCatalog{err: platform.E(platform.KindUnavailable, "catalog down", nil)}
	l := loader.New(fake, viewer)
	_, err := l.Genres(context.Background(), []string{"g1", "g2"})
	require.Error(t, err)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))
}

func TestContext(t *testing.T) {
	assert.Nil(t, loader.From(context.Background()))
	l := loader.New(&fakeCatalog{}, viewer)
	assert.Same(t, l, loader.From(loader.With(context.Background(), l)))
}
