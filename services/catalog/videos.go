package catalog

import (
	"context"
	"reflect"
	"slices"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// videoKey is the state key of a video.
func videoKey(id string) string { return "video/" + id }

// CreateVideo creates an unpublished DRAFT video (admin).
// Errors: KindUnauthenticated, KindForbidden; KindInvalid for bad input or a
// reference to an unknown category, genre or cast member.
func (s *Service) CreateVideo(ctx context.Context, req CreateVideoRequest) (CreateVideoResponse, error) {
	v, err := s.createVideo(ctx, req)
	if err != nil {
		return CreateVideoResponse{}, op(MethodCreateVideo, err)
	}
	return CreateVideoResponse{Video: v}, nil
}

func (s *Service) createVideo(ctx context.Context, req CreateVideoRequest) (Video, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return Video{}, err
	}
	now := s.clock()
	v, err := cleanInput(req.Input, now.Year())
	if err != nil {
		return Video{}, err
	}
	if v.ID, err = newID(); err != nil {
		return Video{}, err
	}
	v.Status, v.CreatedAt, v.UpdatedAt, v.Version = StatusDraft, now, now, 1
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		if err := s.checkRefs(ctx, &Video{}, &v); err != nil {
			return err
		}
		b.Set(videoKey(v.ID), v, "", true)
		b.Add(s.videos.AddOps(ctx, v.ID))
		b.Emit(s.event(EventVideoChanged, now, VideoChanged{Video: v}))
		b.OnCommit(func() { s.applyVideos(v) })
		return nil
	})
	if err != nil {
		return Video{}, err
	}
	return cloneVideo(v), nil
}

// UpdateVideo changes the fields set in the patch (admin); an empty patch
// changes nothing.
// Errors: as CreateVideo, and KindNotFound for an unknown id.
func (s *Service) UpdateVideo(ctx context.Context, req UpdateVideoRequest) (UpdateVideoResponse, error) {
	v, err := s.updateVideo(ctx, req)
	if err != nil {
		return UpdateVideoResponse{}, op(MethodUpdateVideo, err)
	}
	return UpdateVideoResponse{Video: v}, nil
}

func (s *Service) updateVideo(ctx context.Context, req UpdateVideoRequest) (Video, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return Video{}, err
	}
	id, err := parseID(req.ID)
	if err != nil {
		return Video{}, err
	}
	patch, err := cleanPatch(req.Patch, s.clock().Year())
	if err != nil {
		return Video{}, err
	}
	return s.changeVideo(ctx, id, patch.apply)
}

// PublishVideo publishes or unpublishes a video (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindNotFound.
func (s *Service) PublishVideo(ctx context.Context, req PublishVideoRequest) (PublishVideoResponse, error) {
	err := req.Caller.RequireAdmin()
	var id string
	if err == nil {
		id, err = parseID(req.ID)
	}
	var v Video
	if err == nil {
		v, err = s.changeVideo(ctx, id, func(v *Video) { v.Published = req.Published })
	}
	if err != nil {
		return PublishVideoResponse{}, op(MethodPublishVideo, err)
	}
	return PublishVideoResponse{Video: v}, nil
}

// changeVideo applies change to the stored video id; when that changes it,
// the version goes up and video.changed is published. Ids that change adds
// to the video's references must exist.
func (s *Service) changeVideo(ctx context.Context, id string, change func(*Video)) (Video, error) {
	var out Video
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var cur Video
		etag, err := platform.GetJSON(ctx, s.state, videoKey(id), "video not found", &cur)
		if err != nil {
			return err
		}
		next := cloneVideo(cur)
		change(&next)
		if out = cur; reflect.DeepEqual(next, cur) {
			return nil
		}
		if err := s.checkRefs(ctx, &cur, &next); err != nil {
			return err
		}
		next.Version, next.UpdatedAt = cur.Version+1, now
		b.Set(videoKey(id), next, etag, false)
		b.Emit(s.event(EventVideoChanged, now, VideoChanged{Video: next}))
		b.OnCommit(func() { s.applyVideos(next) })
		out = next
		return nil
	})
	if err != nil {
		return Video{}, err
	}
	return cloneVideo(out), nil
}

// DeleteVideo deletes a video (admin). The callers' tags on it are dropped
// lazily.
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindNotFound.
func (s *Service) DeleteVideo(ctx context.Context, req DeleteVideoRequest) (DeleteVideoResponse, error) {
	err := req.Caller.RequireAdmin()
	var id string
	if err == nil {
		id, err = parseID(req.ID)
	}
	if err == nil {
		err = s.deleteVideo(ctx, id)
	}
	return DeleteVideoResponse{}, op(MethodDeleteVideo, err)
}

