package catalog

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/pt"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
)

// The search index holds one document per video. Each text field is
// indexed four times, as sub-fields "<field>_<analyzer>": with the English,
// Spanish and Portuguese analyzers (stemming, stop words) and with the
// standard analyzer (for fuzzy and prefix matching). The keyword fields
// filter and facet.
//
// It is a scorch index in a scratch directory: scorch merges its segments in
// the background, which the purely in-memory variants do not (their search
// and update times grow with every change), and it indexes in batches about
// ten times faster than bleve.NewMemOnly. The state is the truth: the index
// is rebuilt from it at every start and removed at Close.

// The analyzers of the text sub-fields; std must stay the standard one.
var textAnalyzers = []struct{ suffix, analyzer string }{
	{"std", standard.Name},
	{"en", en.AnalyzerName},
	{"es", es.AnalyzerName},
	{"pt", pt.AnalyzerName},
}

// The text fields and their boosts.
var textFields = []struct {
	name  string
	boost float64
}{
	{"title", 4},
	{"cast", 2},
	{"tags", 2},
	{"description", 1},
}

// The keyword fields.
const (
	fieldCategories = "categoryIds"
	fieldGenres     = "genreIds"
	fieldCast       = "castIds"
	fieldYear       = "year"
	fieldRating     = "ageRating"
	fieldPublished  = "published"
)

// indexBatch bounds the documents indexed by one bleve batch, and
// rebuildWorkers is how many batches a rebuild has in flight.
const (
	indexBatch     = 5000
	rebuildWorkers = 2
)

// searchDoc is what the index holds for one video.
type searchDoc struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Cast        []string `json:"cast"`
	Tags        []string `json:"tags"`
	CategoryIDs []string `json:"categoryIds"`
	GenreIDs    []string `json:"genreIds"`
	CastIDs     []string `json:"castIds"`
	Year        string   `json:"year"`
	AgeRating   string   `json:"ageRating"`
	Published   string   `json:"published"`
}

// searchIndex is the bleve index with the lock that orders its updates.
type searchIndex struct {
	idx bleve.Index
	dir string
	mu  sync.Mutex // held while reindexing, so the latest projection wins
	// indexed holds a fingerprint of each video's indexed document: most
	// changes of a video (its media status, by the encoder's progress
	// events) leave the document as it was, and analyzing it again would
	// cost most of the handling of such an event.
	indexed map[string]uint64
	writes  int // documents written or deleted by reindex, for tests
}

// openSearchIndex creates an empty index in a fresh directory under parent
// (the system's temporary directory when empty).
func openSearchIndex(parent string) (*searchIndex, error) {
	dir, err := os.MkdirTemp(parent, "dflix-catalog-index-")
	if err != nil {
		return nil, fmt.Errorf("search index directory: %w", err)
	}
	idx, err := bleve.NewUsing(filepath.Join(dir, "index"), indexMapping(), scorch.Name, scorch.Name,
		map[string]any{"unsafe_batch": true})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open search index: %w", err)
	}
	return &searchIndex{idx: idx, dir: dir, indexed: map[string]uint64{}}, nil
}

// close closes the index and removes its directory.
func (x *searchIndex) close() error {
	err := x.idx.Close()
	if rerr := os.RemoveAll(x.dir); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("close search index: %w", err)
	}
	return nil
}

// indexMapping maps searchDoc: the text fields with one sub-field per
// analyzer, the keyword fields with doc values for facets. Nothing is
// stored: hits are resolved against the projection.
func indexMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range textFields {
		var subs []*mapping.FieldMapping
		for _, a := range textAnalyzers {
			fm := bleve.NewTextFieldMapping()
			fm.Name, fm.Analyzer = f.name+"_"+a.suffix, a.analyzer
			fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = false, false, false, false
			subs = append(subs, fm)
		}
		doc.AddFieldMappingsAt(f.name, subs...)
	}
	for _, name := range []string{fieldCategories, fieldGenres, fieldCast, fieldYear, fieldRating, fieldPublished} {
		fm := bleve.NewKeywordFieldMapping()
		fm.Analyzer, fm.Store, fm.IncludeInAll = keyword.Name, false, false
		doc.AddFieldMappingsAt(name, fm)
	}
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping()) // no composite field: every query names its fields
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = standard.Name
	return m
}

