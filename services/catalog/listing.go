package catalog

import (
	"context"
	"sort"
)

// ListVideos browses the catalog: the videos that pass the filter and that
// the caller may see, in the requested order (newest first by default; ties
// by id), one page at a time.
//
// Errors: KindInvalid for a malformed filter id or rating, an unknown order
// field, a page size out of 0..MaxPageSize, or a malformed cursor.
func (s *Service) ListVideos(ctx context.Context, req ListVideosRequest) (ListVideosResponse, error) {
	filter, err := checkFilter(req.Filter)
	if err != nil {
		return ListVideosResponse{}, op(MethodListVideos, err)
	}
	page, err := checkPage(req.Page)
	if err != nil {
		return ListVideosResponse{}, op(MethodListVideos, err)
	}
	order, desc, err := resolveOrder(req.Order)
	if err != nil {
		return ListVideosResponse{}, op(MethodListVideos, err)
	}
	after, err := decodeListCursor(page.After, order, desc)
	if err != nil {
		return ListVideosResponse{}, op(MethodListVideos, err)
	}
	s.proj.mu.RLock()
	defer s.proj.mu.RUnlock()
	list := s.proj.view(order, filter, req.Caller.IsAdmin())
	return ListVideosResponse{Page: pageOf(list, order, desc, after, page.First)}, nil
}

// resolveOrder maps a VideoOrder to an order index and direction; the zero
// VideoOrder is newest first.
func resolveOrder(o VideoOrder) (int, bool, error) {
	switch o.Field {
	case "":
		return orderByCreated, true, nil
	case OrderCreatedAt:
		return orderByCreated, o.Descending, nil
	case OrderTitle:
		return orderByTitle, o.Descending, nil
	case OrderReleaseYear:
		return orderByYear, o.Descending, nil
	}
	return 0, false, invalid("order field %q is not one of TITLE, RELEASE_YEAR, CREATED_AT", clip(string(o.Field)))
}

// pageOf returns up to first entries of the sorted list that come strictly
// after the probe entry after (nil: from the start), walking it backwards
// when desc.
func pageOf(list []*entry, order int, desc bool, after *entry, first int) VideoPage {
	less := orderCmp[order]
	var at, step int
	switch {
	case desc && after == nil:
		at, step = len(list)-1, -1
	case desc:
		at, step = sort.Search(len(list), func(i int) bool { return less(list[i], after) >= 0 })-1, -1
	case after == nil:
		at, step = 0, 1
	default:
		at, step = sort.Search(len(list), func(i int) bool { return less(list[i], after) > 0 }), 1
	}
	p := VideoPage{Videos: []Video{}, Cursors: []string{}, TotalCount: len(list)}
	for ; at >= 0 && at < len(list) && len(p.Videos) < first; at += step {
		p.Videos = append(p.Videos, cloneVideo(list[at].v))
		p.Cursors = append(p.Cursors, encodeListCursor(list[at], order, desc))
	}
	p.HasNextPage = at >= 0 && at < len(list)
	return p
}
