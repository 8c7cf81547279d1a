package loader

import (
	"context"
	"fmt"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/dflix/dflix/services/catalog"
)

// MyTags returns the caller's own tags on a video: empty, without a call,
// for an anonymous caller.
func (l *Loaders) MyTags(ctx context.Context, videoID string) ([]string, error) {
	if l.caller.Anonymous() {
		return []string{}, nil
	}
	return l.tags.Load(ctx, videoID)()
}

// loadTags is the batch function: one UserTags call per window.
func (l *Loaders) loadTags(ctx context.Context, videoIDs []string) []*dataloader.Result[[]string] {
	tags, err := l.fetchTags(ctx, videoIDs)
	results := make([]*dataloader.Result[[]string], len(videoIDs))
	for i, id := range videoIDs {
		if err != nil {
			results[i] = &dataloader.Result[[]string]{Error: err}
			continue
		}
		results[i] = &dataloader.Result[[]string]{Data: orEmpty(tags[id])}
	}
	return results
}

func (l *Loaders) fetchTags(ctx context.Context, videoIDs []string) (map[string][]string, error) {
	resp, err := l.cat.UserTags(ctx, catalog.UserTagsRequest{Caller: l.caller, VideoIDs: videoIDs})
	if err != nil {
		return nil, fmt.Errorf("load user tags: %w", err)
	}
	return resp.Tags, nil
}

func orEmpty(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}
