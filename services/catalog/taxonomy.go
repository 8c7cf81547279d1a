package catalog

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

// taxonomy is the machinery shared by categories, genres and cast members:
// storage, unique names, the projection and the cascade of a deletion into
// the videos that reference an entity.
type taxonomy[T comparable] struct {
	kind    string // "category", "genre" or "cast": the TaxonomyChanged.Kind
	label   string // what messages call it
	prefix  string // state key prefix of an entity
	set     *platform.KeySet
	idOf    func(T) string
	nameOf  func(T) string
	refs    func(*Video) *[]string // the video field that references it
	indexed bool                   // its names are in the search index

	mu     sync.RWMutex
	items  map[string]T
	reload sync.Mutex // orders refreshes: each reads the state and projects what it read
}

func newCategories(state platform.State) *taxonomy[Category] {
	return &taxonomy[Category]{
		kind: "category", label: "category", prefix: "category/",
		set:    platform.NewKeySet(state, "categories", taxonomyShards),
		idOf:   func(c Category) string { return c.ID },
		nameOf: func(c Category) string { return c.Name },
		refs:   func(v *Video) *[]string { return &v.CategoryIDs },
		items:  map[string]Category{},
	}
}

func newGenres(state platform.State) *taxonomy[Genre] {
	return &taxonomy[Genre]{
		kind: "genre", label: "genre", prefix: "genre/",
		set:    platform.NewKeySet(state, "genres", taxonomyShards),
		idOf:   func(g Genre) string { return g.ID },
		nameOf: func(g Genre) string { return g.Name },
		refs:   func(v *Video) *[]string { return &v.GenreIDs },
		items:  map[string]Genre{},
	}
}

func newCastMembers(state platform.State) *taxonomy[CastMember] {
	return &taxonomy[CastMember]{
		kind: "cast", label: "cast member", prefix: "castmember/",
		set:     platform.NewKeySet(state, "cast", taxonomyShards),
		idOf:    func(c CastMember) string { return c.ID },
		nameOf:  func(c CastMember) string { return c.Name },
		refs:    func(v *Video) *[]string { return &v.CastIDs },
		indexed: true,
		items:   map[string]CastMember{},
	}
}

// nameKey is where the id holding a name is stored; names are compared
// case-folded, so the key is the folded name (base64url, to keep keys to a
// safe alphabet for every state store).
func (t *taxonomy[T]) nameKey(name string) string {
	return "name/" + t.kind + "/" + base64.RawURLEncoding.EncodeToString([]byte(fold(name)))
}

// get returns the projected entity with id.
func (t *taxonomy[T]) get(id string) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.items[id]
	return e, ok
}

// put stores e in the projection and returns the entity it replaced.
func (t *taxonomy[T]) put(e T) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.items[t.idOf(e)]
	t.items[t.idOf(e)] = e
	return old, ok
}

// remove drops id from the projection and returns what it held.
func (t *taxonomy[T]) remove(id string) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.items[id]
	delete(t.items, id)
	return old, ok
}

// list returns the projected entities that keep says to, by name
// (case-insensitive) and then id.
func (t *taxonomy[T]) list(keep func(T) bool) []T {
	t.mu.RLock()
	out := make([]T, 0, len(t.items))
	for _, e := range t.items {
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b T) int {
		return cmp.Or(cmp.Compare(fold(t.nameOf(a)), fold(t.nameOf(b))), cmp.Compare(t.idOf(a), t.idOf(b)))
	})
	return out
}

// pick returns the projected entities with the given ids, in order, leaving
// out unknown ones.
func (t *taxonomy[T]) pick(ids []string) []T {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if e, ok := t.items[id]; ok {
			out = append(out, e)
		}
	}
	return out
}

// claimName adds to b the writes that move the entity id from the name old
// (empty for a new entity) to the name next. Errors: KindConflict when
// another entity of the kind holds next.
func (t *taxonomy[T]) claimName(ctx context.Context, s *Service, b *platform.Batch, id, old, next string) error {
	if old != "" && fold(old) == fold(next) {
		return nil
	}
	var holder string
	_, err := platform.GetJSON(ctx, s.state, t.nameKey(next), "", &holder)
	switch {
	case err == nil && holder != id:
		return platform.Errorf(platform.KindConflict, "a %s named %q already exists", t.label, next)
	case err != nil && !platform.Is(err, platform.KindNotFound):
		return err
	case err != nil:
		b.Set(t.nameKey(next), id, "", true)
	}
	if old != "" {
		b.Delete(t.nameKey(old), "")
	}
	return nil
}

