package graph

import (
	"github.com/dflix/dflix/services/catalog"
)

// Cost model: every field costs 1 plus its selection; a list costs its
// selection times the number of items it may hold: `first` for connections,
// an estimate for other lists.
const (
	// taxonomyFanout estimates the categories, genres or cast of one video.
	taxonomyFanout = 2
	// taxonomyListFanout estimates the categories or genres a browse page
	// shows as rows.
	taxonomyListFanout = 8
	// listFanout estimates the unpaged lists (videos by name or by tags,
	// dead letters).
	listFanout = 20
	// maxItems caps a multiplier so the product cannot overflow.
	maxItems = 1 << 20
)

// Complexity returns the per-field costs the BFF's complexity limit uses.
func Complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Videos = func(child int, first *int, _ *string, _ *catalog.VideoFilter, _ *catalog.VideoOrder) int {
		return connectionCost(child, first)
	}
	c.Query.Search = func(child int, _ string, first *int, _ *string, _ *catalog.VideoFilter) int {
		return connectionCost(child, first)
	}
	c.Query.Users = func(child int, first *int, _ *string) int {
		return connectionCost(child, first)
	}
	c.Category.Videos = func(child int, first *int, _ *string, _ *catalog.VideoOrder) int {
		return connectionCost(child, first)
	}
	c.Genre.Videos = func(child int, first *int, _ *string, _ *catalog.VideoOrder) int {
		return connectionCost(child, first)
	}
	c.Query.Categories = func(child int) int { return listCost(child, taxonomyListFanout) }
	c.Query.Genres = func(child int) int { return listCost(child, taxonomyListFanout) }
	c.Query.CastMembers = func(child int, _ *catalog.CastType) int { return listCost(child, taxonomyListFanout) }
	c.Query.VideosByName = func(child int, _ string, _ *bool) int { return listCost(child, listFanout) }
	c.Query.VideosByTags = func(child int, _ []string, _ *bool) int { return listCost(child, listFanout) }
	c.Query.DeadLetters = func(child int) int { return listCost(child, listFanout) }
	c.Video.Categories = func(child int) int { return listCost(child, taxonomyFanout) }
	c.Video.Genres = func(child int) int { return listCost(child, taxonomyFanout) }
	c.Video.Cast = func(child int) int { return listCost(child, taxonomyFanout) }
	return c
}

// connectionCost multiplies the selection by the page size asked for (the
// default when unset; a nonsensical one is refused by the resolver anyway).
func connectionCost(child int, first *int) int {
	n := defaultFirst
	if first != nil {
		n = *first
	}
	return listCost(child, n)
}

func listCost(child, items int) int {
	items = min(max(items, 1), maxItems)
	child = min(max(child, 1), maxItems)
	return 1 + items*child
}
