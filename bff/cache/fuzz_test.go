package cache_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// The fuzzed world's ids are fixed so that seeds can name them.
const (
	fuzzVideoA   = "0b8a1c9e-7f6d-4e2a-9c3b-5d4e6f7a8b9c"
	fuzzVideoB   = "1c9b2d0f-8a7e-4f3b-8d4c-6e5f7a8b9c0d"
	fuzzCategory = "2d0c3e1a-9b8f-4a4c-9e5d-7f6a8b9c0d1e"
	fuzzGenre    = "3e1d4f2b-0c9a-4b5d-8f6e-8a7b9c0d1e2f"
	fuzzActor    = "4f2e5a3c-1d0b-4c6e-9a7f-9b8c0d1e2f3a"
)

// fuzzTypes are the event types a fuzzed event gets, picked by a byte: the
// ones the cache acts on, one it acknowledges as is, and foreign ones.
var fuzzTypes = []string{
	catalog.EventVideoChanged, catalog.EventVideoDeleted, catalog.EventTaxonomyChanged,
	catalog.EventTagsChanged, "video.archived", "",
}

// fuzzRead is one cached read of the fuzzed world, with the backend method
// that counts its misses.
type fuzzRead struct {
	name, method string
	do           func(ctx context.Context, c *cache.Catalog) error
}

var fuzzReads = []fuzzRead{
	{"video " + fuzzVideoA, catalog.MethodGetVideo, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: fuzzVideoA})
		return err
	}},
	{"video " + fuzzVideoB, catalog.MethodGetVideo, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: fuzzVideoB})
		return err
	}},
	{"categories", catalog.MethodListCategories, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.ListCategories(ctx, catalog.ListCategoriesRequest{})
		return err
	}},
	{"genres", catalog.MethodListGenres, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.ListGenres(ctx, catalog.ListGenresRequest{})
		return err
	}},
	{"cast", catalog.MethodListCastMembers, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
		return err
	}},
	{"category:" + fuzzCategory, catalog.MethodGetTaxonomy, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{CategoryIDs: []string{fuzzCategory}})
		return err
	}},
	{"genre:" + fuzzGenre, catalog.MethodGetTaxonomy, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{GenreIDs: []string{fuzzGenre}})
		return err
	}},
	{"cast:" + fuzzActor, catalog.MethodGetTaxonomy, func(ctx context.Context, c *cache.Catalog) error {
		_, err := c.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{CastMemberIDs: []string{fuzzActor}})
		return err
	}},
}

// warmCache returns a cache whose every fuzzRead is cached, over a fake
// whose videos are at version 1.
func warmCache(t *testing.T) (*cache.Catalog, *fake) {
	t.Helper()
	f := &fake{
		videos: map[string]catalog.Video{
			fuzzVideoA: {ID: fuzzVideoA, Title: "A", Published: true, Version: 1},
			fuzzVideoB: {ID: fuzzVideoB, Title: "B", Published: true, Version: 1},
		},
		cats:   []catalog.Category{{ID: fuzzCategory, Name: "Movies"}},
		genres: []catalog.Genre{{ID: fuzzGenre, Name: "Drama"}},
		cast:   []catalog.CastMember{{ID: fuzzActor, Name: "Ann", Type: catalog.CastActor}},
		calls:  map[string]int{},
	}
	c := cache.NewCatalog(f, time.Hour, newTestClock().Now)
	for _, r := range fuzzReads {
		require.NoError(t, r.do(context.Background(), c), r.name)
	}
	return c, f
}

// misses reads every fuzzRead once and returns the names of those that
// reached the backend.
func misses(t *testing.T, c *cache.Catalog, f *fake) []string {
	t.Helper()
	var out []string
	for _, r := range fuzzReads {
		before := f.count(r.method)
		require.NoError(t, r.do(context.Background(), c), r.name)
		if f.count(r.method) != before {
			out = append(out, r.name)
		}
	}
	return out
}

