package catalog

import (
	"slices"
	"sync"
)

// maxViews bounds the cached filtered views; the cache is emptied when full.
const maxViews = 64

// viewKey names a filtered view of one order.
type viewKey struct {
	order  int
	filter VideoFilter
	admin  bool
}

// viewCache holds filtered views of the orders, valid for one projection
// generation.
type viewCache struct {
	mu    sync.Mutex
	gen   uint64
	views map[viewKey][]*entry
}

// view returns the entries of order that match filter and are visible to
// the caller, sorted like the order. The caller holds p.mu for reading, and
// must not keep the result after releasing it.
func (p *projection) view(order int, filter VideoFilter, admin bool) []*entry {
	if admin && filter == (VideoFilter{}) {
		return p.orders[order]
	}
	key := viewKey{order: order, filter: filter, admin: admin}
	c := &p.views
	c.mu.Lock()
	if c.gen != p.gen || c.views == nil {
		c.gen, c.views = p.gen, map[viewKey][]*entry{}
	}
	list, ok := c.views[key]
	c.mu.Unlock()
	if ok {
		return list
	}
	list = slices.Collect(func(yield func(*entry) bool) {
		for _, e := range p.orders[order] {
			if e.visibleTo(admin) && matches(&e.v, filter) && !yield(e) {
				return
			}
		}
	})
	c.mu.Lock()
	if c.gen == p.gen {
		if len(c.views) >= maxViews {
			clear(c.views)
		}
		c.views[key] = list
	}
	c.mu.Unlock()
	return list
}

// matches reports whether v passes every set field of the filter.
func matches(v *Video, f VideoFilter) bool {
	return (f.CategoryID == "" || slices.Contains(v.CategoryIDs, f.CategoryID)) &&
		(f.GenreID == "" || slices.Contains(v.GenreIDs, f.GenreID)) &&
		(f.CastMemberID == "" || slices.Contains(v.CastIDs, f.CastMemberID)) &&
		(f.Year == 0 || v.ReleaseYear == f.Year) &&
		(f.AgeRating == "" || v.AgeRating == f.AgeRating)
}
