package graph

import (
	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Paging bounds shared by every connection.
const (
	defaultFirst = 20
	maxFirst     = 100
)

// page checks the Relay paging arguments; cursors pass through as they are.
func page(first *int, after *string) (catalog.Page, error) {
	p := catalog.Page{First: defaultFirst}
	if first != nil {
		if *first < 1 || *first > maxFirst {
			return p, platform.Errorf(platform.KindInvalid, "first must be between 1 and %d", maxFirst)
		}
		p.First = *first
	}
	if after != nil {
		p.After = *after
	}
	return p, nil
}

func pageInfo(hasNext bool, cursors []string) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: hasNext}
	if n := len(cursors); n > 0 {
		info.EndCursor = &cursors[n-1]
	}
	return info
}

func videoEdges(p catalog.VideoPage) []*model.VideoEdge {
	edges := make([]*model.VideoEdge, len(p.Videos))
	for i := range p.Videos {
		edges[i] = &model.VideoEdge{Node: &p.Videos[i]}
		if i < len(p.Cursors) {
			edges[i].Cursor = p.Cursors[i]
		}
	}
	return edges
}

func videoConnection(p catalog.VideoPage) *model.VideoConnection {
	return &model.VideoConnection{
		Edges:      videoEdges(p),
		PageInfo:   pageInfo(p.HasNextPage, p.Cursors),
		TotalCount: p.TotalCount,
	}
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
