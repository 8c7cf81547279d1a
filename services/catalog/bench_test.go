package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// benchVideos is the size of the generated catalog.
const benchVideos = 10_000

var benchWords = strings.Fields(`the quick brown fox jumps over lazy dog star wars interstellar
matrix running man woman city night light animal journey love war peace house dream shadow
river mountain ocean storm winter summer ghost king queen empire rebel space galaxy robot
heart secret island forest desert fire ice stone silver golden last first lost hidden
corazón noche ciudad viagem animais luces canción mujer cidade amor guerra`)

// nopPublisher drops events.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, platform.Event) error { return nil }

// seed writes a generated catalog straight into state, as the service
// would store it, in large transactions.
func seed(b *testing.B, state platform.State, n int) (cats, genres []string) {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	// One word in ten comes from benchWords (each then in about 5% of the
	// videos), the others from a long tail of made-up words.
	word := func() string {
		if r.IntN(10) == 0 {
			return benchWords[r.IntN(len(benchWords))]
		}
		return fmt.Sprintf("w%s", strconv.FormatInt(int64(r.IntN(20000)), 36))
	}
	text := func(words int) string {
		out := make([]string, words)
		for i := range out {
			out[i] = word()
		}
		return strings.Join(out, " ")
	}
	svc := &Service{state: state, cats: newCategories(state), genres: newGenres(state), casts: newCastMembers(state), videos: platform.NewKeySet(state, "videos", videoShards)}
	var cast []string
	set := func(key string, v any) platform.Op {
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return platform.Op{Key: key, Value: data}
	}
	put := func(ks *platform.KeySet, key string, id string, v any) []platform.Op {
		ops, err := ks.AddOps(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		return append(ops, set(key, v))
	}
	var ops []platform.Op
	for i := range 200 {
		id := uuid.NewString()
		switch {
		case i < 10:
			cats = append(cats, id)
			ops = append(ops, put(svc.cats.set, svc.cats.entityKey(id), id, Category{ID: id, Name: fmt.Sprintf("Category %d", i)})...)
		case i < 30:
			genres = append(genres, id)
			ops = append(ops, put(svc.genres.set, svc.genres.entityKey(id), id, Genre{ID: id, Name: fmt.Sprintf("Genre %d", i)})...)
		default:
			cast = append(cast, id)
			ops = append(ops, put(svc.casts.set, svc.casts.entityKey(id), id, CastMember{ID: id, Name: text(2), Type: CastActor})...)
		}
		if err := state.Transact(ctx, ops); err != nil {
			b.Fatal(err)
		}
		ops = ops[:0]
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ratings := []AgeRating{RatingG, RatingPG, RatingPG13, RatingR, RatingNC17}
	var ids []string
	for i := range n {
		id, _ := newID()
		at := start.Add(time.Duration(i) * time.Minute)
		v := Video{
			ID: id, Title: text(1 + r.IntN(4)), Description: text(20 + r.IntN(30)),
			ReleaseYear: 1950 + r.IntN(75), DurationSeconds: 3600, AgeRating: ratings[r.IntN(len(ratings))],
			CategoryIDs: []string{cats[r.IntN(len(cats))]}, GenreIDs: []string{genres[r.IntN(len(genres))], genres[r.IntN(len(genres))]},
			CastIDs: []string{cast[r.IntN(len(cast))], cast[r.IntN(len(cast))]}, Tags: []string{benchWords[r.IntN(len(benchWords))]},
			Status: StatusReady, Published: r.IntN(10) != 0, CreatedAt: at, UpdatedAt: at, Version: 1,
		}
		ops = append(ops, set(videoKey(id), v))
		ids = append(ids, id)
		if len(ids) >= 1000 || i == n-1 {
			setOps, err := svc.videos.AddOps(ctx, ids...)
			if err != nil {
				b.Fatal(err)
			}
			if err := state.Transact(ctx, append(ops, setOps...)); err != nil {
				b.Fatal(err)
			}
			ops, ids = ops[:0], ids[:0]
		}
	}
	return cats, genres
}

// benchService returns a service over a generated catalog of n videos.
func benchService(b *testing.B, n int) (*Service, []string, []string) {
	b.Helper()
	state, err := embedded.OpenState(filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = state.Close() })
	cats, genres := seed(b, state, n)
	start := time.Now()
	svc, err := New(context.Background(), Config{IndexDir: b.TempDir()}, state, nopPublisher{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	b.Logf("loaded %d videos and built the index in %v", n, time.Since(start).Round(time.Millisecond))
	return svc, cats, genres
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
		{"long tail word", SearchRequest{Caller: viewer, Query: "w1a2"}},
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
	seed(b, state, benchVideos)
	for b.Loop() {
		svc, err := New(context.Background(), Config{IndexDir: b.TempDir()}, state, nopPublisher{}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = svc.Close()
	}
}
