package bff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
)

// benchVideos is the size of the seeded catalog.
const benchVideos = 1000

var (
	titleWords = []string{"Space", "Ocean", "Night", "Empire", "Garden", "River", "Shadow", "Crown", "Storm", "Harbor", "Signal", "Winter"}
	titleNouns = []string{"Odyssey", "Chronicles", "Protocol", "Legacy", "Run", "Hunt", "Letters", "Machine", "Season", "Code"}
)

// seedCatalog fills the stack with benchVideos published videos over 10
// categories, 15 genres and 100 cast members.
func seedCatalog(tb testing.TB, s *stack) {
	tb.Helper()
	ctx := context.Background()
	var cats, genres, cast []string
	for range 10 {
		cats = append(cats, s.newCategory())
	}
	for range 15 {
		genres = append(genres, s.newGenre())
	}
	for i := range 100 {
		typ := catalog.CastActor
		if i%10 == 0 {
			typ = catalog.CastDirector
		}
		cast = append(cast, s.newCast(typ))
	}
	for i := range benchVideos {
		title := fmt.Sprintf("%s %s %d", titleWords[i%len(titleWords)], titleNouns[(i/len(titleWords))%len(titleNouns)], i)
		resp, err := s.catalog.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: s.adminCaller(), Input: catalog.VideoInput{
			Title: title, Description: "A seeded video about " + title, ReleaseYear: 1950 + i%75, DurationSeconds: 1800 + i,
			AgeRating:   catalog.RatingPG13,
			CategoryIDs: []string{cats[i%10], cats[(i+3)%10]},
			GenreIDs:    []string{genres[i%15], genres[(i+7)%15]},
			CastIDs:     []string{cast[i%100], cast[(i+11)%100], cast[(i+37)%100], cast[(i+59)%100]},
		}})
		require.NoError(tb, err)
		_, err = s.catalog.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: s.adminCaller(), ID: resp.Video.ID, Published: true})
		require.NoError(tb, err)
	}
}

// waitIdle polls the process's CPU time until background work started by
// the seeding (search index merges, event deliveries) has died down, so the
// benchmark measures queries, not the merger: at most maxWait.
func waitIdle(tb testing.TB) {
	tb.Helper()
	const (
		window  = 250 * time.Millisecond
		maxWait = 2 * time.Minute
		idle    = 0.05 // CPU seconds per wall second
	)
	deadline := time.Now().Add(maxWait)
	tick := time.NewTicker(window)
	defer tick.Stop()
	last, at := cpuTime(tb), time.Now()
	for range tick.C {
		now, t := cpuTime(tb), time.Now()
		if float64(now-last)/float64(t.Sub(at)) < idle {
			return
		}
		if t.After(deadline) {
			tb.Logf("still busy after %s; measuring anyway", maxWait)
			return
		}
		last, at = now, t
	}
}

func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchQuery runs one GraphQL request per iteration through the whole HTTP
// handler (authentication, parsing, validation, limits, resolvers,
// dataloaders, services), without a network.
func benchQuery(b *testing.B, s *stack, token, query string) {
	b.Helper()
	body, err := json.Marshal(map[string]any{"query": query})
	require.NoError(b, err)
	// One request outside the timer: checks the answer and warms caches.
	res := s.do(b, token, query, nil)
	require.Empty(b, res.Errors, res.String())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		s.server.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

const browseQuery = `{ videos(first: 20) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id title releaseYear durationSeconds ageRating
    categories { id name } genres { id name } cast { id name type } myTags } } } }`

// BenchmarkBrowseQuery is the home page: the newest 20 videos with their
// categories, genres and cast, over a seeded catalog of 1k videos.
func BenchmarkBrowseQuery(b *testing.B) {
	s := newStack(b, stackOptions{quiet: true})
	seedCatalog(b, s)
	waitIdle(b)
	b.Run("anonymous", func(b *testing.B) { benchQuery(b, s, "", browseQuery) })
	b.Run("viewer", func(b *testing.B) { benchQuery(b, s, s.viewer.token, browseQuery) })
}

const searchQuery = `{ search(query: "space odyssey", first: 20) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id title releaseYear categories { id name } genres { id name } cast { id name } } }
  facets { categories { category { id name } count } genres { genre { id name } count } years { year count } } } }`

// BenchmarkSearchQuery is a full-text search with facets over a seeded
// catalog of 1k videos.
func BenchmarkSearchQuery(b *testing.B) {
	s := newStack(b, stackOptions{quiet: true})
	seedCatalog(b, s)
	waitIdle(b)
	b.Run("anonymous", func(b *testing.B) { benchQuery(b, s, "", searchQuery) })
	b.Run("viewer", func(b *testing.B) { benchQuery(b, s, s.viewer.token, searchQuery) })
}
