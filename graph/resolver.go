package graph

import (
	"context"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/loader"
	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Accounts is what the resolvers need from the auth service.
type Accounts interface {
	Register(ctx context.Context, req auth.RegisterRequest) (auth.RegisterResponse, error)
	Login(ctx context.Context, req auth.LoginRequest) (auth.LoginResponse, error)
	Refresh(ctx context.Context, req auth.RefreshRequest) (auth.RefreshResponse, error)
	Logout(ctx context.Context, req auth.LogoutRequest) (auth.LogoutResponse, error)
	ChangePassword(ctx context.Context, req auth.ChangePasswordRequest) (auth.ChangePasswordResponse, error)
	GetUser(ctx context.Context, req auth.GetUserRequest) (auth.GetUserResponse, error)
	ListUsers(ctx context.Context, req auth.ListUsersRequest) (auth.ListUsersResponse, error)
	SetUserRole(ctx context.Context, req auth.SetUserRoleRequest) (auth.SetUserRoleResponse, error)
	DeleteUser(ctx context.Context, req auth.DeleteUserRequest) (auth.DeleteUserResponse, error)
	RotateKey(ctx context.Context, req auth.RotateKeyRequest) (auth.RotateKeyResponse, error)
}

// Catalog is what the resolvers need from the catalog service.
type Catalog interface {
	loader.Catalog

	CreateCategory(ctx context.Context, req catalog.CreateCategoryRequest) (catalog.CreateCategoryResponse, error)
	UpdateCategory(ctx context.Context, req catalog.UpdateCategoryRequest) (catalog.UpdateCategoryResponse, error)
	DeleteCategory(ctx context.Context, req catalog.DeleteCategoryRequest) (catalog.DeleteCategoryResponse, error)
	ListCategories(ctx context.Context, req catalog.ListCategoriesRequest) (catalog.ListCategoriesResponse, error)
	CreateGenre(ctx context.Context, req catalog.CreateGenreRequest) (catalog.CreateGenreResponse, error)
	UpdateGenre(ctx context.Context, req catalog.UpdateGenreRequest) (catalog.UpdateGenreResponse, error)
	DeleteGenre(ctx context.Context, req catalog.DeleteGenreRequest) (catalog.DeleteGenreResponse, error)
	ListGenres(ctx context.Context, req catalog.ListGenresRequest) (catalog.ListGenresResponse, error)
	CreateCastMember(ctx context.Context, req catalog.CreateCastMemberRequest) (catalog.CreateCastMemberResponse, error)
	UpdateCastMember(ctx context.Context, req catalog.UpdateCastMemberRequest) (catalog.UpdateCastMemberResponse, error)
	DeleteCastMember(ctx context.Context, req catalog.DeleteCastMemberRequest) (catalog.DeleteCastMemberResponse, error)
	ListCastMembers(ctx context.Context, req catalog.ListCastMembersRequest) (catalog.ListCastMembersResponse, error)
	CreateVideo(ctx context.Context, req catalog.CreateVideoRequest) (catalog.CreateVideoResponse, error)
	UpdateVideo(ctx context.Context, req catalog.UpdateVideoRequest) (catalog.UpdateVideoResponse, error)
	PublishVideo(ctx context.Context, req catalog.PublishVideoRequest) (catalog.PublishVideoResponse, error)
	DeleteVideo(ctx context.Context, req catalog.DeleteVideoRequest) (catalog.DeleteVideoResponse, error)
	GetVideo(ctx context.Context, req catalog.GetVideoRequest) (catalog.GetVideoResponse, error)
	GetVideos(ctx context.Context, req catalog.GetVideosRequest) (catalog.GetVideosResponse, error)
	ListVideos(ctx context.Context, req catalog.ListVideosRequest) (catalog.ListVideosResponse, error)
	Search(ctx context.Context, req catalog.SearchRequest) (catalog.SearchResponse, error)
	VideosByName(ctx context.Context, req catalog.VideosByNameRequest) (catalog.VideosByNameResponse, error)
	VideosByTags(ctx context.Context, req catalog.VideosByTagsRequest) (catalog.VideosByTagsResponse, error)
	AddTags(ctx context.Context, req catalog.AddTagsRequest) (catalog.AddTagsResponse, error)
	RemoveTags(ctx context.Context, req catalog.RemoveTagsRequest) (catalog.RemoveTagsResponse, error)
}

// Media is what the resolvers need for uploads, playback and encoding
// progress: the BFF's media gateway. Its methods authorize the caller
// themselves (playback and downloads need a visible, READY video; uploads
// and progress an admin).
type Media interface {
	CreateUpload(ctx context.Context, caller platform.Caller, videoID, filename string, size int64) (model.Upload, error)
	Playback(ctx context.Context, caller platform.Caller, videoID string) (model.Playback, error)
	Download(ctx context.Context, caller platform.Caller, videoID, rendition string) (model.Download, error)
	// WatchEncoding streams a video's media states until ctx ends or the
	// media is READY or FAILED, when the channel is closed.
	WatchEncoding(ctx context.Context, caller platform.Caller, videoID string) (<-chan model.EncodingProgress, error)
	// RecordProgress records the caller's position in a video and keeps its
	// stream live.
	RecordProgress(ctx context.Context, caller platform.Caller, videoID string, positionSeconds float64) (model.WatchProgress, error)
	// RotateMediaSigningKey adds a media URL signing key (admin).
	RotateMediaSigningKey(ctx context.Context, caller platform.Caller) (model.MediaSigningKeyRotation, error)
	// PosterURL and ThumbnailsURL sign the images of a READY media.
	PosterURL(videoID, mediaID string) string
	ThumbnailsURL(videoID, mediaID string) string
}

// Resolver is the root of the resolvers. Resolvers are thin: they check the
// GraphQL-level shape of their input, put the caller (from the context, set
// by the BFF's authentication) into the service request, call the service
// and map the response. Domain validation and authorization stay in the
// services; the @auth and @hasRole directives only answer early (the
// dead-letter store knows no callers, so its resolvers check the role too).
type Resolver struct {
	accounts Accounts
	catalog  Catalog
	dead     platform.DeadLetters // nil: the deployment keeps none
	media    Media                // nil: the deployment serves no media
	billing  Billing              // nil: the deployment sells no plans
}

// Deps are what the resolvers call. Accounts and Catalog are required;
// DeadLetters, Media and Billing may be nil: their fields are then
// UNAVAILABLE.
type Deps struct {
	Accounts    Accounts
	Catalog     Catalog
	DeadLetters platform.DeadLetters
	Media       Media
	Billing     Billing
}

// NewResolver returns the root resolver over deps.
func NewResolver(deps Deps) *Resolver {
	return &Resolver{accounts: deps.Accounts, catalog: deps.Catalog, dead: deps.DeadLetters, media: deps.Media, billing: deps.Billing}
}

// mediaGateway returns the media gateway, or UNAVAILABLE without one.
func (r *Resolver) mediaGateway() (Media, error) {
	if r.media == nil {
		return nil, platform.Errorf(platform.KindUnavailable, "this deployment serves no media")
	}
	return r.media, nil
}

// caller is who makes the current request (zero: anonymous).
func caller(ctx context.Context) platform.Caller {
	return authn.CallerFrom(ctx)
}

// loaders returns the operation's dataloaders, or fresh ones when the
// operation has none (e.g. a resolver called outside the BFF).
func (r *Resolver) loaders(ctx context.Context) *loader.Loaders {
	if l := loader.From(ctx); l != nil {
		return l
	}
	return loader.New(r.catalog, caller(ctx))
}
