package graph

import (
	"context"
	"strconv"

	"github.com/dflix/dflix/bff/loader"
	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/catalog"
)

// facets turns the catalog's counts by id into categories and genres (one
// loader batch for both); ids deleted since indexing are left out.
func facets(ctx context.Context, l *loader.Loaders, raw catalog.Facets) (*model.SearchFacets, error) {
	cats, genres, err := l.CategoriesAndGenres(ctx, values(raw.Categories), values(raw.Genres))
	if err != nil {
		return nil, err
	}
	catCount, genreCount := counts(raw.Categories), counts(raw.Genres)
	out := &model.SearchFacets{
		Categories: make([]*model.CategoryFacet, 0, len(cats)),
		Genres:     make([]*model.GenreFacet, 0, len(genres)),
		Years:      make([]*model.YearFacet, 0, len(raw.Years)),
	}
	for _, c := range cats {
		out.Categories = append(out.Categories, &model.CategoryFacet{Category: c, Count: catCount[c.ID]})
	}
	for _, g := range genres {
		out.Genres = append(out.Genres, &model.GenreFacet{Genre: g, Count: genreCount[g.ID]})
	}
	for _, y := range raw.Years {
		if year, err := strconv.Atoi(y.Value); err == nil {
			out.Years = append(out.Years, &model.YearFacet{Year: year, Count: y.Count})
		}
	}
	return out, nil
}

func values(fs []catalog.FacetValue) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Value
	}
	return out
}

func counts(fs []catalog.FacetValue) map[string]int {
	out := make(map[string]int, len(fs))
	for _, f := range fs {
		out[f.Value] = f.Count
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
