package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// SearchResults are the figures of the search section: the catalog's own
// search (bleve, in process, as a catalog replica serves Search) against
// PostgreSQL full-text search (a GIN index on the same documents, over
// loopback TCP, as an application would query it), on generated catalogs.
type SearchResults struct {
	Postgres string `json:"postgres"` // the server's version
	// PostgresStarted tells whether the run started PostgreSQL (and stopped
	// it at the end) rather than finding it running.
	PostgresStarted bool `json:"postgresStarted"`
	// TextConfig is the text search configuration of the PostgreSQL side.
	TextConfig string       `json:"textSearchConfig"`
	Latency    LoadSpec     `json:"latencyLoad"`
	Mix        LoadSpec     `json:"mixLoad"`
	Sizes      []SearchSize `json:"sizes"`
	// Growth compares the largest catalog with the smallest.
	Growth  *SearchGrowth `json:"growth,omitempty"`
	Seconds float64       `json:"seconds"`
}

// SearchGrowth is how the figures grew from the smallest catalog to the
// largest: ready times as ratios, latencies as geometric means of each
// query's p50 ratio, over the queries comparable at both sizes.
type SearchGrowth struct {
	From       int     `json:"from"`
	To         int     `json:"to"`
	Videos     float64 `json:"videos"`
	DflixReady float64 `json:"dflixReady"`
	PGReady    float64 `json:"postgresReady"`
	DflixP50   float64 `json:"dflixP50"`
	PGP50      float64 `json:"postgresP50"`
}

// SearchSize is one catalog size.
type SearchSize struct {
	Videos          int           `json:"videos"`
	Published       int           `json:"published"`
	GenerateSeconds float64       `json:"generateSeconds"`
	Dflix           DflixReady    `json:"dflix"`
	Postgres        PGReady       `json:"postgres"`
	Queries         []SearchQuery `json:"queries"`
	// Mix is both engines at two workers, each request the next query of
	// the set: throughput and CPU on both cores.
	Mix Comparison `json:"mix"`
	// Comparable counts the queries both engines found about as many
	// videos for (within 2×): the same question answered. GeoRatioP50 and
	// GeoRatioP99 are the geometric means over them of PostgreSQL's latency
	// over dflix's; DflixFaster counts those whose median dflix answered
	// faster. A query one engine found far fewer videos for is fast there
	// for having less to rank, which says nothing about the engine.
	Comparable  int     `json:"comparableQueries"`
	GeoRatioP50 float64 `json:"geoMeanRatioP50"`
	GeoRatioP99 float64 `json:"geoMeanRatioP99"`
	DflixFaster int     `json:"dflixFasterP50"`
	// FewestRequests is the fewest answers one engine gave to one query in
	// all its rounds: with fewer than 100 a p99 is near the maximum.
	FewestRequests int `json:"fewestRequests"`
	// SettleSeconds is how long after both were ready the measuring
	// process and PostgreSQL took to fall idle (bleve merges its segments
	// in the background, PostgreSQL writes out the load): the queries wait
	// for it, so neither engine is measured against the other's leftovers.
	SettleSeconds float64 `json:"settleSeconds"`
	// OtherCoresBusy is how many cores, on average, work other than this
	// process and PostgreSQL kept busy from the replica's start to the end
	// of the queries: zero on a quiet machine.
	OtherCoresBusy float64 `json:"otherCoresBusy"`
	// ReadyRatio is PostgreSQL's load, index and vacuum time over dflix's
	// ready time.
	ReadyRatio float64 `json:"readyRatio"`
	Seconds    float64 `json:"seconds"`
}

// DflixReady is what a new catalog replica took to become ready: catalog.New
// reads every entity from the state (here the embedded bbolt store, just
// written, so from the page cache), builds the in-memory projection and
// indexes every video into a fresh bleve index.
type DflixReady struct {
	ReadySeconds float64 `json:"readySeconds"`
	// HeapMiB is the Go heap the replica holds once ready (after a GC);
	// PeakRSSMiB how far the process's resident set rose while it started.
	HeapMiB    float64 `json:"heapMiB"`
	PeakRSSMiB float64 `json:"peakRssGrowthMiB"`
	IndexMiB   float64 `json:"indexDiskMiB"`
}

