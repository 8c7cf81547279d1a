package catalog

import (
	"context"
	"fmt"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

// The subscription names.
const (
	SubscriptionProjection  = "catalog-projection"
	SubscriptionUserDeleted = "catalog-user-deleted"
	SubscriptionMedia       = "catalog-media"
)

// Subscriptions returns what main must register on the subscriber before it
// starts delivering:
//
//   - Topic, broadcast to every replica, to keep each replica's projection
//     and search index current with the writes of the others. Videos are
//     applied by version, so duplicates and late events change nothing, and
//     a deletion leaves a tombstone version.
//   - auth.Topic (competing consumers), to delete a deleted user's tags.
//   - encoder.Topic (competing consumers), to record a video's media status:
//     pending, encoding progress, renditions or the reason it failed.
func (s *Service) Subscriptions() []platform.Subscription {
	return []platform.Subscription{
		{Topic: Topic, Name: SubscriptionProjection, Broadcast: true, Handle: s.handleCatalogEvent},
		{Topic: auth.Topic, Name: SubscriptionUserDeleted, Handle: s.handleUserEvent},
		{Topic: encoder.Topic, Name: SubscriptionMedia, Handle: s.handleMediaEvent},
	}
}

// handleCatalogEvent applies one of catalog's own events to this replica.
func (s *Service) handleCatalogEvent(ctx context.Context, ev platform.Event) error {
	switch ev.Type {
	case EventVideoChanged:
		var p VideoChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		if err := ownID(ev, p.Video.ID); err != nil {
			return err
		}
		return s.onVideoChanged(ctx, p.Video)
	case EventVideoDeleted:
		var p VideoDeleted
		if err := ev.Decode(&p); err != nil {
			return err
		}
		if err := ownID(ev, p.VideoID); err != nil {
			return err
		}
		s.removeVideo(p.VideoID, p.Version, false)
		return nil
	case EventTaxonomyChanged:
		var p TaxonomyChanged
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.onTaxonomyChanged(ctx, ev, p)
	}
	return nil // tags.changed and unknown types: nothing to project
}

// ownID checks that id is as catalog writes ids: a canonical UUID. Its own
// events carry nothing else, so any other id (malformed, or upper case,
// which would be projected under a key no read ever asks for) is dropped to
// the dead letters rather than applied.
func ownID(ev platform.Event, id string) error {
	c, err := parseID(id)
	if err == nil && c != id {
		err = invalid("id %q is not canonical", clip(id))
	}
	if err != nil {
		return platform.Drop(fmt.Errorf("%s event %s: %w", ev.Type, ev.ID, err))
	}
	return nil
}

// onVideoChanged applies a changed video. A video this replica has never
// seen is read from the state first, so a late event for a video deleted
// before this replica started cannot resurrect it.
func (s *Service) onVideoChanged(ctx context.Context, v Video) error {
	s.proj.mu.RLock()
	_, known := s.proj.videos[v.ID]
	_, buried := s.proj.tombstones[v.ID]
	s.proj.mu.RUnlock()
	if known || buried {
		s.applyVideoEvents(v)
		return nil
	}
	var stored Video
	_, err := platform.GetJSON(ctx, s.state, videoKey(v.ID), "video not found", &stored)
	switch {
	case platform.Is(err, platform.KindNotFound):
		s.removeVideo(v.ID, v.Version, false)
		return nil
	case err != nil:
		return fmt.Errorf("catalog: apply %s: %w", EventVideoChanged, err)
	}
	s.applyVideoEvents(stored, v)
	return nil
}

// onTaxonomyChanged reloads the changed entity from the state.
func (s *Service) onTaxonomyChanged(ctx context.Context, ev platform.Event, p TaxonomyChanged) error {
	if err := ownID(ev, p.ID); err != nil {
		return err
	}
	var err error
	switch p.Kind {
	case s.cats.kind:
		err = refreshEntity(ctx, s, s.cats, p.ID)
	case s.genres.kind:
		err = refreshEntity(ctx, s, s.genres, p.ID)
	case s.casts.kind:
		err = refreshEntity(ctx, s, s.casts, p.ID)
	default:
		return platform.Drop(fmt.Errorf("%s event %s: unknown kind %q", ev.Type, ev.ID, p.Kind))
	}
	return err
}

// handleUserEvent deletes the tags of a deleted user; other user events are
// acknowledged.
func (s *Service) handleUserEvent(ctx context.Context, ev platform.Event) error {
	if ev.Type != auth.EventUserDeleted {
		return nil
	}
	var p auth.UserDeleted
	if err := ev.Decode(&p); err != nil {
		return err
	}
	if p.UserID == "" {
		return platform.Drop(fmt.Errorf("%s event %s: no user id", ev.Type, ev.ID))
	}
	err := s.state.Transact(ctx, []platform.Op{{Key: userTagsKey(p.UserID), Delete: true}})
	if err != nil {
		return fmt.Errorf("catalog: delete tags of user %s: %w", p.UserID, err)
	}
	return nil
}
