package loader

import (
	"context"

	"github.com/dflix/dflix/services/catalog"
)

// Want says which per-video fields an operation selected.
type Want struct {
	Categories, Genres, Cast, MyTags bool
}

// Any reports whether anything is wanted.
func (w Want) Any() bool { return w.Categories || w.Genres || w.Cast || w.MyTags }

// Prime loads what want asks for, for all of videos at once (one
// GetTaxonomy and one UserTags call), and seeds the loaders with it so the
// fields of each video resolve from the cache without waiting for a batch
// window. A failed call only skips the seeding: the fields then load
// through the batched loaders and report their own errors.
func (l *Loaders) Prime(ctx context.Context, videos []catalog.Video, want Want) {
	if len(videos) == 0 {
		return
	}
	if keys := taxonomyKeys(videos, want); len(keys) > 0 {
		if found, err := l.fetchTaxonomy(ctx, keys); err == nil {
			for _, k := range keys {
				l.taxonomy.Prime(ctx, k, found[k])
			}
		}
	}
	if want.MyTags && !l.caller.Anonymous() {
		ids := make([]string, len(videos))
		for i, v := range videos {
			ids[i] = v.ID
		}
		if tags, err := l.fetchTags(ctx, ids); err == nil {
			for _, id := range ids {
				l.tags.Prime(ctx, id, orEmpty(tags[id]))
			}
		}
	}
}

func taxonomyKeys(videos []catalog.Video, want Want) []Key {
	seen := map[Key]bool{}
	var keys []Key
	add := func(kind Kind, ids []string) {
		for _, id := range ids {
			k := Key{Kind: kind, ID: id}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for _, v := range videos {
		if want.Categories {
			add(KindCategory, v.CategoryIDs)
		}
		if want.Genres {
			add(KindGenre, v.GenreIDs)
		}
		if want.Cast {
			add(KindCast, v.CastIDs)
		}
	}
	return keys
}