func (s *Service) deleteVideo(ctx context.Context, id string) error {
	var version int64
	now := s.clock()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var cur Video
		etag, err := platform.GetJSON(ctx, s.state, videoKey(id), "video not found", &cur)
		if err != nil {
			return err
		}
		version = cur.Version + 1
		b.Delete(videoKey(id), etag)
		b.Add(s.videos.RemoveOps(ctx, id))
		b.Emit(s.event(EventVideoDeleted, now, VideoDeleted{VideoID: id, Version: version}))
		b.OnCommit(func() { s.removeVideo(id, version, true) })
		return nil
	})
	return err
}

// GetVideo reads one video.
// Errors: KindInvalid for a malformed id; KindNotFound for an unknown id or
// a video the caller may not see.
func (s *Service) GetVideo(ctx context.Context, req GetVideoRequest) (GetVideoResponse, error) {
	id, err := parseID(req.ID)
	if err != nil {
		return GetVideoResponse{}, op(MethodGetVideo, err)
	}
	v, ok := s.proj.get(id, req.Caller.IsAdmin())
	if !ok {
		return GetVideoResponse{}, op(MethodGetVideo, notFound("video"))
	}
	return GetVideoResponse{Video: v}, nil
}

// GetVideos returns the videos with the given ids that the caller may see,
// in request order.
// Errors: KindInvalid for a malformed id.
func (s *Service) GetVideos(ctx context.Context, req GetVideosRequest) (GetVideosResponse, error) {
	ids, err := parseIDs(req.IDs)
	if err != nil {
		return GetVideosResponse{}, op(MethodGetVideos, err)
	}
	out := make([]Video, 0, len(ids))
	for _, id := range ids {
		if v, ok := s.proj.get(id, req.Caller.IsAdmin()); ok {
			out = append(out, v)
		}
	}
	return GetVideosResponse{Videos: out}, nil
}

// unreference adds to b the writes that remove id from the field picked by
// refs in every stored video that holds it, and returns those videos as
// changed. Candidates come from the projection and are read fresh, with
// their ETags, from the state.
func (s *Service) unreference(ctx context.Context, b *platform.Batch, now time.Time, id string, refs func(*Video) *[]string) ([]Video, error) {
	keys := []string{}
	for _, vid := range s.proj.referencing(id, refs) {
		keys = append(keys, videoKey(vid))
	}
	items, err := s.bulkGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	var changed []Video
	for _, it := range items {
		var v Video
		if err := platform.DecodeJSON(it, &v); err != nil {
			return nil, err
		}
		ids := refs(&v)
		if !slices.Contains(*ids, id) {
			continue
		}
		*ids = slices.DeleteFunc(slices.Clone(*ids), func(x string) bool { return x == id })
		v.Version, v.UpdatedAt = v.Version+1, now
		b.Set(it.Key, v, it.ETag, false)
		b.Emit(s.event(EventVideoChanged, now, VideoChanged{Video: v}))
		changed = append(changed, v)
	}
	return changed, nil
}

// applyVideos projects videos this replica wrote and indexes them, even
// those its own event got to first: when a write returns, its change is in
// the projection and in the index.
func (s *Service) applyVideos(videos ...Video) {
	s.project(videos)
	ids := make([]string, len(videos))
	for i, v := range videos {
		ids[i] = v.ID
	}
	s.reindex(ids...)
}

// applyVideoEvents projects changed videos from events and indexes the ones
// that changed the projection.
func (s *Service) applyVideoEvents(videos ...Video) {
	s.reindex(s.project(videos)...)
}

// project stores each video unless a same or later version is already
// projected, and returns the ids of those stored.
func (s *Service) project(videos []Video) []string {
	var changed []string
	s.proj.mu.Lock()
	defer s.proj.mu.Unlock()
	for _, v := range videos {
		if s.proj.apply(v) {
			changed = append(changed, v.ID)
		}
	}
	return changed
}

// removeVideo drops the video id as of version from the projection and the
// index; force indexes it even when the projection was already up to date
// (for this replica's own deletions, as applyVideos).
func (s *Service) removeVideo(id string, version int64, force bool) {
	s.proj.mu.Lock()
	removed := s.proj.remove(id, version)
	s.proj.mu.Unlock()
	if removed || force {
		s.reindex(id)
	}
}