// PGReady is what PostgreSQL took to hold the same documents: COPY (which
// computes each row's tsvector), CREATE INDEX ... USING GIN and VACUUM
// (ANALYZE), as one does after a bulk load: it gathers the planner's
// statistics and sets the hint bits and visibility map the first queries
// would otherwise set (and write) themselves.
type PGReady struct {
	LoadSeconds   float64 `json:"loadSeconds"`
	IndexSeconds  float64 `json:"indexSeconds"`
	VacuumSeconds float64 `json:"vacuumAnalyzeSeconds"`
	ReadySeconds  float64 `json:"readySeconds"` // the three summed
	TableMiB      float64 `json:"tableMiB"`
	IndexMiB      float64 `json:"indexMiB"`
}

// SearchQuery is one query asked of both engines, with what each found.
type SearchQuery struct {
	Name     string `json:"name"`
	Query    string `json:"query"`
	Category string `json:"category,omitempty"` // the category filter's name
	Page     int    `json:"page"`
	TSQuery  string `json:"tsquery"` // what PostgreSQL was asked
	// Lexemes is the tsquery as PostgreSQL parsed it: stemmed, stop words
	// dropped.
	Lexemes string `json:"lexemes"`
	// Hits are each engine's total matches; Overlap how many videos the two
	// pages of 20 share; HitsRatio is PostgreSQL's hits over dflix's.
	DflixHits int     `json:"dflixHits"`
	PGHits    int     `json:"postgresHits"`
	HitsRatio float64 `json:"hitsRatio"`
	Overlap   int     `json:"pageOverlap"`
	// Comparison has A = dflix and B = PostgreSQL, so its ratios are
	// PostgreSQL over dflix.
	Comparison Comparison `json:"comparison"`
}

// searchConfig is PostgreSQL's text search configuration: 'english' stems
// and drops stop words like the catalog's English analyzer, which is the
// one its English queries match through; 'simple' would not match
// "running" with "run". (The catalog also analyzes Spanish and Portuguese;
// one tsvector has one configuration.)
const searchConfig = "english"

// searchTable is the PostgreSQL table of the run, in the dflix database.
const searchTable = "dflixbench_search"

// pageSize is the size of a search page, the API's default.
const pageSize = catalog.DefaultPageSize

// The queries, as a viewer types them.
var searchQueries = []struct {
	name, text string
	category   bool // filtered by the first category
	page       int
}{
	{"one word", "interstellar", false, 1},
	{"two words", "haunted house", false, 1},
	{"stemmed word", "running", false, 1},
	{"as-you-type prefix", "gal", false, 1},
	// A typo at the end of a word, and one inside it: PostgreSQL matches
	// the first through the prefix of its stem ('interstel':*), not by
	// tolerating typos.
	{"typo at the end", "intersteller", false, 1},
	{"typo inside", "interstelar", false, 1},
	{"three words, category filter", "space robot rebels", true, 1},
	{"long-tail word", catalog.LongTailWord(1658), false, 1},
	{"common word, second page", "love", false, 2},
}

func runSearch(ctx context.Context, env *Env, res *Results) error {
	began := time.Now()
	out := &SearchResults{
		TextConfig: searchConfig,
		Latency:    pick(env, LoadSpec{Concurrency: 1, Rounds: 4, Duration: time.Second, Warmup: 200 * time.Millisecond}, LoadSpec{Concurrency: 1, Rounds: 2, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond}),
		Mix:        pick(env, LoadSpec{Concurrency: 2, Rounds: 4, Duration: 1500 * time.Millisecond, Warmup: 300 * time.Millisecond}, LoadSpec{Concurrency: 2, Rounds: 2, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond}),
	}
	out.Latency.DurationS, out.Mix.DurationS = out.Latency.Duration.Seconds(), out.Mix.Duration.Seconds()
	res.Search = out
	pool, stop, err := startPostgres(ctx, env, out)
	if err != nil {
		return err
	}
	defer stop()
	pg, err := postgresProcs(ctx, pool)
	if err != nil {
		return err
	}
	for _, n := range pick(env, []int{10_000, 100_000}, []int{2_000}) {
		size, err := searchSize(ctx, env, pool, pg, n, out)
		if err != nil {
			return fmt.Errorf("search, %d videos: %w", n, err)
		}
		out.Sizes = append(out.Sizes, size)
	}
	out.Growth = growth(out.Sizes)
	out.Seconds = round1(time.Since(began).Seconds())
	return nil
}

