package catalog

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// benchVideos and benchSeed are the size and seed of the generated catalog.
const (
	benchVideos = 10_000
	benchSeed   = 1
)

// nopPublisher drops events.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, platform.Event) error { return nil }

// benchService returns a service over a generated catalog of n videos.
func benchService(b *testing.B, n int) (*Service, []string, []string) {
	b.Helper()
	state, err := embedded.OpenState(filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = state.Close() })
	g, err := Generate(context.Background(), state, n, benchSeed)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	svc, err := New(context.Background(), Config{IndexDir: b.TempDir()}, state, nopPublisher{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	b.Logf("loaded %d videos and built the index in %v", n, time.Since(start).Round(time.Millisecond))
	return svc, g.CategoryIDs, g.GenreIDs
}

func BenchmarkListVideos(b *testing.B) {
	svc, cats, genres := benchService(b, benchVideos)
	ctx := context.Background()
	viewer := platform.Caller{UserID: "u", Role: platform.RoleViewer}
	mid, err := svc.ListVideos(ctx, ListVideosRequest{Caller: viewer, Order: VideoOrder{Field: OrderTitle}, Page: Page{First: MaxPageSize}})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		req  ListVideosRequest
	}{
		{"newest", ListVideosRequest{Caller: viewer}},
		{"by title after cursor", ListVideosRequest{Caller: viewer, Order: VideoOrder{Field: OrderTitle}, Page: Page{First: 50, After: mid.Page.Cursors[MaxPageSize-1]}}},
		{"by year desc admin", ListVideosRequest{Caller: platform.Caller{UserID: "a", Role: platform.RoleAdmin}, Order: VideoOrder{Field: OrderReleaseYear, Descending: true}}},
		{"category filter", ListVideosRequest{Caller: viewer, Filter: VideoFilter{CategoryID: cats[0]}}},
		{"genre and rating filter", ListVideosRequest{Caller: viewer, Filter: VideoFilter{GenreID: genres[1], AgeRating: RatingR}, Order: VideoOrder{Field: OrderTitle}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.ListVideos(ctx, c.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	svc, cats, _ := benchService(b, benchVideos)
	ctx := context.Background()
	viewer := platform.Caller{UserID: "u", Role: platform.RoleViewer}
	cases := []struct {
		name string
		req  SearchRequest
	}{
		{"one word", SearchRequest{Caller: viewer, Query: "interstellar"}},
		{"stemmed", SearchRequest{Caller: viewer, Query: "running"}},
		{"typo", SearchRequest{Caller: viewer, Query: "intersteller"}},
		{"prefix", SearchRequest{Caller: viewer, Query: "gal"}},
		{"long tail word", SearchRequest{Caller: viewer, Query: LongTailWord(1658)}},
		{"three words with filter", SearchRequest{Caller: viewer, Query: "night city ghost", Filter: VideoFilter{CategoryID: cats[0]}}},
		{"second page", SearchRequest{Caller: viewer, Query: "love", Page: Page{First: 20, After: encodeOffset(20)}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Search(ctx, c.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	state, err := embedded.OpenState(filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = state.Close() })
	if _, err := Generate(context.Background(), state, benchVideos, benchSeed); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		svc, err := New(context.Background(), Config{IndexDir: b.TempDir()}, state, nopPublisher{}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = svc.Close()
	}
}
