package catalog

import (
	"context"
	"slices"

	"github.com/dflix/dflix/services/platform"
)

// userTags is one user's tags: video id to sorted tags. It is stored as one
// document per user, so a user's tags change with one conditional write.
type userTags map[string][]string

// userTagsKey is the state key of a user's tags.
func userTagsKey(userID string) string { return "usertags/" + userID }

// readUserTags returns a user's tags and the document's ETag ("" when the
// user has none stored yet).
func (s *Service) readUserTags(ctx context.Context, userID string) (userTags, string, error) {
	doc := userTags{}
	etag, err := platform.GetJSON(ctx, s.state, userTagsKey(userID), "", &doc)
	if platform.Is(err, platform.KindNotFound) {
		return userTags{}, "", nil
	}
	return doc, etag, err
}

// AddTags adds the caller's tags to a video the caller may see and returns
// the caller's tags on it, sorted.
// Errors: KindUnauthenticated; KindInvalid for a malformed id, no tags, a
// bad tag, more than MaxTagsPerRequest tags or more than MaxTagsPerVideo on
// the video; KindNotFound for a video the caller may not see.
func (s *Service) AddTags(ctx context.Context, req AddTagsRequest) (AddTagsResponse, error) {
	tags, err := s.editTags(ctx, req.Caller, req.VideoID, req.Tags, func(cur, given []string) []string {
		for _, t := range given {
			if !slices.Contains(cur, t) {
				cur = append(cur, t)
			}
		}
		return cur
	})
	if err != nil {
		return AddTagsResponse{}, op(MethodAddTags, err)
	}
	return AddTagsResponse{Tags: tags}, nil
}

// RemoveTags removes the caller's tags from a video the caller may see and
// returns the caller's tags left on it, sorted.
// Errors: as AddTags.
func (s *Service) RemoveTags(ctx context.Context, req RemoveTagsRequest) (RemoveTagsResponse, error) {
	tags, err := s.editTags(ctx, req.Caller, req.VideoID, req.Tags, func(cur, given []string) []string {
		return slices.DeleteFunc(cur, func(t string) bool { return slices.Contains(given, t) })
	})
	if err != nil {
		return RemoveTagsResponse{}, op(MethodRemoveTags, err)
	}
	return RemoveTagsResponse{Tags: tags}, nil
}

// editTags checks the request, then changes the caller's tags on the video
// with edit (given the current tags, a copy, and the normalized ones) in one
// read-modify-write of the caller's document, and publishes tags.changed.
func (s *Service) editTags(ctx context.Context, caller platform.Caller, rawID string, raw []string, edit func(cur, given []string) []string) ([]string, error) {
	id, given, err := s.checkTagEdit(caller, rawID, raw)
	if err != nil {
		return nil, err
	}
	var out []string
	now := s.clock()
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		doc, etag, err := s.readUserTags(ctx, caller.UserID)
		if err != nil {
			return err
		}
		next := edit(slices.Clone(doc[id]), given)
		slices.Sort(next)
		if out = next; len(next) > MaxTagsPerVideo {
			return invalid("a video can have at most %d of your tags", MaxTagsPerVideo)
		}
		pruned, err := s.pruneDeleted(ctx, doc, id)
		if err != nil || (!pruned && slices.Equal(next, doc[id])) {
			return err
		}
		s.storeUserTags(b, caller.UserID, doc, etag, id, next)
		b.Emit(s.event(EventTagsChanged, now, TagsChanged{UserID: caller.UserID, VideoID: id, Tags: next}))
		return nil
	})
	if out == nil {
		out = []string{}
	}
	return out, err
}

// checkTagEdit checks a tag change: a signed-in caller, a video the caller
// may see, one or more valid tags. It returns the canonical video id and the
// normalized tags.
func (s *Service) checkTagEdit(caller platform.Caller, rawID string, raw []string) (string, []string, error) {
	if err := caller.RequireUser(); err != nil {
		return "", nil, err
	}
	id, err := parseID(rawID)
	if err != nil {
		return "", nil, err
	}
	given, err := requireTags(raw)
	if err != nil {
		return "", nil, err
	}
	if _, ok := s.proj.get(id, caller.IsAdmin()); !ok {
		return "", nil, notFound("video")
	}
	return id, given, nil
}