// startPostgres starts the repository's PostgreSQL when it is not running
// and connects; stop closes the pool and stops PostgreSQL if it started it.
func startPostgres(ctx context.Context, env *Env, out *SearchResults) (*pgxpool.Pool, func(), error) {
	_, err := env.script(ctx, "infra.sh", "status", "postgres")
	out.PostgresStarted = err != nil
	if _, err := env.script(ctx, "infra.sh", "up", "postgres"); err != nil {
		return nil, nil, err
	}
	// "postgres   running  127.0.0.1:15432"
	status, err := env.script(ctx, "infra.sh", "status", "postgres")
	if err != nil {
		return nil, nil, fmt.Errorf("postgres not running after infra.sh up: %w", err)
	}
	stopPG := func() {
		if !out.PostgresStarted {
			return
		}
		// ctx may be over already: the stop gets its own time.
		sctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if _, err := env.script(sctx, "infra.sh", "down", "postgres"); err != nil {
			env.Log.Warn("search: stop postgres", "err", err)
		}
	}
	f := strings.Fields(status)
	if len(f) != 3 {
		stopPG()
		return nil, nil, fmt.Errorf("postgres address: unexpected status %q", status)
	}
	addr := f[2]
	cfg, err := pgxpool.ParseConfig("postgres://postgres@" + addr + "/dflix?sslmode=disable")
	if err != nil {
		stopPG()
		return nil, nil, fmt.Errorf("postgres config: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.QueryRow(ctx, "SELECT 'PostgreSQL ' || current_setting('server_version')").Scan(&out.Postgres)
	}
	if err != nil {
		stopPG()
		return nil, nil, fmt.Errorf("connect to postgres at %s: %w", addr, err)
	}
	return pool, func() { pool.Close(); stopPG() }, nil
}

// postgresProcs is this process, which drives both engines, and every
// PostgreSQL server process.
func postgresProcs(ctx context.Context, pool *pgxpool.Pool) (ProcSet, error) {
	var backend int
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return ProcSet{}, fmt.Errorf("postgres backend: %w", err)
	}
	// A backend's parent is the postmaster, the root of every server process.
	st, err := readStat(backend)
	if err != nil {
		return ProcSet{}, fmt.Errorf("postgres postmaster: %w", err)
	}
	return ProcSet{Roots: []int{os.Getpid(), st.ppid}}, nil
}

