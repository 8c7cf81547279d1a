package cache

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Defaults and bounds.
const (
	// DefaultTTL is how long an entry lives when NewCatalog gets no TTL: the
	// longest a change can stay unseen if its event is lost.
	DefaultTTL = 30 * time.Second
	// Size bounds the videos, categories, genres and cast members kept
	// (together); the least recently used go first.
	Size = 10_000
	// fetchTimeout bounds a shared fetch, which no longer follows the
	// context of the caller that started it.
	fetchTimeout = 10 * time.Second
)

var _ catalog.API = (*Catalog)(nil)

// Catalog is a catalog.API that answers GetVideo, GetVideos, GetTaxonomy,
// ListCategories, ListGenres and ListCastMembers from memory when it can and
// passes every other method to the catalog.API it wraps. It is safe for
// concurrent use.
type Catalog struct {
	// API is the wrapped catalog: misses and everything uncached go there.
	catalog.API
	store   *store
	flights singleflight.Group
}

// NewCatalog returns a cache in front of next whose entries live at most
// ttl (DefaultTTL when not positive) by clock (platform.SystemClock when
// nil). Register Subscription on the event bus so that changes drop entries
// sooner.
func NewCatalog(next catalog.API, ttl time.Duration, clock platform.Clock) *Catalog {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if clock == nil {
		clock = platform.SystemClock
	}
	return &Catalog{API: next, store: newStore(Size, ttl, clock)}
}

// shared runs fetch once for every concurrent caller of key. The fetch runs
// on a context detached from the caller that started it, bounded by
// fetchTimeout, so that one caller giving up cannot fail the others; each
// caller waits only as long as its own ctx allows. A panic in fetch becomes
// a KindInternal error rather than a crash.
func (c *Catalog) shared(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	ch := c.flights.DoChan(key, func() (v any, err error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				err = platform.E(platform.KindInternal, "internal error",
					fmt.Errorf("cache: fetch %s panicked: %v\n%s", key, p, debug.Stack()))
			}
		}()
		return fetch(fctx)
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("cache: wait for %s: %w", key, ctx.Err())
	}
}

// audience names whom a fetch is for: admins see unpublished videos, every
// other caller sees the same published ones, so only callers of one
// audience may share a fetch.
func audience(c platform.Caller) string {
	if c.IsAdmin() {
		return "|admin"
	}
	return "|public"
}