// requireTags normalizes one to MaxTagsPerRequest tags.
func requireTags(raw []string) ([]string, error) {
	tags, err := normalizeTags(raw, MaxTagsPerRequest)
	if err == nil && len(tags) == 0 {
		err = invalid("at least one tag is required")
	}
	return tags, err
}

// storeUserTags sets the tags on video id in doc and adds its conditional
// write (or delete, once empty) to b.
func (s *Service) storeUserTags(b *platform.Batch, userID string, doc userTags, etag, id string, tags []string) {
	if len(tags) == 0 {
		delete(doc, id)
	} else {
		doc[id] = tags
	}
	switch {
	case len(doc) == 0 && etag != "":
		b.Delete(userTagsKey(userID), etag)
	case len(doc) > 0:
		b.Set(userTagsKey(userID), doc, etag, etag == "")
	}
}

// pruneDeleted drops from doc the videos, other than keep, that no longer
// exist: those this replica does not project are checked in the state.
// It reports whether any was dropped.
func (s *Service) pruneDeleted(ctx context.Context, doc userTags, keep string) (bool, error) {
	var keys []string
	for id := range doc {
		if id != keep && s.proj.version(id) == 0 {
			keys = append(keys, videoKey(id))
		}
	}
	if len(keys) == 0 {
		return false, nil
	}
	items, err := s.bulkGet(ctx, keys)
	if err != nil {
		return false, err
	}
	exists := map[string]bool{}
	for _, it := range items {
		exists[it.Key] = true
	}
	pruned := false
	for _, k := range keys {
		if !exists[k] {
			delete(doc, k[len("video/"):])
			pruned = true
		}
	}
	return pruned, nil
}

// UserTags returns the caller's tags on each of the given videos that has
// some and that the caller may see.
// Errors: KindUnauthenticated; KindInvalid for a malformed id.
func (s *Service) UserTags(ctx context.Context, req UserTagsRequest) (UserTagsResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return UserTagsResponse{}, op(MethodUserTags, err)
	}
	ids, err := parseIDs(req.VideoIDs)
	if err != nil {
		return UserTagsResponse{}, op(MethodUserTags, err)
	}
	doc, _, err := s.readUserTags(ctx, req.Caller.UserID)
	if err != nil {
		return UserTagsResponse{}, op(MethodUserTags, err)
	}
	out := map[string][]string{}
	for _, id := range ids {
		if tags := doc[id]; len(tags) > 0 {
			if _, ok := s.proj.get(id, req.Caller.IsAdmin()); ok {
				out[id] = tags
			}
		}
	}
	return UserTagsResponse{Tags: out}, nil
}

// VideosByTags returns the videos the caller may see that the caller tagged
// with any (or, with MatchAll, all) of the tags, ordered by title.
// Errors: KindUnauthenticated; KindInvalid for no tags or a bad tag.
func (s *Service) VideosByTags(ctx context.Context, req VideosByTagsRequest) (VideosByTagsResponse, error) {
	videos, err := s.videosByTags(ctx, req)
	if err != nil {
		return VideosByTagsResponse{}, op(MethodVideosByTags, err)
	}
	return VideosByTagsResponse{Videos: videos}, nil
}

func (s *Service) videosByTags(ctx context.Context, req VideosByTagsRequest) ([]Video, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return nil, err
	}
	want, err := requireTags(req.Tags)
	if err != nil {
		return nil, err
	}
	doc, _, err := s.readUserTags(ctx, req.Caller.UserID)
	if err != nil {
		return nil, err
	}
	has := func(tags []string) func(string) bool {
		return func(t string) bool { return slices.Contains(tags, t) }
	}
	admin := req.Caller.IsAdmin()
	var hits []*entry
	s.proj.mu.RLock()
	defer s.proj.mu.RUnlock()
	for id, tags := range doc {
		ok := slices.ContainsFunc(want, has(tags))
		if req.MatchAll {
			ok = !slices.ContainsFunc(want, func(t string) bool { return !has(tags)(t) })
		}
		if e, found := s.proj.videos[id]; ok && found && e.visibleTo(admin) {
			hits = append(hits, e)
		}
	}
	slices.SortFunc(hits, orderCmp[orderByTitle])
	out := make([]Video, 0, len(hits))
	for _, e := range hits {
		out = append(out, cloneVideo(e.v))
	}
	return out, nil
}
