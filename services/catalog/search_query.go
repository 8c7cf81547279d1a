package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/dflix/dflix/services/platform"
)

const (
	// maxSearchOffset bounds how deep search pages go.
	maxSearchOffset = 10000
	// facetSize bounds the values returned per facet.
	facetSize = 1000
	// looseBoost scales the boost of fuzzy and prefix matches, so that exact
	// and stemmed matches rank first.
	looseBoost = 0.5
	// minPrefixLen is the shortest last term matched as a prefix.
	minPrefixLen = 2
)

// Search is full-text search over title, description, cast names and tags:
// stemmed in English, Spanish and Portuguese, typo tolerant, with the last
// term matched as a prefix while typing. Hits come best first (ties by id)
// and are filtered by the filter and by what the caller may see; the facets
// count all hits.
//
// Errors: KindInvalid for an empty query, one longer than MaxQueryLen, a
// malformed filter, page size or cursor.
func (s *Service) Search(ctx context.Context, req SearchRequest) (SearchResponse, error) {
	resp, err := s.search(ctx, req)
	return resp, op(MethodSearch, err)
}

func (s *Service) search(ctx context.Context, req SearchRequest) (SearchResponse, error) {
	text, err := cleanQuery(req.Query)
	if err != nil {
		return SearchResponse{}, err
	}
	filter, err := checkFilter(req.Filter)
	if err != nil {
		return SearchResponse{}, err
	}
	page, err := checkPage(req.Page)
	if err != nil {
		return SearchResponse{}, err
	}
	offset, err := decodeOffset(page.After)
	if err != nil {
		return SearchResponse{}, err
	}
	if offset > maxSearchOffset {
		return SearchResponse{}, invalid("search pages through at most %d hits", maxSearchOffset)
	}
	admin := req.Caller.IsAdmin()
	res, err := s.index.idx.SearchInContext(ctx, s.searchRequest(text, filter, admin, page.First, offset))
	if err != nil {
		if ctx.Err() != nil {
			return SearchResponse{}, ctx.Err()
		}
		return SearchResponse{}, platform.E(platform.KindInternal, "search failed", err)
	}
	p := VideoPage{Videos: []Video{}, Cursors: []string{}, TotalCount: int(res.Total)}
	for i, hit := range res.Hits {
		if v, ok := s.proj.get(hit.ID, admin); ok {
			p.Videos = append(p.Videos, v)
			p.Cursors = append(p.Cursors, encodeOffset(offset+i+1))
		}
	}
	p.HasNextPage = uint64(offset+len(res.Hits)) < res.Total
	return SearchResponse{Page: p, Facets: facetsOf(res.Facets)}, nil
}

// roundedScore sorts hits by their score rounded to 12 decimals. Scores of
// equally relevant videos can differ in the last bits, depending on how the
// index was built (summation order), so raw scores would break their ties
// differently after a restart or on another replica; rounded, they tie and
// the id decides.
type roundedScore struct{ desc bool }

func (s *roundedScore) UpdateVisitor(string, []byte)         {}
func (s *roundedScore) Value(d *search.DocumentMatch) string { return fmt.Sprintf("%030.12f", d.Score) }
func (s *roundedScore) DecodeValue(v string) string          { return v }
func (s *roundedScore) Descending() bool                     { return s.desc }
func (s *roundedScore) RequiresDocID() bool                  { return false }
func (s *roundedScore) RequiresScoring() bool                { return false } // the raw score must not be compared
func (s *roundedScore) RequiresFields() []string             { return nil }
func (s *roundedScore) Reverse()                             { s.desc = !s.desc }
func (s *roundedScore) Copy() search.SearchSort              { c := *s; return &c }

// searchRequest asks for size hits from offset on, best first, with the
// facets.
func (s *Service) searchRequest(text string, f VideoFilter, admin bool, size, offset int) *bleve.SearchRequest {
	sr := bleve.NewSearchRequestOptions(s.searchQuery(text, f, admin), size, offset, false)
	sr.SortByCustom(search.SortOrder{&roundedScore{desc: true}, &search.SortDocID{}})
	for _, field := range []string{fieldCategories, fieldGenres, fieldYear} {
		sr.AddFacet(field, bleve.NewFacetRequest(field, facetSize))
	}
	return sr
}

