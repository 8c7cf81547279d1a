package cache

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/catalog"
)

// videoKey is the entry of the video id. Catalog's ids are lowercase UUIDs
// and it accepts them in any case, so keys are lowercased to match.
func videoKey(id string) string { return "video:" + strings.ToLower(id) }

// GetVideo returns the cached video when it is there (only published
// videos are, and those every caller may see); otherwise it asks the
// wrapped catalog with the caller's own request and keeps the answer when
// the video is published.
//
// Errors: the wrapped catalog's (KindInvalid, KindNotFound, ...), never
// cached; KindUnavailable when ctx ends first.
func (c *Catalog) GetVideo(ctx context.Context, req catalog.GetVideoRequest) (catalog.GetVideoResponse, error) {
	key := videoKey(req.ID)
	if v, ok := c.store.get(key); ok {
		return catalog.GetVideoResponse{Video: cloneVideo(v.(catalog.Video))}, nil
	}
	gens := c.store.generations(key)
	val, err := c.shared(ctx, flightKey("video", gens)+audience(req.Caller), func(ctx context.Context) (any, error) {
		resp, err := c.API.GetVideo(ctx, req)
		if err != nil {
			return nil, err
		}
		c.keepVideo(gens, resp.Video)
		return resp.Video, nil
	})
	if err != nil {
		return catalog.GetVideoResponse{}, err
	}
	return catalog.GetVideoResponse{Video: cloneVideo(val.(catalog.Video))}, nil
}

// GetVideos composes the answer from the cached videos and fetches the
// missing ones in one call with the caller's own request, keeping the
// published ones. Like the catalog, it returns the visible videos in
// request order and leaves the others out.
//
// Errors: the wrapped catalog's (KindInvalid for a malformed id), never
// cached; KindUnavailable when ctx ends first.
func (c *Catalog) GetVideos(ctx context.Context, req catalog.GetVideosRequest) (catalog.GetVideosResponse, error) {
	found := make(map[string]catalog.Video, len(req.IDs))
	seen := make(map[string]bool, len(req.IDs))
	var missing, keys []string
	for _, id := range req.IDs {
		key := videoKey(id)
		if seen[key] {
			continue
		}
		seen[key] = true
		if v, ok := c.store.get(key); ok {
			found[key] = v.(catalog.Video)
			continue
		}
		missing, keys = append(missing, id), append(keys, key)
	}
	if len(missing) > 0 {
		gens := c.store.generations(keys...)
		val, err := c.shared(ctx, flightKey("videos", gens)+audience(req.Caller), func(ctx context.Context) (any, error) {
			resp, err := c.API.GetVideos(ctx, catalog.GetVideosRequest{Caller: req.Caller, IDs: missing})
			if err != nil {
				return nil, err
			}
			for _, v := range resp.Videos {
				c.keepVideo(gens, v)
			}
			return resp.Videos, nil
		})
		if err != nil {
			return catalog.GetVideosResponse{}, err
		}
		for _, v := range val.([]catalog.Video) {
			found[videoKey(v.ID)] = v
		}
	}
	out := make([]catalog.Video, 0, len(req.IDs))
	for _, id := range req.IDs {
		if v, ok := found[videoKey(id)]; ok {
			out = append(out, cloneVideo(v))
		}
	}
	return catalog.GetVideosResponse{Videos: out}, nil
}

// keepVideo stores v when every caller may see it and it answers one of the
// keys whose generations were read before the fetch.
func (c *Catalog) keepVideo(gens map[string]uint64, v catalog.Video) {
	key := videoKey(v.ID)
	if gen, asked := gens[key]; asked && v.Published {
		c.store.put(key, gen, v, v.Version)
	}
}

// flightKey names a fetch of the keys of gens, whatever their order, as of
// their generations: a caller arriving after a drop starts a fetch of its
// own rather than share one that may have read the dropped data.
func flightKey(what string, gens map[string]uint64) string {
	var b strings.Builder
	b.WriteString(what)
	for _, k := range slices.Sorted(maps.Keys(gens)) {
		fmt.Fprintf(&b, " %s@%d", k, gens[k])
	}
	return b.String()
}

// cloneVideo copies v's slices, so that no caller shares them with the
// cache or with another caller.
func cloneVideo(v catalog.Video) catalog.Video {
	v.CategoryIDs = slices.Clone(v.CategoryIDs)
	v.GenreIDs = slices.Clone(v.GenreIDs)
	v.CastIDs = slices.Clone(v.CastIDs)
	v.Tags = slices.Clone(v.Tags)
	return v
}