// searchSize measures one catalog size: generate, make both engines ready,
// then ask both every query.
func searchSize(ctx context.Context, env *Env, pool *pgxpool.Pool, pg ProcSet, n int, out *SearchResults) (SearchSize, error) {
	began := time.Now()
	size := SearchSize{Videos: n}
	dir := filepath.Join(env.Work, "search", fmt.Sprint(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return size, err
	}
	defer os.RemoveAll(dir)
	state, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	if err != nil {
		return size, fmt.Errorf("open state: %w", err)
	}
	defer state.Close()
	t := time.Now()
	gen, err := catalog.Generate(ctx, state, n, uint64(n))
	if err != nil {
		return size, fmt.Errorf("generate: %w", err)
	}
	size.GenerateSeconds = round3(time.Since(t).Seconds())
	for _, v := range gen.Videos {
		if v.Published {
			size.Published++
		}
	}
	env.Log.Info("search: catalog generated", "videos", n, "took", time.Since(t).Round(time.Millisecond))

	busy0, used0, t0 := machineBusySeconds(), pg.Usage().CPUSeconds, time.Now()
	svc, ready, err := startReplica(ctx, env, state, filepath.Join(dir, "index"))
	if err != nil {
		return size, err
	}
	defer svc.Close()
	size.Dflix = ready
	env.Log.Info("search: catalog replica ready", "videos", n, "seconds", ready.ReadySeconds)

	defer dropTable(env, pool)
	if size.Postgres, err = loadPostgres(ctx, pool, gen); err != nil {
		return size, err
	}
	env.Log.Info("search: postgres loaded and indexed", "videos", n, "seconds", size.Postgres.ReadySeconds)
	size.ReadyRatio = ratio(size.Postgres.ReadySeconds, size.Dflix.ReadySeconds)

	engines, err := newSearchEngines(ctx, svc, pool, pg, gen)
	if err != nil {
		return size, err
	}
	settled, err := settle(ctx, engines.pg, pick(env, time.Minute, 10*time.Second))
	if err != nil {
		return size, err
	}
	size.SettleSeconds = round1(settled.Seconds())
	for i := range searchQueries {
		q, err := engines.measure(ctx, i, out.Latency)
		if err != nil {
			return size, err
		}
		size.Queries = append(size.Queries, q)
		env.Log.Info("search: query", "videos", n, "query", q.Name, "dflix_p50_ms", q.Comparison.A.Summary.P50Ms, "postgres_p50_ms", q.Comparison.B.Summary.P50Ms)
	}
	if size.Mix, err = compare(ctx, "query mix", out.Mix, engines.mixTarget("dflix", engines.dflix), engines.mixTarget("PostgreSQL", engines.postgres)); err != nil {
		return size, err
	}
	busy, used := machineBusySeconds()-busy0, pg.Usage().CPUSeconds-used0
	size.OtherCoresBusy = round3(max(busy-used, 0) / time.Since(t0).Seconds())
	size.Comparable, size.GeoRatioP50, size.GeoRatioP99, size.DflixFaster = geoRatios(size.Queries)
	size.FewestRequests = fewestRequests(size.Queries)
	size.Seconds = round1(time.Since(began).Seconds())
	return size, nil
}

// startReplica times catalog.New over state, and measures the memory the
// replica took.
func startReplica(ctx context.Context, env *Env, state platform.State, indexDir string) (*catalog.Service, DflixReady, error) {
	if err := os.MkdirAll(indexDir, 0o755); err != nil {
		return nil, DflixReady{}, err
	}
	var before, after runtime.MemStats
	debug.FreeOSMemory()
	runtime.ReadMemStats(&before)
	// Writing 5 to clear_refs resets VmHWM to the current RSS, so the peak
	// read after New is New's own.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	rss, _ := readMem(os.Getpid())
	t := time.Now()
	svc, err := catalog.New(ctx, catalog.Config{IndexDir: indexDir}, state, discardEvents{}, nil, env.Log.With("section", "search"))
	if err != nil {
		return nil, DflixReady{}, fmt.Errorf("catalog replica: %w", err)
	}
	took := time.Since(t)
	_, hwm := readMem(os.Getpid())
	runtime.GC()
	runtime.ReadMemStats(&after)
	r := DflixReady{
		ReadySeconds: round3(took.Seconds()),
		HeapMiB:      round1(float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / (1 << 20)),
		PeakRSSMiB:   round1(hwm - rss),
		IndexMiB:     round1(float64(dirBytes(indexDir)) / (1 << 20)),
	}
	return svc, r, nil
}

// settle waits until procs use less than a tenth of a core over half a
// second, or until limit, and returns how long it waited.
func settle(ctx context.Context, procs ProcSet, limit time.Duration) (time.Duration, error) {
	const (
		window = 500 * time.Millisecond
		idle   = 0.1 // of a core
	)
	began := time.Now()
	last := procs.Usage().CPUSeconds
	for time.Since(began) < limit {
		select {
		case <-ctx.Done():
			return time.Since(began), ctx.Err()
		case <-time.After(window):
		}
		now := procs.Usage().CPUSeconds
		if now-last < idle*window.Seconds() {
			break
		}
		last = now
	}
	return time.Since(began), nil
}

// discardEvents is the replica's publisher: the section writes nothing.
type discardEvents struct{}

func (discardEvents) Publish(context.Context, platform.Event) error { return nil }

// dirBytes sums the sizes of the files under dir.
func dirBytes(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// loadPostgres creates the table, copies the documents in, builds the GIN
// index and vacuums. The tsvector weights mirror the catalog's boosts:
// title A, cast names and tags B, description C; searchRank weighs them
// 4:2:1 like the catalog.
func loadPostgres(ctx context.Context, pool *pgxpool.Pool, gen catalog.Generated) (PGReady, error) {
	var r PGReady
	create := fmt.Sprintf(`DROP TABLE IF EXISTS %[1]s;
CREATE TABLE %[1]s (
	id text NOT NULL, title text NOT NULL, description text NOT NULL,
	cast_names text NOT NULL, tags text NOT NULL, category_ids text[] NOT NULL,
	published boolean NOT NULL, release_year int NOT NULL,
	doc tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('%[2]s', title), 'A') ||
		setweight(to_tsvector('%[2]s', cast_names || ' ' || tags), 'B') ||
		setweight(to_tsvector('%[2]s', description), 'C')) STORED)`, searchTable, searchConfig)
	t := time.Now()
	if _, err := pool.Exec(ctx, create); err != nil {
		return r, fmt.Errorf("create table: %w", err)
	}
	cols := []string{"id", "title", "description", "cast_names", "tags", "category_ids", "published", "release_year"}
	rows := pgx.CopyFromSlice(len(gen.Videos), func(i int) ([]any, error) {
		v := &gen.Videos[i]
		return []any{v.ID, v.Title, v.Description, strings.Join(v.CastNames, " "), strings.Join(v.Tags, " "), v.CategoryIDs, v.Published, v.ReleaseYear}, nil
	})
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{searchTable}, cols, rows); err != nil {
		return r, fmt.Errorf("copy: %w", err)
	}
	r.LoadSeconds = round3(time.Since(t).Seconds())
	t = time.Now()
	if _, err := pool.Exec(ctx, fmt.Sprintf("CREATE INDEX %[1]s_doc ON %[1]s USING GIN (doc)", searchTable)); err != nil {
		return r, fmt.Errorf("create index: %w", err)
	}
	r.IndexSeconds = round3(time.Since(t).Seconds())
	t = time.Now()
	if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) "+searchTable); err != nil {
		return r, fmt.Errorf("vacuum: %w", err)
	}
	r.VacuumSeconds = round3(time.Since(t).Seconds())
	r.ReadySeconds = round3(r.LoadSeconds + r.IndexSeconds + r.VacuumSeconds)
	var table, index int64
	err := pool.QueryRow(ctx, fmt.Sprintf("SELECT pg_table_size('%[1]s'), pg_relation_size('%[1]s_doc')", searchTable)).Scan(&table, &index)
	if err != nil {
		return r, fmt.Errorf("sizes: %w", err)
	}
	r.TableMiB, r.IndexMiB = round1(float64(table)/(1<<20)), round1(float64(index)/(1<<20))
	return r, nil
}

