package cache_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// TestRacingMissCannotResurrectStaleData: a change announced while a fetch
// is under way keeps what that fetch read out of the cache, and a video
// never goes back below the version an event announced, even when a lagging
// catalog replica still serves the older one.
func TestRacingMissCannotResurrectStaleData(t *testing.T) {
	tests := []struct {
		name string
		read read
		// change changes the catalog and delivers its event.
		change func(t *testing.T, c *cache.Catalog, f *fake, w world)
		// fresh reports whether the read shows the change.
		fresh func(got any) bool
	}{
		{"video", readVideo(viewer), func(t *testing.T, c *cache.Catalog, f *fake, w world) {
			v := f.setVideo(w.published, func(v *catalog.Video) { v.Title = "Renamed" })
			deliver(t, c, event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: v}))
		}, func(got any) bool { return got.(catalog.Video).Title == "Renamed" }},
		{"list", readCategories, func(t *testing.T, c *cache.Catalog, f *fake, w world) {
			f.renameCategory("Films")
			deliver(t, c, event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "category", ID: w.category}))
		}, func(got any) bool { return got.([]catalog.Category)[0].Name == "Films" }},
		{"taxonomy", readTaxonomy, func(t *testing.T, c *cache.Catalog, f *fake, w world) {
			f.renameCategory("Films")
			deliver(t, c, event(t, catalog.EventTaxonomyChanged, catalog.TaxonomyChanged{Kind: "category", ID: w.category}))
		}, func(got any) bool { return got.(catalog.GetTaxonomyResponse).Categories[0].Name == "Films" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f, w := newCache(t)
			ctx := context.Background()
			fetched, proceed := make(chan struct{}), make(chan struct{})
			var once sync.Once
			f.setHook(func(string) {
				once.Do(func() { close(fetched); <-proceed })
			})
			stale := make(chan any, 1)
			go func() {
				got, err := tt.read.do(ctx, c, w)
				assert.NoError(t, err)
				stale <- got
			}()
			<-fetched // the fetch holds the old data
			tt.change(t, c, f, w)
			close(proceed)
			assert.False(t, tt.fresh(<-stale), "the racing fetch answers what it read")

			got, err := tt.read.do(ctx, c, w)
			require.NoError(t, err)
			assert.True(t, tt.fresh(got), "the stale answer was not stored")
			assert.Equal(t, 2, f.count(tt.read.method))
		})
	}
}

func TestLaggingReplicaCannotStoreAnOlderVersion(t *testing.T) {
	c, f, w := newCache(t)
	ctx := context.Background()
	_, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)

	// The event announces version 2 while the catalog still serves version 1.
	deliver(t, c, event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: catalog.Video{ID: w.published, Version: 2}}))
	for i := range 2 {
		resp, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
		require.NoError(t, err)
		assert.EqualValues(t, 1, resp.Video.Version)
		assert.Equal(t, 2+i, f.count(catalog.MethodGetVideo), "version 1 is not stored")
	}

	// Caught up: version 2 is stored again.
	f.setVideo(w.published, func(v *catalog.Video) { v.Title = "Renamed" })
	for range 2 {
		resp, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
		require.NoError(t, err)
		assert.Equal(t, "Renamed", resp.Video.Title)
	}
	assert.Equal(t, 4, f.count(catalog.MethodGetVideo))
}

func TestTTL(t *testing.T) {
	for _, r := range []read{readVideo(viewer), readCategories, readTaxonomy} {
		t.Run(r.method, func(t *testing.T) {
			f, w := newFake()
			clock := newTestClock()
			c := cache.NewCatalog(f, 30*time.Second, clock.Now)
			ctx := context.Background()
			_, err := r.do(ctx, c, w)
			require.NoError(t, err)
			clock.Advance(30*time.Second - time.Nanosecond)
			_, err = r.do(ctx, c, w)
			require.NoError(t, err)
			assert.Equal(t, 1, f.count(r.method), "alive until the TTL")
			clock.Advance(time.Nanosecond)
			_, err = r.do(ctx, c, w)
			require.NoError(t, err)
			assert.Equal(t, 2, f.count(r.method), "expired at the TTL")
		})
	}
}

