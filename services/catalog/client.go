package catalog

import (
	"context"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Client)(nil)

// Client is the catalog API over a platform.Invoker: every method is a call
// of the same name on the catalog app, and errors come back with the kind
// the service gave them.
type Client struct {
	inv platform.Invoker
}

// NewClient returns a Client that calls the catalog app through inv.
func NewClient(inv platform.Invoker) *Client { return &Client{inv: inv} }

// CreateCategory calls the service's CreateCategory.
func (c *Client) CreateCategory(ctx context.Context, req CreateCategoryRequest) (CreateCategoryResponse, error) {
	return platform.Call[CreateCategoryRequest, CreateCategoryResponse](ctx, c.inv, AppID, MethodCreateCategory, req)
}

// UpdateCategory calls the service's UpdateCategory.
func (c *Client) UpdateCategory(ctx context.Context, req UpdateCategoryRequest) (UpdateCategoryResponse, error) {
	return platform.Call[UpdateCategoryRequest, UpdateCategoryResponse](ctx, c.inv, AppID, MethodUpdateCategory, req)
}

// DeleteCategory calls the service's DeleteCategory.
func (c *Client) DeleteCategory(ctx context.Context, req DeleteCategoryRequest) (DeleteCategoryResponse, error) {
	return platform.Call[DeleteCategoryRequest, DeleteCategoryResponse](ctx, c.inv, AppID, MethodDeleteCategory, req)
}

// ListCategories calls the service's ListCategories.
func (c *Client) ListCategories(ctx context.Context, req ListCategoriesRequest) (ListCategoriesResponse, error) {
	return platform.Call[ListCategoriesRequest, ListCategoriesResponse](ctx, c.inv, AppID, MethodListCategories, req)
}

// CreateGenre calls the service's CreateGenre.
func (c *Client) CreateGenre(ctx context.Context, req CreateGenreRequest) (CreateGenreResponse, error) {
	return platform.Call[CreateGenreRequest, CreateGenreResponse](ctx, c.inv, AppID, MethodCreateGenre, req)
}

// UpdateGenre calls the service's UpdateGenre.
func (c *Client) UpdateGenre(ctx context.Context, req UpdateGenreRequest) (UpdateGenreResponse, error) {
	return platform.Call[UpdateGenreRequest, UpdateGenreResponse](ctx, c.inv, AppID, MethodUpdateGenre, req)
}

// DeleteGenre calls the service's DeleteGenre.
func (c *Client) DeleteGenre(ctx context.Context, req DeleteGenreRequest) (DeleteGenreResponse, error) {
	return platform.Call[DeleteGenreRequest, DeleteGenreResponse](ctx, c.inv, AppID, MethodDeleteGenre, req)
}

// ListGenres calls the service's ListGenres.
func (c *Client) ListGenres(ctx context.Context, req ListGenresRequest) (ListGenresResponse, error) {
	return platform.Call[ListGenresRequest, ListGenresResponse](ctx, c.inv, AppID, MethodListGenres, req)
}

// CreateCastMember calls the service's CreateCastMember.
func (c *Client) CreateCastMember(ctx context.Context, req CreateCastMemberRequest) (CreateCastMemberResponse, error) {
	return platform.Call[CreateCastMemberRequest, CreateCastMemberResponse](ctx, c.inv, AppID, MethodCreateCastMember, req)
}

// UpdateCastMember calls the service's UpdateCastMember.
func (c *Client) UpdateCastMember(ctx context.Context, req UpdateCastMemberRequest) (UpdateCastMemberResponse, error) {
	return platform.Call[UpdateCastMemberRequest, UpdateCastMemberResponse](ctx, c.inv, AppID, MethodUpdateCastMember, req)
}

// DeleteCastMember calls the service's DeleteCastMember.
func (c *Client) DeleteCastMember(ctx context.Context, req DeleteCastMemberRequest) (DeleteCastMemberResponse, error) {
	return platform.Call[DeleteCastMemberRequest, DeleteCastMemberResponse](ctx, c.inv, AppID, MethodDeleteCastMember, req)
}

// ListCastMembers calls the service's ListCastMembers.
func (c *Client) ListCastMembers(ctx context.Context, req ListCastMembersRequest) (ListCastMembersResponse, error) {
	return platform.Call[ListCastMembersRequest, ListCastMembersResponse](ctx, c.inv, AppID, MethodListCastMembers, req)
}

