package catalog

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// entry is one projected video with its precomputed sort keys. Entries are
// immutable: a change replaces the entry.
type entry struct {
	v        Video
	titleKey string // the case-folded title
	created  int64  // CreatedAt in Unix nanoseconds
}

func newEntry(v Video) *entry {
	return &entry{v: v, titleKey: fold(v.Title), created: v.CreatedAt.UnixNano()}
}

// visibleTo reports whether a caller sees the video: admins see every
// video, everyone else only published ones.
func (e *entry) visibleTo(admin bool) bool { return admin || e.v.Published }

// The browse orders, each kept as a slice of entries sorted ascending by its
// key and then by id.
const (
	orderByTitle = iota
	orderByYear
	orderByCreated
	numOrders
)

var orderCmp = [numOrders]func(a, b *entry) int{
	orderByTitle: func(a, b *entry) int {
		return cmp.Or(strings.Compare(a.titleKey, b.titleKey), strings.Compare(a.v.ID, b.v.ID))
	},
	orderByYear: func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.v.ReleaseYear, b.v.ReleaseYear), strings.Compare(a.v.ID, b.v.ID))
	},
	orderByCreated: func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.v.ID, b.v.ID))
	},
}

// projection is the replica's in-memory copy of the videos, with the browse
// orders and a cache of filtered views. Video changes are applied by
// version, so a duplicate or late event never moves a video back, and a
// deletion leaves a tombstone version that keeps a late change from
// resurrecting it.
type projection struct {
	mu         sync.RWMutex
	videos     map[string]*entry
	tombstones map[string]int64
	orders     [numOrders][]*entry
	gen        uint64 // counts changes, to invalidate views
	views      viewCache
}

func newProjection() *projection {
	return &projection{videos: map[string]*entry{}, tombstones: map[string]int64{}}
}

// load replaces the projected videos, sorting each order once.
func (p *projection) load(videos []Video) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.videos = make(map[string]*entry, len(videos))
	all := make([]*entry, 0, len(videos))
	for _, v := range videos {
		e := newEntry(v)
		p.videos[v.ID] = e
		all = append(all, e)
	}
	for i := range p.orders {
		p.orders[i] = slices.SortedFunc(slices.Values(all), orderCmp[i])
	}
	p.gen++
}

// apply stores v unless the projection already holds the same or a later
// version of it, or a tombstone at least as recent. It reports whether v
// was stored.
func (p *projection) apply(v Video) bool {
	if t, ok := p.tombstones[v.ID]; ok && v.Version <= t {
		return false
	}
	old := p.videos[v.ID]
	if old != nil && v.Version <= old.v.Version {
		return false
	}
	if old != nil {
		p.unlink(old)
	}
	e := newEntry(v)
	p.videos[v.ID] = e
	p.link(e)
	p.gen++
	return true
}

// remove deletes the video id as of version (the tombstone), unless the
// projection holds a later version. It reports whether a video was removed.
func (p *projection) remove(id string, version int64) bool {
	old := p.videos[id]
	if old != nil && old.v.Version >= version {
		return false
	}
	if p.tombstones[id] < version {
		p.tombstones[id] = version
	}
	if old == nil {
		return false
	}
	p.unlink(old)
	delete(p.videos, id)
	p.gen++
	return true
}

// link inserts e into every order.
func (p *projection) link(e *entry) {
	for i := range p.orders {
		at, _ := slices.BinarySearchFunc(p.orders[i], e, orderCmp[i])
		p.orders[i] = slices.Insert(p.orders[i], at, e)
	}
}

// unlink removes e from every order.
func (p *projection) unlink(e *entry) {
	for i := range p.orders {
		if at, found := slices.BinarySearchFunc(p.orders[i], e, orderCmp[i]); found {
			p.orders[i] = slices.Delete(p.orders[i], at, at+1)
		}
	}
}

// get returns the projected video id when the caller may see it.
func (p *projection) get(id string, admin bool) (Video, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.videos[id]
	if !ok || !e.visibleTo(admin) {
		return Video{}, false
	}
	return cloneVideo(e.v), true
}

// version returns the projected version of the video id (0 when absent).
func (p *projection) version(id string) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e, ok := p.videos[id]; ok {
		return e.v.Version
	}
	return 0
}

// referencing returns the ids of the videos whose field picked by refs
// holds id.
func (p *projection) referencing(id string, refs func(*Video) *[]string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for vid, e := range p.videos {
		if slices.Contains(*refs(&e.v), id) {
			out = append(out, vid)
		}
	}
	slices.Sort(out)
	return out
}

// cloneVideo copies v so that callers may change the result.
func cloneVideo(v Video) Video {
	v.CategoryIDs = slices.Clone(v.CategoryIDs)
	v.GenreIDs = slices.Clone(v.GenreIDs)
	v.CastIDs = slices.Clone(v.CastIDs)
	v.Tags = slices.Clone(v.Tags)
	v.Media = cloneMedia(v.Media)
	return v
}