// dropTable removes the run's table, also after a failure.
func dropTable(env *Env, pool *pgxpool.Pool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS "+searchTable); err != nil {
		env.Log.Warn("search: drop table", "err", err)
	}
}

// tsQuery is PostgreSQL's form of the catalog's query: the catalog matches
// any term (bleve's match query ORs them) and the last term also as a
// prefix, so PostgreSQL is asked 'a | b | c:*'. (websearch_to_tsquery
// would AND the terms: fewer hits than the catalog's.)
func tsQuery(text string) string {
	terms := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(terms) == 0 {
		return ""
	}
	terms[len(terms)-1] += ":*"
	return strings.Join(terms, " | ")
}

// growth compares the last size with the first; nil for one size.
func growth(sizes []SearchSize) *SearchGrowth {
	if len(sizes) < 2 {
		return nil
	}
	a, b := sizes[0], sizes[len(sizes)-1]
	var d, p []float64
	for i := range min(len(a.Queries), len(b.Queries)) {
		if !a.Queries[i].Comparable() || !b.Queries[i].Comparable() {
			continue
		}
		d = append(d, ratio(b.Queries[i].Comparison.A.Summary.P50Ms, a.Queries[i].Comparison.A.Summary.P50Ms))
		p = append(p, ratio(b.Queries[i].Comparison.B.Summary.P50Ms, a.Queries[i].Comparison.B.Summary.P50Ms))
	}
	return &SearchGrowth{
		From: a.Videos, To: b.Videos, Videos: ratio(float64(b.Videos), float64(a.Videos)),
		DflixReady: ratio(b.Dflix.ReadySeconds, a.Dflix.ReadySeconds), PGReady: ratio(b.Postgres.ReadySeconds, a.Postgres.ReadySeconds),
		DflixP50: geoMean(d), PGP50: geoMean(p),
	}
}

// geoMean is the geometric mean of the positive xs, rounded; 0 for none.
func geoMean(xs []float64) float64 {
	var sum float64
	var n int
	for _, x := range xs {
		if x > 0 {
			sum, n = sum+math.Log(x), n+1
		}
	}
	if n == 0 {
		return 0
	}
	return round3(math.Exp(sum / float64(n)))
}