// GetTaxonomy calls the service's GetTaxonomy.
func (c *Client) GetTaxonomy(ctx context.Context, req GetTaxonomyRequest) (GetTaxonomyResponse, error) {
	return platform.Call[GetTaxonomyRequest, GetTaxonomyResponse](ctx, c.inv, AppID, MethodGetTaxonomy, req)
}

// CreateVideo calls the service's CreateVideo.
func (c *Client) CreateVideo(ctx context.Context, req CreateVideoRequest) (CreateVideoResponse, error) {
	return platform.Call[CreateVideoRequest, CreateVideoResponse](ctx, c.inv, AppID, MethodCreateVideo, req)
}

// UpdateVideo calls the service's UpdateVideo.
func (c *Client) UpdateVideo(ctx context.Context, req UpdateVideoRequest) (UpdateVideoResponse, error) {
	return platform.Call[UpdateVideoRequest, UpdateVideoResponse](ctx, c.inv, AppID, MethodUpdateVideo, req)
}

// PublishVideo calls the service's PublishVideo.
func (c *Client) PublishVideo(ctx context.Context, req PublishVideoRequest) (PublishVideoResponse, error) {
	return platform.Call[PublishVideoRequest, PublishVideoResponse](ctx, c.inv, AppID, MethodPublishVideo, req)
}

// DeleteVideo calls the service's DeleteVideo.
func (c *Client) DeleteVideo(ctx context.Context, req DeleteVideoRequest) (DeleteVideoResponse, error) {
	return platform.Call[DeleteVideoRequest, DeleteVideoResponse](ctx, c.inv, AppID, MethodDeleteVideo, req)
}

// GetVideo calls the service's GetVideo.
func (c *Client) GetVideo(ctx context.Context, req GetVideoRequest) (GetVideoResponse, error) {
	return platform.Call[GetVideoRequest, GetVideoResponse](ctx, c.inv, AppID, MethodGetVideo, req)
}

// GetVideos calls the service's GetVideos.
func (c *Client) GetVideos(ctx context.Context, req GetVideosRequest) (GetVideosResponse, error) {
	return platform.Call[GetVideosRequest, GetVideosResponse](ctx, c.inv, AppID, MethodGetVideos, req)
}

// ListVideos calls the service's ListVideos.
func (c *Client) ListVideos(ctx context.Context, req ListVideosRequest) (ListVideosResponse, error) {
	return platform.Call[ListVideosRequest, ListVideosResponse](ctx, c.inv, AppID, MethodListVideos, req)
}

// Search calls the service's Search.
func (c *Client) Search(ctx context.Context, req SearchRequest) (SearchResponse, error) {
	return platform.Call[SearchRequest, SearchResponse](ctx, c.inv, AppID, MethodSearch, req)
}

// VideosByName calls the service's VideosByName.
func (c *Client) VideosByName(ctx context.Context, req VideosByNameRequest) (VideosByNameResponse, error) {
	return platform.Call[VideosByNameRequest, VideosByNameResponse](ctx, c.inv, AppID, MethodVideosByName, req)
}

// VideosByTags calls the service's VideosByTags.
func (c *Client) VideosByTags(ctx context.Context, req VideosByTagsRequest) (VideosByTagsResponse, error) {
	return platform.Call[VideosByTagsRequest, VideosByTagsResponse](ctx, c.inv, AppID, MethodVideosByTags, req)
}

// AddTags calls the service's AddTags.
func (c *Client) AddTags(ctx context.Context, req AddTagsRequest) (AddTagsResponse, error) {
	return platform.Call[AddTagsRequest, AddTagsResponse](ctx, c.inv, AppID, MethodAddTags, req)
}

// RemoveTags calls the service's RemoveTags.
func (c *Client) RemoveTags(ctx context.Context, req RemoveTagsRequest) (RemoveTagsResponse, error) {
	return platform.Call[RemoveTagsRequest, RemoveTagsResponse](ctx, c.inv, AppID, MethodRemoveTags, req)
}

// UserTags calls the service's UserTags.
func (c *Client) UserTags(ctx context.Context, req UserTagsRequest) (UserTagsResponse, error) {
	return platform.Call[UserTagsRequest, UserTagsResponse](ctx, c.inv, AppID, MethodUserTags, req)
}
