package cache

import (
	"context"
	"fmt"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// SubscriptionName names the cache's consumer of catalog.Topic.
const SubscriptionName = "bff-cache"

// Subscription returns the consumer of catalog.Topic that drops what
// changed, broadcast so that every BFF replica drops its own copy:
//
//   - video.changed and video.deleted drop the video, and keep any version
//     older than the event's out of the cache until the TTL passes;
//   - taxonomy.changed drops the category, genre and cast-member lists and
//     the changed entity;
//   - tags.changed (per-user tags are not cached) and unknown types are
//     acknowledged as they are.
//
// An event it cannot read empties the whole cache, to stay correct, and goes
// to the dead letters (platform.Drop) for an admin to see. Handling is
// idempotent and order-insensitive.
func (c *Catalog) Subscription() platform.Subscription {
	return platform.Subscription{Topic: catalog.Topic, Name: SubscriptionName, Broadcast: true, Handle: c.handle}
}

// handle applies one catalog event.
func (c *Catalog) handle(_ context.Context, ev platform.Event) error {
	var err error
	switch ev.Type {
	case catalog.EventVideoChanged:
		var p catalog.VideoChanged
		if err = ev.Decode(&p); err == nil {
			err = c.dropVideo(ev, p.Video.ID, p.Video.Version)
		}
	case catalog.EventVideoDeleted:
		var p catalog.VideoDeleted
		if err = ev.Decode(&p); err == nil {
			err = c.dropVideo(ev, p.VideoID, p.Version)
		}
	case catalog.EventTaxonomyChanged:
		var p catalog.TaxonomyChanged
		if err = ev.Decode(&p); err == nil {
			err = c.dropTaxon(ev, p.Kind, p.ID)
		}
	}
	if err != nil {
		c.store.purge()
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// dropVideo drops the video id as of version.
func (c *Catalog) dropVideo(ev platform.Event, id string, version int64) error {
	if id == "" {
		return platform.Drop(fmt.Errorf("%s event %s names no video", ev.Type, ev.ID))
	}
	c.store.drop(videoKey(id), version)
	return nil
}

// dropTaxon drops every list and the entity id of kind. A kind this cache
// does not know has no entries, so the lists suffice.
func (c *Catalog) dropTaxon(ev platform.Event, kind, id string) error {
	if id == "" {
		return platform.Drop(fmt.Errorf("%s event %s names no %s", ev.Type, ev.ID, kind))
	}
	if cachedKind(kind) {
		c.dropTaxonomy(kind, id)
	} else {
		c.store.dropLists()
	}
	return nil
}