// geoRatios returns how many queries had comparable hits (Comparable),
// the geometric means of their p50 and p99 ratios, and how many of them
// dflix answered faster at the median.
func geoRatios(qs []SearchQuery) (n int, p50, p99 float64, dflixFaster int) {
	var r50, r99 []float64
	for _, q := range qs {
		if !q.Comparable() {
			continue
		}
		n++
		r50, r99 = append(r50, q.Comparison.Ratio.P50Ms), append(r99, q.Comparison.Ratio.P99Ms)
		if q.Comparison.Ratio.P50Ms > 1 {
			dflixFaster++
		}
	}
	return n, geoMean(r50), geoMean(r99), dflixFaster
}

// Comparable tells whether both engines found about as many videos for q
// (within 2×).
func (q SearchQuery) Comparable() bool {
	return q.DflixHits > 0 && q.HitsRatio >= 0.5 && q.HitsRatio <= 2
}

// fewestRequests is the fewest answers either engine gave one query.
func fewestRequests(qs []SearchQuery) int {
	fewest := 0
	for _, q := range qs {
		for _, n := range []int{q.Comparison.A.Summary.Requests, q.Comparison.B.Summary.Requests} {
			if fewest == 0 || n < fewest {
				fewest = n
			}
		}
	}
	return fewest
}

// Cell is s for a markdown table cell: a "|" would end the cell, even in
// a code span.
func (SearchQuery) Cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// searchEngines asks the queries of one catalog of either engine.
type searchEngines struct {
	svc  *catalog.Service
	pool *pgxpool.Pool
	// self is this process: dflix searches in it, and it drives both
	// engines; pg adds PostgreSQL's server processes.
	self, pg ProcSet
	reqs     []catalog.SearchRequest
	sqls     []string
	args     [][]any
	category string
	next     atomic.Uint64
}

// searchRank orders PostgreSQL's hits; the weights are {D, C, B, A}, so
// title, cast and tags, description weigh 1, 0.5, 0.25: 4:2:1, the
// catalog's boosts.
const searchRank = `ts_rank('{0.1, 0.25, 0.5, 1.0}', doc, q)`

func newSearchEngines(ctx context.Context, svc *catalog.Service, pool *pgxpool.Pool, pg ProcSet, gen catalog.Generated) (*searchEngines, error) {
	e := &searchEngines{svc: svc, pool: pool, self: ProcSet{Roots: []int{os.Getpid()}}, pg: pg}
	tax, err := svc.GetTaxonomy(ctx, catalog.GetTaxonomyRequest{CategoryIDs: gen.CategoryIDs[:1]})
	if err != nil {
		return nil, err
	}
	if len(tax.Categories) == 1 {
		e.category = tax.Categories[0].Name
	}
	for _, q := range searchQueries {
		req := catalog.SearchRequest{Caller: searchViewer, Query: q.text, Page: catalog.Page{First: pageSize}}
		where := "published AND doc @@ q"
		args := []any{tsQuery(q.text), pageSize, (q.page - 1) * pageSize}
		if q.category {
			req.Filter.CategoryID = gen.CategoryIDs[0]
			where += " AND $4 = ANY(category_ids)"
			args = append(args, gen.CategoryIDs[0])
		}
		if q.page > 1 {
			first, err := svc.Search(ctx, catalog.SearchRequest{Caller: searchViewer, Query: q.text, Filter: req.Filter, Page: catalog.Page{First: (q.page - 1) * pageSize}})
			if err != nil {
				return nil, err
			}
			if len(first.Page.Cursors) < (q.page-1)*pageSize {
				return nil, fmt.Errorf("query %q has fewer than %d hits: no page %d", q.text, (q.page-1)*pageSize, q.page)
			}
			req.Page.After = first.Page.Cursors[len(first.Page.Cursors)-1]
		}
		e.reqs = append(e.reqs, req)
		e.args = append(e.args, args)
		e.sqls = append(e.sqls, fmt.Sprintf(`SELECT id, title, description, count(*) OVER () AS total
FROM %s, to_tsquery('%s', $1) AS q WHERE %s ORDER BY %s DESC, id LIMIT $2 OFFSET $3`, searchTable, searchConfig, where, searchRank))
	}
	return e, nil
}

// searchViewer is the caller of every query: viewers see published videos.
var searchViewer = platform.Caller{UserID: "bench-viewer", Role: platform.RoleViewer}

// dflix asks query i of the catalog and returns the page's ids and the
// total hits.
func (e *searchEngines) dflix(ctx context.Context, i int) ([]string, int, error) {
	resp, err := e.svc.Search(ctx, e.reqs[i])
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(resp.Page.Videos))
	for j, v := range resp.Page.Videos {
		ids[j] = v.ID
	}
	return ids, resp.Page.TotalCount, nil
}