// TestConcurrentMissesShareOneFetch runs in a synctest bubble, so that
// synctest.Wait knows when every caller is blocked on the one fetch.
func TestConcurrentMissesShareOneFetch(t *testing.T) {
	tests := []struct {
		name   string
		caller platform.Caller
		id     func(w world) string
	}{
		{"published video", viewer, func(w world) string { return w.published }},
		{"unpublished video, never cached", admin, func(w world) string { return w.draft }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, f, w := newCache(t)
				release := make(chan struct{})
				f.setHook(func(string) { <-release })
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						resp, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{Caller: tt.caller, ID: tt.id(w)})
						assert.NoError(t, err)
						assert.Equal(t, tt.id(w), resp.Video.ID)
					})
				}
				synctest.Wait()
				assert.Equal(t, 1, f.count(catalog.MethodGetVideo), "one fetch for eight misses")
				close(release)
				wg.Wait()
			})
		})
	}
}

// TestACallerAfterADropFetchesAnew: a read that starts after a change was
// announced does not share a fetch that began before it.
func TestACallerAfterADropFetchesAnew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, f, w := newCache(t)
		release := make(chan struct{})
		f.setHook(func(string) { <-release })
		read := func(want string) {
			resp, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{ID: w.published})
			assert.NoError(t, err)
			assert.Equal(t, want, resp.Video.Title)
		}
		var wg sync.WaitGroup
		wg.Go(func() { read("Published") })
		synctest.Wait() // the first fetch holds the old title

		v := f.setVideo(w.published, func(v *catalog.Video) { v.Title = "Renamed" })
		deliver(t, c, event(t, catalog.EventVideoChanged, catalog.VideoChanged{Video: v}))
		wg.Go(func() { read("Renamed") })
		synctest.Wait()
		assert.Equal(t, 2, f.count(catalog.MethodGetVideo), "the later caller fetched on its own")
		close(release)
		wg.Wait()
	})
}

// TestAudiencesDoNotShareAFetch: an admin's fetch of an unpublished video
// is not handed to a viewer waiting on the same id.
func TestAudiencesDoNotShareAFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, f, w := newCache(t)
		release := make(chan struct{})
		f.setHook(func(string) { <-release })
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{Caller: admin, ID: w.draft})
			assert.NoError(t, err)
		})
		wg.Go(func() {
			_, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{Caller: viewer, ID: w.draft})
			assert.True(t, platform.Is(err, platform.KindNotFound), "%v", err)
		})
		synctest.Wait()
		assert.Equal(t, 2, f.count(catalog.MethodGetVideo))
		close(release)
		wg.Wait()
	})
}

// TestAWaiterLeavesWithItsContext: a caller that gives up leaves at once;
// the shared fetch goes on for the others.
func TestAWaiterLeavesWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, f, w := newCache(t)
		release := make(chan struct{})
		f.setHook(func(string) { <-release })
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
			assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
		})
		wg.Go(func() {
			_, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{ID: w.published})
			assert.NoError(t, err)
		})
		synctest.Wait()
		cancel()
		synctest.Wait()
		close(release)
		wg.Wait()
		assert.Equal(t, 1, f.count(catalog.MethodGetVideo))
	})
}

func TestPanickingFetchIsAnInternalError(t *testing.T) {
	c, f, w := newCache(t)
	f.setHook(func(string) { panic("boom") })
	_, err := c.GetVideo(context.Background(), catalog.GetVideoRequest{ID: w.published})
	assert.Equal(t, platform.KindInternal, platform.KindOf(err))
}

// TestWritesThroughTheCacheDropAtOnce: an admin reads their own write on
// this replica before any event arrives.
func TestWritesThroughTheCacheDropAtOnce(t *testing.T) {
	c, f, w := newCache(t)
	ctx := context.Background()
	_, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	title := "Renamed"
	_, err = c.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: admin, ID: w.published, Patch: catalog.VideoPatch{Title: &title}})
	require.NoError(t, err)
	resp, err := c.GetVideo(ctx, catalog.GetVideoRequest{ID: w.published})
	require.NoError(t, err)
	assert.Equal(t, title, resp.Video.Title)
	assert.Equal(t, 2, f.count(catalog.MethodGetVideo))
}
