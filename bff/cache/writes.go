package cache

import (
	"context"

	"github.com/dflix/dflix/services/catalog"
)

// The writes below pass through to the wrapped catalog and then drop (most
// of them with a deferred call, after the write returns), on this replica,
// what they may have changed, whether they succeeded or not:
// an admin reads their own writes here without waiting for the event (which
// drops the same entries on every replica). Their errors are the wrapped
// catalog's.

// UpdateVideo updates the video and drops it.
func (c *Catalog) UpdateVideo(ctx context.Context, req catalog.UpdateVideoRequest) (catalog.UpdateVideoResponse, error) {
	resp, err := c.API.UpdateVideo(ctx, req)
	c.store.drop(videoKey(req.ID), resp.Video.Version)
	return resp, err
}

// PublishVideo publishes or unpublishes the video and drops it.
func (c *Catalog) PublishVideo(ctx context.Context, req catalog.PublishVideoRequest) (catalog.PublishVideoResponse, error) {
	resp, err := c.API.PublishVideo(ctx, req)
	c.store.drop(videoKey(req.ID), resp.Video.Version)
	return resp, err
}

// DeleteVideo deletes the video and drops it.
func (c *Catalog) DeleteVideo(ctx context.Context, req catalog.DeleteVideoRequest) (catalog.DeleteVideoResponse, error) {
	defer c.store.drop(videoKey(req.ID), 0)
	return c.API.DeleteVideo(ctx, req)
}

// CreateCategory creates a category and drops the lists.
func (c *Catalog) CreateCategory(ctx context.Context, req catalog.CreateCategoryRequest) (catalog.CreateCategoryResponse, error) {
	defer c.store.dropLists()
	return c.API.CreateCategory(ctx, req)
}

// UpdateCategory updates the category and drops it and the lists.
func (c *Catalog) UpdateCategory(ctx context.Context, req catalog.UpdateCategoryRequest) (catalog.UpdateCategoryResponse, error) {
	defer c.dropTaxonomy(kindCategory, req.ID)
	return c.API.UpdateCategory(ctx, req)
}

// DeleteCategory deletes the category and drops it and the lists.
func (c *Catalog) DeleteCategory(ctx context.Context, req catalog.DeleteCategoryRequest) (catalog.DeleteCategoryResponse, error) {
	defer c.dropTaxonomy(kindCategory, req.ID)
	return c.API.DeleteCategory(ctx, req)
}

// CreateGenre creates a genre and drops the lists.
func (c *Catalog) CreateGenre(ctx context.Context, req catalog.CreateGenreRequest) (catalog.CreateGenreResponse, error) {
	defer c.store.dropLists()
	return c.API.CreateGenre(ctx, req)
}

// UpdateGenre renames the genre and drops it and the lists.
func (c *Catalog) UpdateGenre(ctx context.Context, req catalog.UpdateGenreRequest) (catalog.UpdateGenreResponse, error) {
	defer c.dropTaxonomy(kindGenre, req.ID)
	return c.API.UpdateGenre(ctx, req)
}

// DeleteGenre deletes the genre and drops it and the lists.
func (c *Catalog) DeleteGenre(ctx context.Context, req catalog.DeleteGenreRequest) (catalog.DeleteGenreResponse, error) {
	defer c.dropTaxonomy(kindGenre, req.ID)
	return c.API.DeleteGenre(ctx, req)
}

// CreateCastMember creates a cast member and drops the lists.
func (c *Catalog) CreateCastMember(ctx context.Context, req catalog.CreateCastMemberRequest) (catalog.CreateCastMemberResponse, error) {
	defer c.store.dropLists()
	return c.API.CreateCastMember(ctx, req)
}

// UpdateCastMember updates the cast member and drops them and the lists.
func (c *Catalog) UpdateCastMember(ctx context.Context, req catalog.UpdateCastMemberRequest) (catalog.UpdateCastMemberResponse, error) {
	defer c.dropTaxonomy(kindCast, req.ID)
	return c.API.UpdateCastMember(ctx, req)
}

// DeleteCastMember deletes the cast member and drops them and the lists.
func (c *Catalog) DeleteCastMember(ctx context.Context, req catalog.DeleteCastMemberRequest) (catalog.DeleteCastMemberResponse, error) {
	defer c.dropTaxonomy(kindCast, req.ID)
	return c.API.DeleteCastMember(ctx, req)
}

// dropTaxonomy drops the entity id of kind and every list.
func (c *Catalog) dropTaxonomy(kind, id string) {
	c.store.dropLists()
	c.store.drop(taxonKey(kind, id), 0)
}
