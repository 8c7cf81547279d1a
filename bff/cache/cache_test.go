package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// read is one cached read, returning something comparable.
type read struct {
	method string
	do     func(ctx context.Context, c *cache.Catalog, w world) (any, error)
}

func readVideo(caller platform.Caller) read {
	return read{catalog.MethodGetVideo, func(ctx context.Context, c *cache.Catalog, w world) (any, error) {
		resp, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: caller, ID: w.published})
		return resp.Video, err
	}}
}

var (
	readVideos = read{catalog.MethodGetVideos, func(ctx context.Context, c *cache.Catalog, w world) (any, error) {
		resp, err := c.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer, IDs: []string{w.published, w.published}})
		return resp.Videos, err
	}}
	readCategories = read{catalog.MethodListCategories, func(ctx context.Context, c *cache.Catalog, _ world) (any, error) {
		resp, err := c.ListCategories(ctx, catalog.ListCategoriesRequest{})
		return resp.Categories, err
	}}
	readGenres = read{catalog.MethodListGenres, func(ctx context.Context, c *cache.Catalog, _ world) (any, error) {
		resp, err := c.ListGenres(ctx, catalog.ListGenresRequest{})
		return resp.Genres, err
	}}
	readActors = read{catalog.MethodListCastMembers, func(ctx context.Context, c *cache.Catalog, _ world) (any, error) {
		resp, err := c.ListCastMembers(ctx, catalog.ListCastMembersRequest{Type: catalog.CastActor})
		return resp.CastMembers, err
	}}
	readTaxonomy = read{catalog.MethodGetTaxonomy, func(ctx context.Context, c *cache.Catalog, w world) (any, error) {
		resp, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{
			CategoryIDs: []string{w.category}, GenreIDs: []string{w.genre}, CastMemberIDs: []string{w.actor, w.actor},
		})
		return resp, err
	}}
)

func newCache(t *testing.T) (*cache.Catalog, *fake, world) {
	t.Helper()
	f, w := newFake()
	return cache.NewCatalog(f, time.Minute, nil), f, w
}

func TestHitsDoNotCallNext(t *testing.T) {
	tests := []struct {
		name string
		read read
	}{
		{"video as anonymous", readVideo(anonymous)},
		{"video as viewer", readVideo(viewer)},
		{"video as admin", readVideo(admin)},
		{"videos", readVideos},
		{"categories", readCategories},
		{"genres", readGenres},
		{"cast members of a type", readActors},
		{"taxonomy by id", readTaxonomy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, w := newCache(t)
			ctx := context.Background()
			first, err := tt.read.do(ctx, c, w)
			require.NoError(t, err)
			second, err := tt.read.do(ctx, c, w)
			require.NoError(t, err)
			assert.Equal(t, first, second)
			assert.Equal(t, 1, f.count(tt.read.method), "the second read is a hit")
		})
	}
}

func TestComposedReadsKeepTheCatalogsAnswer(t *testing.T) {
	c, f, w := newCache(t)
	ctx := context.Background()
	// One video cached, the rest fetched in one call.
	_, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	videos, err := c.GetVideos(ctx, catalog.GetVideosRequest{Caller: admin, IDs: []string{w.draft, w.published, uuid.NewString(), w.draft}})
	require.NoError(t, err)
	assert.Equal(t, []string{w.draft, w.published, w.draft}, videoIDs(videos.Videos), "request order, unknown left out")
	assert.Equal(t, 1, f.count(catalog.MethodGetVideos))

	tax, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{
		CategoryIDs: []string{uuid.NewString(), w.category}, GenreIDs: []string{w.genre}, CastMemberIDs: []string{w.actor, w.actor},
	})
	require.NoError(t, err)
	assert.Equal(t, []catalog.Category{{ID: w.category, Name: "Movies"}}, tax.Categories, "the unknown category is left out")
	assert.Len(t, tax.Genres, 1)
	assert.Len(t, tax.CastMembers, 2, "a repeated id is answered twice, as the catalog does")

	empty, err := c.GetVideos(ctx, catalog.GetVideosRequest{Caller: viewer})
	require.NoError(t, err)
	assert.Empty(t, empty.Videos)
	assert.Equal(t, 1, f.count(catalog.MethodGetVideos), "nothing to fetch")
}

func videoIDs(videos []catalog.Video) []string {
	out := make([]string, len(videos))
	for i, v := range videos {
		out[i] = v.ID
	}
	return out
}

