package loader

import (
	"context"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Catalog is what the loaders need from the catalog service.
type Catalog interface {
	GetTaxonomy(ctx context.Context, req catalog.GetTaxonomyRequest) (catalog.GetTaxonomyResponse, error)
	UserTags(ctx context.Context, req catalog.UserTagsRequest) (catalog.UserTagsResponse, error)
}

// Wait is how long a loader collects keys before it calls the catalog.
// Lists prime the loaders up front (see Prime), so the window only matters
// for fields resolved one by one.
const Wait = 2 * time.Millisecond

// Loaders are the per-operation dataloaders. Taxonomy of every kind shares
// one loader so that one batch window costs one GetTaxonomy call.
type Loaders struct {
	cat      Catalog
	caller   platform.Caller
	taxonomy *dataloader.Loader[Key, Taxon]
	tags     *dataloader.Loader[string, []string]
}

// New returns loaders that read the catalog on behalf of caller.
func New(cat Catalog, caller platform.Caller) *Loaders {
	l := &Loaders{cat: cat, caller: caller}
	l.taxonomy = dataloader.NewBatchedLoader(l.loadTaxonomy, dataloader.WithWait[Key, Taxon](Wait))
	l.tags = dataloader.NewBatchedLoader(l.loadTags, dataloader.WithWait[string, []string](Wait))
	return l
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the loaders in ctx, or nil.
func From(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}

// Clear forgets everything loaded so far; mutations call it so that later
// fields of the same operation read fresh data.
func (l *Loaders) Clear() {
	l.taxonomy.ClearAll()
	l.tags.ClearAll()
}