// FuzzCacheEvent feeds the cache's catalog subscription arbitrary events.
// A payload it cannot use (not JSON of the type's shape, or naming no
// entity) is dropped to the dead letters, never retried, and empties the
// whole cache; any other event drops exactly what it names: a video
// cached at a version below the event's (or at any version when the event
// has none), or a taxonomy entity with every list, so an event naming
// unknown ids costs no cached video. Handling the event twice leaves the
// cache as once.
func FuzzCacheEvent(f *testing.F) {
	add := func(typ int, payload any) { f.Add(uint8(typ), platformtest.SeedJSON(f, payload)) }
	add(0, catalog.VideoChanged{Video: catalog.Video{ID: fuzzVideoA, Title: "A2", Published: true, Version: 2}})
	add(0, catalog.VideoChanged{Video: catalog.Video{ID: strings.ToUpper(fuzzVideoB), Version: 1}})
	add(0, catalog.VideoChanged{Video: catalog.Video{ID: "5a3f6b4d-2e1c-4d7f-8b0a-0c9d1e2f3a4b", Version: 7}})
	add(1, catalog.VideoDeleted{VideoID: fuzzVideoA, Version: 2})
	add(1, catalog.VideoDeleted{VideoID: fuzzVideoB})
	add(1, catalog.VideoDeleted{VideoID: fuzzVideoB, Version: -3})
	add(2, catalog.TaxonomyChanged{Kind: "category", ID: fuzzCategory})
	add(2, catalog.TaxonomyChanged{Kind: "cast", ID: strings.ToUpper(fuzzActor), Deleted: true})
	add(2, catalog.TaxonomyChanged{Kind: "studio", ID: fuzzGenre})
	add(3, catalog.TagsChanged{UserID: "u-1", VideoID: fuzzVideoA, Tags: []string{"x"}})
	add(4, catalog.VideoDeleted{VideoID: fuzzVideoA})
	for typ, data := range []string{`{"video":{}}`, `{"videoId":""}`, `{"kind":"genre"}`, `[]`, `{"videoId":7}`, `{`, ``, `null`} {
		f.Add(uint8(typ%3), []byte(data))
	}
	f.Fuzz(func(t *testing.T, pick uint8, data []byte) {
		typ := fuzzTypes[int(pick)%len(fuzzTypes)]
		ev := platform.Event{ID: "e-1", Type: typ, Source: catalog.Source, Topic: catalog.Topic, Time: time.Unix(0, 0), Data: data}
		want, wantErr := expectedMisses(typ, data)
		once, onceF := warmCache(t)
		twice, twiceF := warmCache(t)
		handle := func(c *cache.Catalog) {
			err := c.Subscription().Handle(context.Background(), ev)
			if !wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, platform.IsDrop(err), "an unusable payload must go to the dead letters: %v", err)
		}
		handle(once)
		handle(twice)
		handle(twice)
		require.Equal(t, want, misses(t, once, onceF))
		require.Equal(t, want, misses(t, twice, twiceF), "a redelivered event dropped more")
	})
}

// expectedMisses is the reads of fuzzReads that an event of typ with data
// sends to the backend, and whether the event is unusable.
func expectedMisses(typ string, data []byte) ([]string, bool) {
	var videoID, kind, taxonID string
	var version int64
	var err error
	switch typ {
	case catalog.EventVideoChanged:
		var p catalog.VideoChanged
		err = json.Unmarshal(data, &p)
		videoID, version = p.Video.ID, p.Video.Version
	case catalog.EventVideoDeleted:
		var p catalog.VideoDeleted
		err = json.Unmarshal(data, &p)
		videoID, version = p.VideoID, p.Version
	case catalog.EventTaxonomyChanged:
		var p catalog.TaxonomyChanged
		err = json.Unmarshal(data, &p)
		kind, taxonID = p.Kind, p.ID
	default:
		return nil, false
	}
	var out []string
	if err != nil || (typ == catalog.EventTaxonomyChanged && taxonID == "") || (typ != catalog.EventTaxonomyChanged && videoID == "") {
		for _, r := range fuzzReads {
			out = append(out, r.name)
		}
		return out, true
	}
	if typ == catalog.EventTaxonomyChanged {
		out = append(out, "categories", "genres", "cast")
		if name := kind + ":" + strings.ToLower(taxonID); isTaxonRead(name) {
			out = append(out, name)
		}
		return out, false
	}
	// The cached videos are at version 1: an event at that version or
	// below announces nothing newer.
	if version <= 0 || version > 1 {
		if name := "video " + strings.ToLower(videoID); name == fuzzReads[0].name || name == fuzzReads[1].name {
			out = append(out, name)
		}
	}
	return out, false
}

// isTaxonRead reports whether name is one of the GetTaxonomy reads.
func isTaxonRead(name string) bool {
	for _, r := range fuzzReads[5:] {
		if r.name == name {
			return true
		}
	}
	return false
}