func TestInvalidation(t *testing.T) {
	tests := []struct {
		name    string
		event   func(t *testing.T, w world) platform.Event
		read    read
		refetch bool
	}{
		{"video.changed drops the video", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: catalog.Video{ID: w.published, Version: 2}})
		}, readVideo(viewer), true},
		{"video.changed drops it from composed reads", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: catalog.Video{ID: w.published, Version: 2}})
		}, readVideos, true},
		{"video.changed of another video keeps it", func(t *testing.T, _ world) platform.Event {
			return event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: catalog.Video{ID: uuid.NewString(), Version: 2}})
		}, readVideo(viewer), false},
		{"an older video.changed keeps the newer cached version", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: catalog.Video{ID: w.published, Version: 1}})
		}, readVideo(viewer), false},
		{"video.deleted drops the video", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventVideoDeleted, catalog.VideoDeleted{VideoID: w.published, Version: 2})
		}, readVideo(viewer), true},
		{"taxonomy.changed drops the categories", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "category", ID: w.category})
		}, readCategories, true},
		{"taxonomy.changed drops every list", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "category", ID: w.category})
		}, readGenres, true},
		{"taxonomy.changed drops the cast lists", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "cast", ID: w.actor, Deleted: true})
		}, readActors, true},
		{"taxonomy.changed drops the entity", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "genre", ID: w.genre})
		}, readTaxonomy, true},
		{"taxonomy.changed of another entity keeps it", func(t *testing.T, _ world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "genre", ID: uuid.NewString()})
		}, readTaxonomy, false},
		{"taxonomy.changed of an unknown kind drops the lists", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "studio", ID: uuid.NewString()})
		}, readCategories, true},
		{"tags.changed keeps videos", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTagsChanged, catalog.TagsChanged{UserID: "u", VideoID: w.published, Tags: []string{"x"}})
		}, readVideo(viewer), false},
		{"tags.changed keeps lists", func(t *testing.T, w world) platform.Event {
			return event(t, catalog.EventTagsChanged, catalog.TagsChanged{UserID: "u", VideoID: w.published})
		}, readCategories, false},
		{"an unknown type is acknowledged", func(t *testing.T, _ world) platform.Event {
			return event(t, "video.liked", map[string]string{"videoId": "x"})
		}, readVideo(viewer), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, w := newCache(t)
			ctx := context.Background()
			_, err := tt.read.do(ctx, c, w)
			require.NoError(t, err)
			ev := tt.event(t, w)
			deliver(t, c, ev)
			deliver(t, c, ev) // redelivered: no harm
			_, err = tt.read.do(ctx, c, w)
			require.NoError(t, err)
			want := 1
			if tt.refetch {
				want = 2
			}
			assert.Equal(t, want, f.count(tt.read.method))
		})
	}
}

func TestUnreadableEventEmptiesTheCacheAndGoesToTheDeadLetters(t *testing.T) {
	tests := []struct {
		name string
		ev   func(t *testing.T) platform.Event
	}{
		{"undecodable", func(t *testing.T) platform.Event {
			ev := event(t, catalog.EventVideoChanged, catalog.VideoChanged{})
			ev.Data = []byte(`{"video":`)
			return ev
		}},
		{"no video id", func(t *testing.T) platform.Event {
			return event(t, catalog.EventVideoDeleted, catalog.VideoDeleted{Version: 3})
		}},
		{"no taxonomy id", func(t *testing.T) platform.Event {
			return event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "genre"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, w := newCache(t)
			ctx := context.Background()
			for _, r := range []read{readVideo(viewer), readCategories} {
				_, err := r.do(ctx, c, w)
				require.NoError(t, err)
			}
			err := c.Subscription().Handle(ctx, tt.ev(t))
			require.Error(t, err)
			assert.True(t, platform.IsDrop(err), "it can never be handled: dead letter")
			for _, r := range []read{readVideo(viewer), readCategories} {
				_, err := r.do(ctx, c, w)
				require.NoError(t, err)
				assert.Equal(t, 2, f.count(r.method), "%s fetched again", r.method)
			}
		})
	}
}

func TestSubscription(t *testing.T) {
	c, _, _ := newCache(t)
	sub := c.Subscription()
	assert.Equal(t, catalog.Topic, sub.Topic)
	assert.Equal(t, cache.SubscriptionName, sub.Name)
	assert.True(t, sub.Broadcast, "every replica drops its own copy")
	assert.NotNil(t, sub.Handle)
}