// searchDoc builds the document of v; cast ids are resolved to names.
func (s *Service) searchDoc(v *Video) searchDoc {
	names := []string{}
	for _, c := range s.casts.pick(v.CastIDs) {
		names = append(names, c.Name)
	}
	return searchDoc{
		Title: v.Title, Description: v.Description, Cast: names, Tags: v.Tags,
		CategoryIDs: v.CategoryIDs, GenreIDs: v.GenreIDs, CastIDs: v.CastIDs,
		Year: strconv.Itoa(v.ReleaseYear), AgeRating: string(v.AgeRating),
		Published: strconv.FormatBool(v.Published),
	}
}

// fingerprint identifies the document's content: equal fingerprints index
// alike.
func (d searchDoc) fingerprint() uint64 {
	b, _ := json.Marshal(d) // plain strings and slices: cannot fail
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// searchDocs builds the documents of videos, by id.
func (s *Service) searchDocs(videos []Video) map[string]searchDoc {
	docs := make(map[string]searchDoc, len(videos))
	for i := range videos {
		docs[videos[i].ID] = s.searchDoc(&videos[i])
	}
	return docs
}

// rebuild indexes docs into the (empty) index in batches, two at a time:
// while scorch builds one batch's segment, the next batch is analyzed.
func (x *searchIndex) rebuild(docs map[string]searchDoc) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	batches := make(chan *bleve.Batch)
	errs := make(chan error, rebuildWorkers)
	for range rebuildWorkers {
		go func() {
			var first error
			for b := range batches {
				if err := x.idx.Batch(b); err != nil && first == nil {
					first = fmt.Errorf("index batch: %w", err)
				}
			}
			errs <- first
		}()
	}
	err := x.fill(docs, batches)
	close(batches)
	for range rebuildWorkers {
		if werr := <-errs; err == nil {
			err = werr
		}
	}
	return err
}

// fill sends docs to batches in batches of indexBatch documents.
func (x *searchIndex) fill(docs map[string]searchDoc, batches chan<- *bleve.Batch) error {
	b := x.idx.NewBatch()
	for id, doc := range docs {
		x.indexed[id] = doc.fingerprint()
		if err := b.Index(id, doc); err != nil {
			return fmt.Errorf("index video %s: %w", id, err)
		}
		if b.Size() >= indexBatch {
			batches <- b
			b = x.idx.NewBatch()
		}
	}
	if b.Size() > 0 {
		batches <- b
	}
	return nil
}

// reindex brings the index entries of the videos ids in line with the
// projection: each is indexed as currently projected, or removed when it is
// no longer there. Calls are serialized and read the projection under the
// index lock, so concurrent calls leave the latest state indexed whatever
// order they run in. A failure is logged: the index then lags until the
// next change of that video or the next start.
func (s *Service) reindex(ids ...string) {
	if len(ids) == 0 {
		return
	}
	x := s.index
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.idx.NewBatch()
	var batched []string
	for _, id := range ids {
		s.proj.mu.RLock()
		e, ok := s.proj.videos[id]
		s.proj.mu.RUnlock()
		if !ok {
			b.Delete(id)
			delete(x.indexed, id)
			x.writes++
			continue
		}
		doc := s.searchDoc(&e.v)
		fp := doc.fingerprint()
		if prev, ok := x.indexed[id]; ok && prev == fp {
			continue
		}
		if err := b.Index(id, doc); err != nil {
			s.log.Error("catalog: index video", "video_id", id, "err", err)
			continue
		}
		x.indexed[id] = fp
		batched = append(batched, id)
		x.writes++
	}
	if b.Size() == 0 {
		return
	}
	if err := x.idx.Batch(b); err != nil {
		s.log.Error("catalog: index batch", "videos", len(ids), "err", err)
		for _, id := range batched {
			delete(x.indexed, id) // not indexed after all: the next change must index it
		}
	}
}
