package loader

import (
	"context"
	"fmt"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/dflix/dflix/services/catalog"
)

// Kind is a kind of taxonomy entry.
type Kind uint8

// The taxonomy kinds.
const (
	KindCategory Kind = iota + 1
	KindGenre
	KindCast
)

// Key names one taxonomy entry.
type Key struct {
	Kind Kind
	ID   string
}

// Taxon is a loaded taxonomy entry: the field of its kind is set, or none
// when the id is unknown (deleted since the video named it).
type Taxon struct {
	Category *catalog.Category
	Genre    *catalog.Genre
	Cast     *catalog.CastMember
}

// Categories returns the categories with ids, in order, leaving out unknown ones.
func (l *Loaders) Categories(ctx context.Context, ids []string) ([]*catalog.Category, error) {
	return collect(ctx, l, KindCategory, ids, func(t Taxon) *catalog.Category { return t.Category })
}

// Genres returns the genres with ids, in order, leaving out unknown ones.
func (l *Loaders) Genres(ctx context.Context, ids []string) ([]*catalog.Genre, error) {
	return collect(ctx, l, KindGenre, ids, func(t Taxon) *catalog.Genre { return t.Genre })
}

// Cast returns the cast members with ids, in order, leaving out unknown ones.
func (l *Loaders) Cast(ctx context.Context, ids []string) ([]*catalog.CastMember, error) {
	return collect(ctx, l, KindCast, ids, func(t Taxon) *catalog.CastMember { return t.Cast })
}

// CategoriesAndGenres loads categories and genres (search facets need
// both) in one GetTaxonomy call made at once, without a batch window, and
// keeps them for later fields; each list is in order, without unknown ids.
func (l *Loaders) CategoriesAndGenres(ctx context.Context, categoryIDs, genreIDs []string) ([]*catalog.Category, []*catalog.Genre, error) {
	keys := append(keysOf(KindCategory, categoryIDs), keysOf(KindGenre, genreIDs)...)
	if len(keys) == 0 {
		return []*catalog.Category{}, []*catalog.Genre{}, nil
	}
	found, err := l.fetchTaxonomy(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	taxa := make([]Taxon, len(keys))
	for i, k := range keys {
		taxa[i] = found[k]
		l.taxonomy.Prime(ctx, k, found[k])
	}
	n := len(categoryIDs)
	return pick(taxa[:n], func(t Taxon) *catalog.Category { return t.Category }),
		pick(taxa[n:], func(t Taxon) *catalog.Genre { return t.Genre }), nil
}

func collect[T any](ctx context.Context, l *Loaders, kind Kind, ids []string, field func(Taxon) *T) ([]*T, error) {
	taxa, err := l.load(ctx, keysOf(kind, ids))
	if err != nil {
		return nil, err
	}
	return pick(taxa, field), nil
}

func (l *Loaders) load(ctx context.Context, keys []Key) ([]Taxon, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	// Load every key before waiting on any, so the misses share one batch;
	// unlike LoadMany this spawns no goroutine per key, and cached keys
	// (the usual case after Prime) cost a map lookup.
	thunks := make([]dataloader.Thunk[Taxon], len(keys))
	for i, k := range keys {
		thunks[i] = l.taxonomy.Load(ctx, k)
	}
	taxa := make([]Taxon, len(keys))
	for i, thunk := range thunks {
		t, err := thunk()
		if err != nil {
			return nil, err
		}
		taxa[i] = t
	}
	return taxa, nil
}

func keysOf(kind Kind, ids []string) []Key {
	keys := make([]Key, len(ids))
	for i, id := range ids {
		keys[i] = Key{Kind: kind, ID: id}
	}
	return keys
}

// pick keeps the entries that were found, in order.
func pick[T any](taxa []Taxon, field func(Taxon) *T) []*T {
	out := make([]*T, 0, len(taxa))
	for _, t := range taxa {
		if v := field(t); v != nil {
			out = append(out, v)
		}
	}
	return out
}

// loadTaxonomy is the batch function: one GetTaxonomy call for every key of
// every kind collected in the window.
func (l *Loaders) loadTaxonomy(ctx context.Context, keys []Key) []*dataloader.Result[Taxon] {
	found, err := l.fetchTaxonomy(ctx, keys)
	results := make([]*dataloader.Result[Taxon], len(keys))
	for i, k := range keys {
		if err != nil {
			results[i] = &dataloader.Result[Taxon]{Error: err}
			continue
		}
		results[i] = &dataloader.Result[Taxon]{Data: found[k]}
	}
	return results
}

func (l *Loaders) fetchTaxonomy(ctx context.Context, keys []Key) (map[Key]Taxon, error) {
	var req catalog.GetTaxonomyRequest
	seen := make(map[Key]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		switch k.Kind {
		case KindCategory:
			req.CategoryIDs = append(req.CategoryIDs, k.ID)
		case KindGenre:
			req.GenreIDs = append(req.GenreIDs, k.ID)
		case KindCast:
			req.CastMemberIDs = append(req.CastMemberIDs, k.ID)
		}
	}
	resp, err := l.cat.GetTaxonomy(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("load taxonomy: %w", err)
	}
	found := make(map[Key]Taxon, len(keys))
	for i := range resp.Categories {
		found[Key{KindCategory, resp.Categories[i].ID}] = Taxon{Category: &resp.Categories[i]}
	}
	for i := range resp.Genres {
		found[Key{KindGenre, resp.Genres[i].ID}] = Taxon{Genre: &resp.Genres[i]}
	}
	for i := range resp.CastMembers {
		found[Key{KindCast, resp.CastMembers[i].ID}] = Taxon{Cast: &resp.CastMembers[i]}
	}
	return found, nil
}
