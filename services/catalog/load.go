package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// bulkChunk bounds the keys read by one BulkGet.
const bulkChunk = 500

// bulkGet reads keys in chunks and returns the items that exist.
func (s *Service) bulkGet(ctx context.Context, keys []string) ([]platform.Item, error) {
	var out []platform.Item
	for start := 0; start < len(keys); start += bulkChunk {
		items, err := s.state.BulkGet(ctx, keys[start:min(start+bulkChunk, len(keys))])
		if err != nil {
			return nil, fmt.Errorf("bulk get: %w", err)
		}
		out = append(out, items...)
	}
	return out, nil
}

// loadAll reads every member of set, stored at prefix+id, as a T.
func loadAll[T any](ctx context.Context, s *Service, set *platform.KeySet, prefix string) ([]T, error) {
	ids, err := set.Members(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = prefix + id
	}
	items, err := s.bulkGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(items))
	for i, it := range items {
		if err := platform.DecodeJSON(it, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadTaxonomy fills the projection of one taxonomy kind from the state.
func loadTaxonomy[T comparable](ctx context.Context, s *Service, t *taxonomy[T]) error {
	all, err := loadAll[T](ctx, s, t.set, t.prefix)
	if err != nil {
		return fmt.Errorf("load %s: %w", t.kind, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range all {
		t.items[t.idOf(e)] = e
	}
	return nil
}

// load builds the projection and the search index from the state.
func (s *Service) load(ctx context.Context) error {
	start := time.Now()
	err := loadTaxonomy(ctx, s, s.cats)
	if err == nil {
		err = loadTaxonomy(ctx, s, s.genres)
	}
	if err == nil {
		err = loadTaxonomy(ctx, s, s.casts)
	}
	var videos []Video
	if err == nil {
		videos, err = loadAll[Video](ctx, s, s.videos, "video/")
	}
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	s.proj.load(videos)
	if err := s.index.rebuild(s.searchDocs(videos)); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	s.log.InfoContext(ctx, "catalog: projection and search index loaded",
		"videos", len(videos), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