// postgres asks query i of PostgreSQL. The total rides on every row, so a
// page past the last hit has no total: -1.
func (e *searchEngines) postgres(ctx context.Context, i int) ([]string, int, error) {
	rows, err := e.pool.Query(ctx, e.sqls[i], e.args[i]...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ids []string
	total := -1
	for rows.Next() {
		var id, title, desc string
		var n int64
		if err := rows.Scan(&id, &title, &desc, &n); err != nil {
			return nil, 0, err
		}
		ids, total = append(ids, id), int(n)
	}
	return ids, total, rows.Err()
}

// pgCount counts PostgreSQL's hits of query i.
func (e *searchEngines) pgCount(ctx context.Context, i int) (int, error) {
	sql := e.sqls[i][strings.Index(e.sqls[i], "\nFROM"):strings.Index(e.sqls[i], " ORDER BY")]
	args := append([]any{e.args[i][0]}, e.args[i][3:]...)
	if len(args) > 1 {
		// $2 and $3 are gone: the filter's $4 becomes $2.
		sql = strings.Replace(sql, "$4", "$2", 1)
	}
	var n int
	err := e.pool.QueryRow(ctx, "SELECT count(*)"+sql, args...).Scan(&n)
	return n, err
}

type searchFunc func(ctx context.Context, i int) ([]string, int, error)

// target repeats query i and checks each answer's total against want.
func target(name string, procs ProcSet, ask searchFunc, i, want int) Target {
	return Target{Name: name, Procs: procs, Do: func(ctx context.Context) error {
		_, total, err := uncut(ctx, func(ctx context.Context) ([]string, int, error) { return ask(ctx, i) })
		if err == nil && total != want && total != -1 {
			err = fmt.Errorf("%w: %d, want %d", errHits, total, want)
		}
		return err
	}}
}

// mixTarget cycles through the queries, whichever worker asks.
func (e *searchEngines) mixTarget(name string, ask searchFunc) Target {
	procs := e.self
	if name != "dflix" {
		procs = e.pg
	}
	return Target{Name: name, Procs: procs, Do: func(ctx context.Context) error {
		i := int(e.next.Add(1) % uint64(len(e.reqs)))
		_, _, err := uncut(ctx, func(ctx context.Context) ([]string, int, error) { return ask(ctx, i) })
		return err
	}}
}

// uncut lets a query in flight when its round ends finish. pgx closes a
// connection whose query is cancelled, so cutting queries would make the
// next round start with a new connection: a new PostgreSQL backend that
// loads its caches and the stemmer's dictionaries and prepares the
// statement again, tens of milliseconds that belong to no query.
func uncut(ctx context.Context, ask func(context.Context) ([]string, int, error)) ([]string, int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return ask(ctx)
}

// measure asks query i of both engines once for their hits and pages, then
// in alternating rounds.
func (e *searchEngines) measure(ctx context.Context, i int, spec LoadSpec) (SearchQuery, error) {
	q := searchQueries[i]
	out := SearchQuery{Name: q.name, Query: q.text, Page: q.page, TSQuery: tsQuery(q.text)}
	if q.category {
		out.Category = e.category
	}
	dIDs, dHits, err := e.dflix(ctx, i)
	if err != nil {
		return out, fmt.Errorf("dflix, %s: %w", q.name, err)
	}
	pIDs, _, err := e.postgres(ctx, i)
	if err == nil {
		out.PGHits, err = e.pgCount(ctx, i)
	}
	if err == nil {
		err = e.pool.QueryRow(ctx, fmt.Sprintf("SELECT to_tsquery('%s', $1)::text", searchConfig), out.TSQuery).Scan(&out.Lexemes)
	}
	if err != nil {
		return out, fmt.Errorf("postgres, %s: %w", q.name, err)
	}
	out.DflixHits, out.HitsRatio = dHits, ratio(float64(out.PGHits), float64(dHits))
	for _, id := range pIDs {
		if slices.Contains(dIDs, id) {
			out.Overlap++
		}
	}
	out.Comparison, err = compare(ctx, q.name, spec,
		target("dflix", e.self, e.dflix, i, dHits), target("PostgreSQL", e.pg, e.postgres, i, out.PGHits))
	return out, err
}

var errHits = errors.New("unexpected hit count")
