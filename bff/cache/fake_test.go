package cache_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

var (
	anonymous = platform.Caller{}
	viewer    = platform.Caller{UserID: "viewer-1", Role: platform.RoleViewer}
	admin     = platform.Caller{UserID: "admin-1", Role: platform.RoleAdmin}
)

// fake is a catalog.API over maps that counts the calls reaching it. Its
// hook, when set, runs after a read took its answer and before it returns,
// so a test can change the world while a fetch is under way.
type fake struct {
	catalog.API // nil: a method the tests do not expect panics

	mu     sync.Mutex
	videos map[string]catalog.Video
	cats   []catalog.Category
	genres []catalog.Genre
	cast   []catalog.CastMember
	calls  map[string]int
	hook   func(method string)
}

// world is what newFake seeds.
type world struct {
	published, draft       string
	category, genre, actor string
}

func newFake() (*fake, world) {
	w := world{
		published: uuid.NewString(), draft: uuid.NewString(),
		category: uuid.NewString(), genre: uuid.NewString(), actor: uuid.NewString(),
	}
	f := &fake{
		videos: map[string]catalog.Video{
			w.published: {ID: w.published, Title: "Published", Published: true, Version: 1, Tags: []string{"a"}, CategoryIDs: []string{w.category}},
			w.draft:     {ID: w.draft, Title: "Draft", Version: 1},
		},
		cats:   []catalog.Category{{ID: w.category, Name: "Movies"}},
		genres: []catalog.Genre{{ID: w.genre, Name: "Drama"}},
		cast:   []catalog.CastMember{{ID: w.actor, Name: "Ann", Type: catalog.CastActor}},
		calls:  map[string]int{},
	}
	return f, w
}

// enter counts a call of method and holds the lock; the function it returns
// releases the lock and runs the hook.
func (f *fake) enter(method string) func() {
	f.mu.Lock()
	f.calls[method]++
	hook := f.hook
	return func() {
		f.mu.Unlock()
		if hook != nil {
			hook(method)
		}
	}
}

func (f *fake) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fake) setHook(hook func(method string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook
}

// setVideo changes a video behind the cache's back, raising its version.
func (f *fake) setVideo(id string, change func(*catalog.Video)) catalog.Video {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.videos[id]
	change(&v)
	v.Version++
	f.videos[id] = v
	return v
}

func (f *fake) renameCategory(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cats[0].Name = name
}

func notFound() error { return platform.E(platform.KindNotFound, "video not found", nil) }

func (f *fake) GetVideo(_ context.Context, req catalog.GetVideoRequest) (catalog.GetVideoResponse, error) {
	leave := f.enter(catalog.MethodGetVideo)
	v, ok := f.videos[req.ID]
	leave()
	if !ok || (!v.Published && !req.Caller.IsAdmin()) {
		return catalog.GetVideoResponse{}, notFound()
	}
	return catalog.GetVideoResponse{Video: v}, nil
}

func (f *fake) GetVideos(_ context.Context, req catalog.GetVideosRequest) (catalog.GetVideosResponse, error) {
	leave := f.enter(catalog.MethodGetVideos)
	out := []catalog.Video{}
	for _, id := range req.IDs {
		if v, ok := f.videos[id]; ok && (v.Published || req.Caller.IsAdmin()) {
			out = append(out, v)
		}
	}
	leave()
	return catalog.GetVideosResponse{Videos: out}, nil
}

func (f *fake) UpdateVideo(_ context.Context, req catalog.UpdateVideoRequest) (catalog.UpdateVideoResponse, error) {
	v := f.setVideo(req.ID, func(v *catalog.Video) { v.Title = *req.Patch.Title })
	return catalog.UpdateVideoResponse{Video: v}, nil
}

func (f *fake) ListCategories(context.Context, catalog.ListCategoriesRequest) (catalog.ListCategoriesResponse, error) {
	leave := f.enter(catalog.MethodListCategories)
	defer leave()
	return catalog.ListCategoriesResponse{Categories: slices.Clone(f.cats)}, nil
}

func (f *fake) ListGenres(context.Context, catalog.ListGenresRequest) (catalog.ListGenresResponse, error) {
	leave := f.enter(catalog.MethodListGenres)
	defer leave()
	return catalog.ListGenresResponse{Genres: slices.Clone(f.genres)}, nil
}

func (f *fake) ListCastMembers(_ context.Context, req catalog.ListCastMembersRequest) (catalog.ListCastMembersResponse, error) {
	leave := f.enter(catalog.MethodListCastMembers)
	defer leave()
	if req.Type != "" && req.Type != catalog.CastActor && req.Type != catalog.CastDirector {
		return catalog.ListCastMembersResponse{}, platform.E(platform.KindInvalid, "unknown cast type", nil)
	}
	out := []catalog.CastMember{}
	for _, c := range f.cast {
		if req.Type == "" || c.Type == req.Type {
			out = append(out, c)
		}
	}
	return catalog.ListCastMembersResponse{CastMembers: out}, nil
}

func (f *fake) GetTaxonomy(_ context.Context, req catalog.GetTaxonomyRequest) (catalog.GetTaxonomyResponse, error) {
	leave := f.enter(catalog.MethodGetTaxonomy)
	defer leave()
	return catalog.GetTaxonomyResponse{
		Categories:  pick(f.cats, req.CategoryIDs, func(c catalog.Category) string { return c.ID }),
		Genres:      pick(f.genres, req.GenreIDs, func(g catalog.Genre) string { return g.ID }),
		CastMembers: pick(f.cast, req.CastMemberIDs, func(c catalog.CastMember) string { return c.ID }),
	}, nil
}

func pick[T any](all []T, ids []string, idOf func(T) string) []T {
	out := []T{}
	for _, id := range ids {
		if i := slices.IndexFunc(all, func(x T) bool { return idOf(x) == id }); i >= 0 {
			out = append(out, all[i])
		}
	}
	return out
}

// testClock is a clock the test moves.
type testClock struct{ now atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// event builds a catalog event with payload.
func event(t *testing.T, typ string, payload any) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent(catalog.Source, catalog.Topic, typ, time.Now(), payload)
	require.NoError(t, err)
	return ev
}

// deliver hands ev to the cache's subscription.
func deliver(t *testing.T, c *cache.Catalog, ev platform.Event) {
	t.Helper()
	require.NoError(t, c.Subscription().Handle(context.Background(), ev))
}
