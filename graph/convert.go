package graph

import (
	"context"

	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
)

func (r *mutationResolver) publish(ctx context.Context, id string, published bool) (*catalog.Video, error) {
	resp, err := r.catalog.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: caller(ctx), ID: id, Published: published})
	if err != nil {
		return nil, err
	}
	return &resp.Video, nil
}

func videoInput(in model.CreateVideoInput) catalog.VideoInput {
	return catalog.VideoInput{
		Title:           in.Title,
		Description:     deref(in.Description),
		ReleaseYear:     in.ReleaseYear,
		DurationSeconds: in.DurationSeconds,
		AgeRating:       in.AgeRating,
		CategoryIDs:     orEmpty(in.CategoryIds),
		GenreIDs:        orEmpty(in.GenreIds),
		CastIDs:         orEmpty(in.CastIds),
		Tags:            orEmpty(in.Tags),
	}
}

// videoPatch maps the fields that were given; an omitted (or null) list
// leaves the video's list as it is, an empty one clears it.
func videoPatch(in model.UpdateVideoInput) catalog.VideoPatch {
	return catalog.VideoPatch{
		Title:           in.Title,
		Description:     in.Description,
		ReleaseYear:     in.ReleaseYear,
		DurationSeconds: in.DurationSeconds,
		AgeRating:       in.AgeRating,
		CategoryIDs:     listPatch(in.CategoryIds),
		GenreIDs:        listPatch(in.GenreIds),
		CastIDs:         listPatch(in.CastIds),
		Tags:            listPatch(in.Tags),
	}
}

func listPatch(s []string) *[]string {
	if s == nil {
		return nil
	}
	return &s
}

func userConnection(resp auth.ListUsersResponse) *model.UserConnection {
	edges := make([]*model.UserEdge, len(resp.Users))
	for i := range resp.Users {
		edges[i] = &model.UserEdge{Node: &resp.Users[i]}
		if i < len(resp.Cursors) {
			edges[i].Cursor = resp.Cursors[i]
		}
	}
	return &model.UserConnection{
		Edges:      edges,
		PageInfo:   pageInfo(resp.HasNextPage, resp.Cursors),
		TotalCount: resp.TotalCount,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// listVideos serves every browse connection (the catalog, a category's or
// a genre's row) and primes the loaders for the selected per-video fields.
func (r *Resolver) listVideos(ctx context.Context, filter catalog.VideoFilter, first *int, after *string, orderBy *catalog.VideoOrder) (*model.VideoConnection, error) {
	p, err := page(first, after)
	if err != nil {
		return nil, err
	}
	req := catalog.ListVideosRequest{Caller: caller(ctx), Filter: filter, Page: p}
	if orderBy != nil {
		req.Order = *orderBy
	}
	resp, err := r.catalog.ListVideos(ctx, req)
	if err != nil {
		return nil, err
	}
	r.loaders(ctx).Prime(ctx, resp.Page.Videos, wantedVideoFields(ctx))
	return videoConnection(resp.Page), nil
}
