package model

import "github.com/dflix/dflix/services/catalog"

// SearchConnection is one page of search hits. Its facets are resolved only
// when selected, from the raw counts the catalog returned.
type SearchConnection struct {
	Edges      []*VideoEdge
	PageInfo   *PageInfo
	TotalCount int
	// RawFacets are the catalog's counts by id; the facets resolver turns
	// them into categories and genres.
	RawFacets catalog.Facets
}
