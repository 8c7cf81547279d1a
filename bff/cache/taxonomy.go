package cache

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/catalog"
)

// The kinds of taxonomy entries, as catalog.TaxonomyChanged names them.
const (
	kindCategory = "category"
	kindGenre    = "genre"
	kindCast     = "cast"
)

// taxonKey is the entry of the entity id of kind; ids are lowercased like
// videoKey's.
func taxonKey(kind, id string) string { return kind + ":" + strings.ToLower(id) }

// cachedKind reports whether entities of kind are cached by id.
func cachedKind(kind string) bool {
	return kind == kindCategory || kind == kindGenre || kind == kindCast
}

// ListCategories returns the cached list of categories, or fetches and
// keeps it.
//
// Errors: the wrapped catalog's, never cached; KindUnavailable when ctx
// ends first.
func (c *Catalog) ListCategories(ctx context.Context, req catalog.ListCategoriesRequest) (catalog.ListCategoriesResponse, error) {
	v, err := c.list(ctx, "categories", func(ctx context.Context) (any, error) {
		resp, err := c.API.ListCategories(ctx, req)
		return resp.Categories, err
	})
	if err != nil {
		return catalog.ListCategoriesResponse{}, err
	}
	return catalog.ListCategoriesResponse{Categories: slices.Clone(v.([]catalog.Category))}, nil
}

// ListGenres returns the cached list of genres, or fetches and keeps it.
//
// Errors: the wrapped catalog's, never cached; KindUnavailable when ctx
// ends first.
func (c *Catalog) ListGenres(ctx context.Context, req catalog.ListGenresRequest) (catalog.ListGenresResponse, error) {
	v, err := c.list(ctx, "genres", func(ctx context.Context) (any, error) {
		resp, err := c.API.ListGenres(ctx, req)
		return resp.Genres, err
	})
	if err != nil {
		return catalog.ListGenresResponse{}, err
	}
	return catalog.ListGenresResponse{Genres: slices.Clone(v.([]catalog.Genre))}, nil
}

// ListCastMembers returns the cached list of cast members of the requested
// type (or all), or fetches and keeps it.
//
// Errors: the wrapped catalog's (KindInvalid for an unknown type), never
// cached; KindUnavailable when ctx ends first.
func (c *Catalog) ListCastMembers(ctx context.Context, req catalog.ListCastMembersRequest) (catalog.ListCastMembersResponse, error) {
	v, err := c.list(ctx, "cast:"+string(req.Type), func(ctx context.Context) (any, error) {
		resp, err := c.API.ListCastMembers(ctx, req)
		return resp.CastMembers, err
	})
	if err != nil {
		return catalog.ListCastMembersResponse{}, err
	}
	return catalog.ListCastMembersResponse{CastMembers: slices.Clone(v.([]catalog.CastMember))}, nil
}

// list returns the cached list name, or fetches it (one fetch for all
// concurrent callers) and keeps it unless the lists were dropped meanwhile.
func (c *Catalog) list(ctx context.Context, name string, fetch func(context.Context) (any, error)) (any, error) {
	if v, ok := c.store.getList(name); ok {
		return v, nil
	}
	gen := c.store.listGeneration()
	return c.shared(ctx, fmt.Sprintf("list %s@%d", name, gen), func(ctx context.Context) (any, error) {
		v, err := fetch(ctx)
		if err != nil {
			return nil, err
		}
		c.store.putList(name, gen, v)
		return v, nil
	})
}

// GetTaxonomy composes the answer from the cached categories, genres and
// cast members and fetches the missing ones in one call, keeping what it
// finds. Like the catalog, it returns them in request order and leaves
// unknown ids out (unknown ids are not cached).
//
// Errors: the wrapped catalog's (KindInvalid for a malformed id), never
// cached; KindUnavailable when ctx ends first.
func (c *Catalog) GetTaxonomy(ctx context.Context, req catalog.GetTaxonomyRequest) (catalog.GetTaxonomyResponse, error) {
	cats := lookup(c.store, kindCategory, req.CategoryIDs, func(x catalog.Category) string { return x.ID })
	genres := lookup(c.store, kindGenre, req.GenreIDs, func(x catalog.Genre) string { return x.ID })
	cast := lookup(c.store, kindCast, req.CastMemberIDs, func(x catalog.CastMember) string { return x.ID })
	if keys := slices.Concat(cats.keys, genres.keys, cast.keys); len(keys) > 0 {
		gens := c.store.generations(keys...)
		val, err := c.shared(ctx, flightKey("taxonomy", gens), func(ctx context.Context) (any, error) {
			miss := catalog.GetTaxonomyRequest{CategoryIDs: cats.missing, GenreIDs: genres.missing, CastMemberIDs: cast.missing}
			resp, err := c.API.GetTaxonomy(ctx, miss)
			if err != nil {
				return nil, err
			}
			cats.keep(c.store, gens, resp.Categories)
			genres.keep(c.store, gens, resp.Genres)
			cast.keep(c.store, gens, resp.CastMembers)
			return resp, nil
		})
		if err != nil {
			return catalog.GetTaxonomyResponse{}, err
		}
		resp := val.(catalog.GetTaxonomyResponse)
		cats.add(resp.Categories)
		genres.add(resp.Genres)
		cast.add(resp.CastMembers)
	}
	return catalog.GetTaxonomyResponse{
		Categories:  cats.compose(req.CategoryIDs),
		Genres:      genres.compose(req.GenreIDs),
		CastMembers: cast.compose(req.CastMemberIDs),
	}, nil
}

// part is one kind of a GetTaxonomy call: what the cache had and what it
// must fetch.
type part[T any] struct {
	kind    string
	idOf    func(T) string
	found   map[string]T
	missing []string // ids to fetch, once each
	keys    []string // their keys
}

// lookup splits ids of kind into the cached and the missing.
func lookup[T any](s *store, kind string, ids []string, idOf func(T) string) *part[T] {
	p := &part[T]{kind: kind, idOf: idOf, found: make(map[string]T, len(ids))}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		key := p.key(id)
		if seen[key] {
			continue
		}
		seen[key] = true
		if v, ok := s.get(key); ok {
			p.found[key] = v.(T)
			continue
		}
		p.missing, p.keys = append(p.missing, id), append(p.keys, key)
	}
	return p
}

// key is the entry of the id.
func (p *part[T]) key(id string) string { return taxonKey(p.kind, id) }

// keep stores the fetched items that answer keys whose generations were
// read before the fetch.
func (p *part[T]) keep(s *store, gens map[string]uint64, items []T) {
	for _, it := range items {
		key := p.key(p.idOf(it))
		if gen, asked := gens[key]; asked {
			s.put(key, gen, it, 0)
		}
	}
}

// add records fetched items for compose.
func (p *part[T]) add(items []T) {
	for _, it := range items {
		p.found[p.key(p.idOf(it))] = it
	}
}

// compose returns the found items in the order of ids.
func (p *part[T]) compose(ids []string) []T {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if it, ok := p.found[p.key(id)]; ok {
			out = append(out, it)
		}
	}
	return out
}