// entityKey is the state key of the entity id.
func (t *taxonomy[T]) entityKey(id string) string { return t.prefix + id }

// createEntity stores a new entity (whose id is set) and projects it.
func createEntity[T comparable](ctx context.Context, s *Service, t *taxonomy[T], e T) error {
	id, now := t.idOf(e), s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		if err := t.claimName(ctx, s, b, id, "", t.nameOf(e)); err != nil {
			return err
		}
		b.Set(t.entityKey(id), e, "", true)
		b.Add(t.set.AddOps(ctx, id))
		b.Emit(s.event(EventTaxonomyChanged, now, TaxonomyChanged{Kind: t.kind, ID: id}))
		b.OnCommit(func() { refreshAfterWrite(ctx, s, t, id) })
		return nil
	})
	return err
}

// updateEntity applies change to the stored entity id and projects the
// result. Errors: KindNotFound for an unknown id, KindConflict for a name
// taken by another entity.
func updateEntity[T comparable](ctx context.Context, s *Service, t *taxonomy[T], id string, change func(*T)) (T, error) {
	var out T
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var cur T
		etag, err := platform.GetJSON(ctx, s.state, t.entityKey(id), t.label+" not found", &cur)
		if err != nil {
			return err
		}
		next := cur
		change(&next)
		if out = next; next == cur {
			return nil
		}
		if err := t.claimName(ctx, s, b, id, t.nameOf(cur), t.nameOf(next)); err != nil {
			return err
		}
		b.Set(t.entityKey(id), next, etag, false)
		b.Emit(s.event(EventTaxonomyChanged, now, TaxonomyChanged{Kind: t.kind, ID: id}))
		b.OnCommit(func() { refreshAfterWrite(ctx, s, t, id) })
		return nil
	})
	return out, err
}

// deleteEntity deletes the entity id and removes it from every video that
// references it, in one transaction. Errors: KindNotFound for an unknown id.
func deleteEntity[T comparable](ctx context.Context, s *Service, t *taxonomy[T], id string) error {
	var changed []Video
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var cur T
		etag, err := platform.GetJSON(ctx, s.state, t.entityKey(id), t.label+" not found", &cur)
		if err != nil {
			return err
		}
		b.Delete(t.entityKey(id), etag)
		b.Delete(t.nameKey(t.nameOf(cur)), "")
		b.Add(t.set.RemoveOps(ctx, id))
		if changed, err = s.unreference(ctx, b, now, id, t.refs); err != nil {
			return err
		}
		b.Emit(s.event(EventTaxonomyChanged, now, TaxonomyChanged{Kind: t.kind, ID: id, Deleted: true}))
		b.OnCommit(func() {
			refreshAfterWrite(ctx, s, t, id)
			s.applyVideos(changed...)
		})
		return nil
	})
	return err
}

// refreshEntity brings the projection of the entity id up to date with the
// state, after a write of this replica or a TaxonomyChanged event from any.
// Entities carry no version, so refreshes are serialized and each projects
// what it reads: the last one to run has read the latest state. When the
// kind's names are indexed and the name changed, the videos that reference
// the entity are indexed again before the refresh ends.
func refreshEntity[T comparable](ctx context.Context, s *Service, t *taxonomy[T], id string) error {
	t.reload.Lock()
	defer t.reload.Unlock()
	var e T
	_, err := platform.GetJSON(ctx, s.state, t.entityKey(id), t.label+" not found", &e)
	var (
		old          T
		had, renamed bool
	)
	switch {
	case platform.Is(err, platform.KindNotFound):
		old, had = t.remove(id)
		renamed = had
	case err != nil:
		return fmt.Errorf("refresh %s %s: %w", t.kind, id, err)
	default:
		old, had = t.put(e)
		renamed = !had || t.nameOf(old) != t.nameOf(e)
	}
	if t.indexed && renamed {
		// Still under t.reload: a refresh that finds nothing left to do
		// returns only once the index has the name.
		s.reindex(s.proj.referencing(id, t.refs)...)
	}
	return nil
}

// refreshAfterWrite refreshes the projection after a committed write. A
// failure is only logged: the write succeeded, and the write's own event
// refreshes the projection again.
func refreshAfterWrite[T comparable](ctx context.Context, s *Service, t *taxonomy[T], id string) {
	if err := refreshEntity(ctx, s, t, id); err != nil {
		s.log.WarnContext(ctx, "catalog: projection refresh after write failed; the event will redo it", "err", err)
	}
}