// cleanQuery trims a query and checks its length.
func cleanQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", invalid("query is required")
	case !utf8.ValidString(q):
		return "", invalid("query is not valid UTF-8")
	case utf8.RuneCountInString(q) > MaxQueryLen:
		return "", invalid("query must be at most %d characters", MaxQueryLen)
	}
	return q, nil
}

// searchQuery is the text query, restricted by the filter and, for
// non-admins, to published videos; the restrictions do not score.
func (s *Service) searchQuery(text string, f VideoFilter, admin bool) query.Query {
	var filters []query.Query
	term := func(field, value string) {
		q := bleve.NewTermQuery(value)
		q.SetField(field)
		filters = append(filters, q)
	}
	for _, t := range []struct{ field, value string }{
		{fieldCategories, f.CategoryID}, {fieldGenres, f.GenreID}, {fieldCast, f.CastMemberID}, {fieldRating, string(f.AgeRating)},
	} {
		if t.value != "" {
			term(t.field, t.value)
		}
	}
	if f.Year != 0 {
		term(fieldYear, strconv.Itoa(f.Year))
	}
	if !admin {
		term(fieldPublished, "true")
	}
	q := bleve.NewBooleanQuery()
	q.AddMust(s.textQuery(text))
	if len(filters) > 0 {
		q.AddFilter(bleve.NewConjunctionQuery(filters...))
	}
	return q
}

// textQuery matches text in every text field: analyzed by each language
// analyzer and the standard one, each term fuzzily by its length, and the
// last term as a prefix.
func (s *Service) textQuery(text string) query.Query {
	fuzzy := s.fuzzyTerms(text)
	last := lastTerm(text)
	var qs []query.Query
	for _, f := range textFields {
		for _, a := range textAnalyzers {
			q := bleve.NewMatchQuery(text)
			q.SetField(f.name + "_" + a.suffix)
			q.Analyzer = a.analyzer // the mapping cannot tell it from the sub-field name
			q.SetBoost(f.boost)
			qs = append(qs, q)
		}
		std := f.name + "_std"
		for _, t := range fuzzy {
			q := bleve.NewFuzzyQuery(t)
			q.SetField(std)
			q.SetFuzziness(fuzziness(t))
			q.SetBoost(f.boost * looseBoost)
			qs = append(qs, q)
		}
		if utf8.RuneCountInString(last) >= minPrefixLen {
			q := bleve.NewPrefixQuery(last)
			q.SetField(std)
			q.SetBoost(f.boost * looseBoost)
			qs = append(qs, q)
		}
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// fuzzyTerms returns the terms of text, as the standard analyzer makes them
// (lowercase, English stop words dropped), that are long enough to match
// with typos.
func (s *Service) fuzzyTerms(text string) []string {
	analyzer := s.index.idx.Mapping().AnalyzerNamed(standard.Name)
	if analyzer == nil {
		return nil
	}
	tokens := analyzer.Analyze([]byte(text))
	var out []string
	for _, t := range tokens {
		if term := string(t.Term); fuzziness(term) > 0 && !slices.Contains(out, term) {
			out = append(out, term)
		}
	}
	return out
}

// fuzziness is the edit distance allowed for a term: 1 from 4 characters
// on, 2 from 8.
func fuzziness(term string) int {
	switch n := utf8.RuneCountInString(term); {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// lastTerm returns the last run of letters and digits of text, lowercased.
func lastTerm(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return ""
	}
	return strings.ToLower(words[len(words)-1])
}

// facetsOf turns bleve's facets into ours, most frequent first (ties by
// value).
func facetsOf(fr search.FacetResults) Facets {
	return Facets{
		Categories: facetValues(fr[fieldCategories]),
		Genres:     facetValues(fr[fieldGenres]),
		Years:      facetValues(fr[fieldYear]),
	}
}

func facetValues(r *search.FacetResult) []FacetValue {
	out := []FacetValue{}
	if r == nil || r.Terms == nil {
		return out
	}
	for _, t := range r.Terms.Terms() {
		out = append(out, FacetValue{Value: t.Term, Count: t.Count})
	}
	slices.SortFunc(out, func(a, b FacetValue) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out
}
