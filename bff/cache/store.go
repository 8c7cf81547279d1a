package cache

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/dflix/dflix/services/platform"
)

// stripes is the number of generation counters the keys hash onto. A drop
// bumps its key's stripe, which fails the stores of every fetch of that
// stripe under way: a false sharing only costs a lost store.
const stripes = 256

// entry is a cached value, or a tombstone (nil value) that remembers the
// lowest version a fetch may still store after an event.
type entry struct {
	value   any
	version int64
	expires time.Time
}

// store holds the entries: videos and taxonomy by id in a bounded LRU, and
// the few whole lists apart (one per list kind and cast type), each group
// with the generations that guard stores against racing drops. It is safe
// for concurrent use.
type store struct {
	clock platform.Clock
	ttl   time.Duration
	seed  maphash.Seed

	mu      sync.Mutex
	items   *simplelru.LRU[string, entry]
	gens    [stripes]uint64
	lists   map[string]entry
	listGen uint64
}

func newStore(size int, ttl time.Duration, clock platform.Clock) *store {
	items, err := simplelru.NewLRU[string, entry](max(size, 1), nil)
	if err != nil {
		panic(err) // unreachable: the size is positive
	}
	return &store{clock: clock, ttl: ttl, seed: maphash.MakeSeed(), items: items, lists: map[string]entry{}}
}

func (s *store) stripe(key string) int {
	return int(maphash.String(s.seed, key) % stripes)
}

// live reports whether e has not expired at now.
func live(e entry, now time.Time) bool { return now.Before(e.expires) }

// get returns the value under key while it lives.
func (s *store) get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items.Get(key)
	switch {
	case !ok || e.value == nil:
		return nil, false
	case !live(e, s.clock()):
		s.items.Remove(key)
		return nil, false
	}
	return e.value, true
}

// generations returns the current generation of each key, to read before a
// fetch and hand to put after it.
func (s *store) generations(keys ...string) map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(keys))
	for _, k := range keys {
		out[k] = s.gens[s.stripe(k)]
	}
	return out
}

// put stores value under key as of version, unless key's stripe was dropped
// since gen was read or a later version (or a tombstone above version) is
// known. It reports whether value was stored.
func (s *store) put(key string, gen uint64, value any, version int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gens[s.stripe(key)] != gen {
		return false
	}
	now := s.clock()
	if old, ok := s.items.Peek(key); ok && live(old, now) && old.version > version {
		return false
	}
	s.items.Add(key, entry{value: value, version: version, expires: now.Add(s.ttl)})
	return true
}

// drop forgets key and fails the stores of the fetches under way. A positive
// floor is the version an event announced: a cached value already at or
// above it stays; otherwise a tombstone keeps any version below it out until
// the TTL passes.
func (s *store) drop(key string, floor int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gens[s.stripe(key)]++
	now := s.clock()
	if old, ok := s.items.Peek(key); ok && live(old, now) {
		if floor > 0 && old.value != nil && old.version >= floor {
			return
		}
		if old.value == nil {
			floor = max(floor, old.version)
		}
	}
	if floor <= 0 {
		s.items.Remove(key)
		return
	}
	s.items.Add(key, entry{version: floor, expires: now.Add(s.ttl)})
}

// getList returns the list name while it lives.
func (s *store) getList(name string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lists[name]
	if !ok || !live(e, s.clock()) {
		return nil, false
	}
	return e.value, true
}

// listGeneration returns the generation of every list, to read before a
// fetch and hand to putList after it.
func (s *store) listGeneration() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listGen
}

// putList stores the list name unless the lists were dropped since gen was
// read.
func (s *store) putList(name string, gen uint64, value any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listGen != gen {
		return false
	}
	s.lists[name] = entry{value: value, expires: s.clock().Add(s.ttl)}
	return true
}

// dropLists forgets every list and fails the list fetches under way.
func (s *store) dropLists() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listGen++
	clear(s.lists)
}

// purge forgets everything, tombstones included, and fails every fetch
// under way.
func (s *store) purge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.gens {
		s.gens[i]++
	}
	s.listGen++
	s.items.Purge()
	clear(s.lists)
}
