package catalog

import (
	"context"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// AppID is the service's name on the wire (Dapr app id, invoker target).
const AppID = "catalog"

// API is everything the catalog service does. *Service implements it in
// process; Client implements it over a platform.Invoker.
//
// Viewers (and anonymous callers) see only published videos: an unpublished
// one is KindNotFound to them. Admin methods return KindUnauthenticated or
// KindForbidden to others. Malformed input is KindInvalid, an unknown id
// KindNotFound, a duplicate name KindConflict.
type API interface {
	CreateCategory(ctx context.Context, req CreateCategoryRequest) (CreateCategoryResponse, error)
	UpdateCategory(ctx context.Context, req UpdateCategoryRequest) (UpdateCategoryResponse, error)
	DeleteCategory(ctx context.Context, req DeleteCategoryRequest) (DeleteCategoryResponse, error)
	ListCategories(ctx context.Context, req ListCategoriesRequest) (ListCategoriesResponse, error)

	CreateGenre(ctx context.Context, req CreateGenreRequest) (CreateGenreResponse, error)
	UpdateGenre(ctx context.Context, req UpdateGenreRequest) (UpdateGenreResponse, error)
	DeleteGenre(ctx context.Context, req DeleteGenreRequest) (DeleteGenreResponse, error)
	ListGenres(ctx context.Context, req ListGenresRequest) (ListGenresResponse, error)

	CreateCastMember(ctx context.Context, req CreateCastMemberRequest) (CreateCastMemberResponse, error)
	UpdateCastMember(ctx context.Context, req UpdateCastMemberRequest) (UpdateCastMemberResponse, error)
	DeleteCastMember(ctx context.Context, req DeleteCastMemberRequest) (DeleteCastMemberResponse, error)
	ListCastMembers(ctx context.Context, req ListCastMembersRequest) (ListCastMembersResponse, error)

	// GetTaxonomy returns the categories, genres and cast members with the
	// given ids in one call (dataloaders batch on it); unknown ids are left out.
	GetTaxonomy(ctx context.Context, req GetTaxonomyRequest) (GetTaxonomyResponse, error)

	CreateVideo(ctx context.Context, req CreateVideoRequest) (CreateVideoResponse, error)
	// UpdateVideo changes the fields that are set in the patch (rename is a
	// patch of the title).
	UpdateVideo(ctx context.Context, req UpdateVideoRequest) (UpdateVideoResponse, error)
	PublishVideo(ctx context.Context, req PublishVideoRequest) (PublishVideoResponse, error)
	DeleteVideo(ctx context.Context, req DeleteVideoRequest) (DeleteVideoResponse, error)
	GetVideo(ctx context.Context, req GetVideoRequest) (GetVideoResponse, error)
	// GetVideos returns the visible videos with the given ids, in order;
	// missing or hidden ones are left out.
	GetVideos(ctx context.Context, req GetVideosRequest) (GetVideosResponse, error)
	ListVideos(ctx context.Context, req ListVideosRequest) (ListVideosResponse, error)

	// Search is full-text search over title, description, cast names and
	// tags with stemming, typo tolerance and facets.
	Search(ctx context.Context, req SearchRequest) (SearchResponse, error)
	// VideosByName matches titles case-insensitively, exactly or as a substring.
	VideosByName(ctx context.Context, req VideosByNameRequest) (VideosByNameResponse, error)
	// VideosByTags matches the caller's own tags, any or all of them.
	VideosByTags(ctx context.Context, req VideosByTagsRequest) (VideosByTagsResponse, error)

	// AddTags and RemoveTags change the caller's own tags on a video; only
	// the caller sees them. Both return the caller's tags after the change.
	AddTags(ctx context.Context, req AddTagsRequest) (AddTagsResponse, error)
	RemoveTags(ctx context.Context, req RemoveTagsRequest) (RemoveTagsResponse, error)
	// UserTags returns the caller's tags on each of the given videos.
	UserTags(ctx context.Context, req UserTagsRequest) (UserTagsResponse, error)
}

// The method names on the wire.
const (
	MethodCreateCategory   = "CreateCategory"
	MethodUpdateCategory   = "UpdateCategory"
	MethodDeleteCategory   = "DeleteCategory"
	MethodListCategories   = "ListCategories"
	MethodCreateGenre      = "CreateGenre"
	MethodUpdateGenre      = "UpdateGenre"
	MethodDeleteGenre      = "DeleteGenre"
	MethodListGenres       = "ListGenres"
	MethodCreateCastMember = "CreateCastMember"
	MethodUpdateCastMember = "UpdateCastMember"
	MethodDeleteCastMember = "DeleteCastMember"
	MethodListCastMembers  = "ListCastMembers"
	MethodGetTaxonomy      = "GetTaxonomy"
	MethodCreateVideo      = "CreateVideo"
	MethodUpdateVideo      = "UpdateVideo"
	MethodPublishVideo     = "PublishVideo"
	MethodDeleteVideo      = "DeleteVideo"
	MethodGetVideo         = "GetVideo"
	MethodGetVideos        = "GetVideos"
	MethodListVideos       = "ListVideos"
	MethodSearch           = "Search"
	MethodVideosByName     = "VideosByName"
	MethodVideosByTags     = "VideosByTags"
	MethodAddTags          = "AddTags"
	MethodRemoveTags       = "RemoveTags"
	MethodUserTags         = "UserTags"
)

// Limits on input.
const (
	MaxNameLen        = 120
	MaxTitleLen       = 200
	MaxDescriptionLen = 5000
	MaxTagLen         = 40
	MaxTagsPerRequest = 20
	MaxTagsPerVideo   = 50
	MinReleaseYear    = 1888
	MaxQueryLen       = 200
	DefaultPageSize   = 20
	MaxPageSize       = 100
)

// CastType says what a cast member does.
type CastType string

// The cast types.
const (
	CastActor    CastType = "ACTOR"
	CastDirector CastType = "DIRECTOR"
)

// AgeRating is a video's audience rating.
type AgeRating string

// The age ratings, youngest audience first.
const (
	RatingG    AgeRating = "G"
	RatingPG   AgeRating = "PG"
	RatingPG13 AgeRating = "PG13"
	RatingR    AgeRating = "R"
	RatingNC17 AgeRating = "NC17"
)

// VideoStatus is where a video's media is in its life.
type VideoStatus string

// The video statuses.
const (
	StatusDraft      VideoStatus = "DRAFT"
	StatusProcessing VideoStatus = "PROCESSING"
	StatusReady      VideoStatus = "READY"
	StatusFailed     VideoStatus = "FAILED"
)

// Category groups videos for browsing (e.g. "Movies", "Series").
type Category struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Genre is a video's genre (e.g. "Drama").
type Genre struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CastMember is an actor or director.
type CastMember struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Type CastType `json:"type"`
}

// Video is one title in the catalog.
type Video struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	ReleaseYear     int       `json:"releaseYear"`
	DurationSeconds int       `json:"durationSeconds"`
	AgeRating       AgeRating `json:"ageRating"`
	CategoryIDs     []string  `json:"categoryIds"`
	GenreIDs        []string  `json:"genreIds"`
	CastIDs         []string  `json:"castIds"`
	Tags            []string  `json:"tags"` // global, set by admins
	// Status follows Media: DRAFT without one, PROCESSING while it is
	// pending or encoding, then READY or FAILED.
	Status    VideoStatus `json:"status"`
	Media     *Media      `json:"media,omitempty"`
	Published bool        `json:"published"`
	CreatedAt time.Time   `json:"createdAt"`
	UpdatedAt time.Time   `json:"updatedAt"`
	// Version increases with every change; consumers use it to ignore
	// events that arrive out of order.
	Version int64 `json:"version"`
}

// VideoInput is what an admin sets when creating a video.
type VideoInput struct {
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	ReleaseYear     int       `json:"releaseYear"`
	DurationSeconds int       `json:"durationSeconds"`
	AgeRating       AgeRating `json:"ageRating"`
	CategoryIDs     []string  `json:"categoryIds"`
	GenreIDs        []string  `json:"genreIds"`
	CastIDs         []string  `json:"castIds"`
	Tags            []string  `json:"tags"`
}

// VideoPatch changes the fields that are non-nil.
type VideoPatch struct {
	Title           *string    `json:"title,omitempty"`
	Description     *string    `json:"description,omitempty"`
	ReleaseYear     *int       `json:"releaseYear,omitempty"`
	DurationSeconds *int       `json:"durationSeconds,omitempty"`
	AgeRating       *AgeRating `json:"ageRating,omitempty"`
	CategoryIDs     *[]string  `json:"categoryIds,omitempty"`
	GenreIDs        *[]string  `json:"genreIds,omitempty"`
	CastIDs         *[]string  `json:"castIds,omitempty"`
	Tags            *[]string  `json:"tags,omitempty"`
}

// VideoFilter narrows a listing or a search; zero fields don't filter.
type VideoFilter struct {
	CategoryID   string    `json:"categoryId,omitempty"`
	GenreID      string    `json:"genreId,omitempty"`
	CastMemberID string    `json:"castMemberId,omitempty"`
	Year         int       `json:"year,omitempty"`
	AgeRating    AgeRating `json:"ageRating,omitempty"`
}

// OrderField is what a video listing is sorted by.
type OrderField string

// The order fields.
const (
	OrderTitle       OrderField = "TITLE"
	OrderReleaseYear OrderField = "RELEASE_YEAR"
	OrderCreatedAt   OrderField = "CREATED_AT"
)

// VideoOrder sorts a listing; the zero value is newest first.
type VideoOrder struct {
	Field      OrderField `json:"field,omitempty"`
	Descending bool       `json:"descending,omitempty"`
}

// Page asks for First items after the opaque cursor After.
type Page struct {
	First int    `json:"first"`
	After string `json:"after,omitempty"`
}

// VideoPage is one page of videos with a cursor per video.
type VideoPage struct {
	Videos      []Video  `json:"videos"`
	Cursors     []string `json:"cursors"`
	HasNextPage bool     `json:"hasNextPage"`
	TotalCount  int      `json:"totalCount"`
}

// FacetValue is one value of a facet with the number of hits that have it.
type FacetValue struct {
	Value string `json:"value"` // an id for categories and genres, the year for years
	Count int    `json:"count"`
}

// Facets counts search hits by category, genre and release year.
type Facets struct {
	Categories []FacetValue `json:"categories"`
	Genres     []FacetValue `json:"genres"`
	Years      []FacetValue `json:"years"`
}

// CreateCategoryRequest creates a category (admin).
type CreateCategoryRequest struct {
	Caller      platform.Caller `json:"caller"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
}

// CreateCategoryResponse carries the new category.
type CreateCategoryResponse struct {
	Category Category `json:"category"`
}

// UpdateCategoryRequest renames or redescribes a category (admin).
type UpdateCategoryRequest struct {
	Caller      platform.Caller `json:"caller"`
	ID          string          `json:"id"`
	Name        *string         `json:"name,omitempty"`
	Description *string         `json:"description,omitempty"`
}

// UpdateCategoryResponse carries the updated category.
type UpdateCategoryResponse struct {
	Category Category `json:"category"`
}

// DeleteCategoryRequest deletes a category and removes it from its videos (admin).
type DeleteCategoryRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// DeleteCategoryResponse is empty.
type DeleteCategoryResponse struct{}

// ListCategoriesRequest lists every category by name.
type ListCategoriesRequest struct{}

// ListCategoriesResponse carries the categories.
type ListCategoriesResponse struct {
	Categories []Category `json:"categories"`
}

// CreateGenreRequest creates a genre (admin).
type CreateGenreRequest struct {
	Caller platform.Caller `json:"caller"`
	Name   string          `json:"name"`
}

// CreateGenreResponse carries the new genre.
type CreateGenreResponse struct {
	Genre Genre `json:"genre"`
}

// UpdateGenreRequest renames a genre (admin).
type UpdateGenreRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
	Name   string          `json:"name"`
}

// UpdateGenreResponse carries the updated genre.
type UpdateGenreResponse struct {
	Genre Genre `json:"genre"`
}

// DeleteGenreRequest deletes a genre and removes it from its videos (admin).
type DeleteGenreRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// DeleteGenreResponse is empty.
type DeleteGenreResponse struct{}

// ListGenresRequest lists every genre by name.
type ListGenresRequest struct{}

// ListGenresResponse carries the genres.
type ListGenresResponse struct {
	Genres []Genre `json:"genres"`
}

// CreateCastMemberRequest creates a cast member (admin).
type CreateCastMemberRequest struct {
	Caller platform.Caller `json:"caller"`
	Name   string          `json:"name"`
	Type   CastType        `json:"type"`
}

// CreateCastMemberResponse carries the new cast member.
type CreateCastMemberResponse struct {
	CastMember CastMember `json:"castMember"`
}

// UpdateCastMemberRequest changes a cast member (admin).
type UpdateCastMemberRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
	Name   *string         `json:"name,omitempty"`
	Type   *CastType       `json:"type,omitempty"`
}

// UpdateCastMemberResponse carries the updated cast member.
type UpdateCastMemberResponse struct {
	CastMember CastMember `json:"castMember"`
}

// DeleteCastMemberRequest deletes a cast member and removes them from their videos (admin).
type DeleteCastMemberRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// DeleteCastMemberResponse is empty.
type DeleteCastMemberResponse struct{}

// ListCastMembersRequest lists every cast member by name, optionally of one type.
type ListCastMembersRequest struct {
	Type CastType `json:"type,omitempty"`
}

// ListCastMembersResponse carries the cast members.
type ListCastMembersResponse struct {
	CastMembers []CastMember `json:"castMembers"`
}

// GetTaxonomyRequest names the ids to load.
type GetTaxonomyRequest struct {
	CategoryIDs   []string `json:"categoryIds,omitempty"`
	GenreIDs      []string `json:"genreIds,omitempty"`
	CastMemberIDs []string `json:"castMemberIds,omitempty"`
}

// GetTaxonomyResponse carries what was found.
type GetTaxonomyResponse struct {
	Categories  []Category   `json:"categories"`
	Genres      []Genre      `json:"genres"`
	CastMembers []CastMember `json:"castMembers"`
}

// CreateVideoRequest creates an unpublished DRAFT video (admin).
type CreateVideoRequest struct {
	Caller platform.Caller `json:"caller"`
	Input  VideoInput      `json:"input"`
}

// CreateVideoResponse carries the new video.
type CreateVideoResponse struct {
	Video Video `json:"video"`
}

// UpdateVideoRequest patches a video (admin).
type UpdateVideoRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
	Patch  VideoPatch      `json:"patch"`
}

// UpdateVideoResponse carries the updated video.
type UpdateVideoResponse struct {
	Video Video `json:"video"`
}

// PublishVideoRequest publishes or unpublishes a video (admin).
type PublishVideoRequest struct {
	Caller    platform.Caller `json:"caller"`
	ID        string          `json:"id"`
	Published bool            `json:"published"`
}

// PublishVideoResponse carries the updated video.
type PublishVideoResponse struct {
	Video Video `json:"video"`
}

// DeleteVideoRequest deletes a video (admin).
type DeleteVideoRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// DeleteVideoResponse is empty.
type DeleteVideoResponse struct{}

// GetVideoRequest reads one video.
type GetVideoRequest struct {
	Caller platform.Caller `json:"caller"`
	ID     string          `json:"id"`
}

// GetVideoResponse carries the video.
type GetVideoResponse struct {
	Video Video `json:"video"`
}

// GetVideosRequest reads several videos.
type GetVideosRequest struct {
	Caller platform.Caller `json:"caller"`
	IDs    []string        `json:"ids"`
}

// GetVideosResponse carries the visible ones, in request order.
type GetVideosResponse struct {
	Videos []Video `json:"videos"`
}

// ListVideosRequest browses the catalog.
type ListVideosRequest struct {
	Caller platform.Caller `json:"caller"`
	Filter VideoFilter     `json:"filter"`
	Order  VideoOrder      `json:"order"`
	Page   Page            `json:"page"`
}

// ListVideosResponse is one page.
type ListVideosResponse struct {
	Page VideoPage `json:"page"`
}

// SearchRequest is a full-text query.
type SearchRequest struct {
	Caller platform.Caller `json:"caller"`
	Query  string          `json:"query"`
	Filter VideoFilter     `json:"filter"`
	Page   Page            `json:"page"`
}

// SearchResponse is one page of hits, best first, with facets over all hits.
type SearchResponse struct {
	Page   VideoPage `json:"page"`
	Facets Facets    `json:"facets"`
}

// VideosByNameRequest matches titles.
type VideosByNameRequest struct {
	Caller platform.Caller `json:"caller"`
	Name   string          `json:"name"`
	Exact  bool            `json:"exact"`
}

// VideosByNameResponse carries the matches by title.
type VideosByNameResponse struct {
	Videos []Video `json:"videos"`
}

// VideosByTagsRequest matches the caller's tags.
type VideosByTagsRequest struct {
	Caller   platform.Caller `json:"caller"`
	Tags     []string        `json:"tags"`
	MatchAll bool            `json:"matchAll"`
}

// VideosByTagsResponse carries the matches by title.
type VideosByTagsResponse struct {
	Videos []Video `json:"videos"`
}

// AddTagsRequest adds the caller's tags to a video.
type AddTagsRequest struct {
	Caller  platform.Caller `json:"caller"`
	VideoID string          `json:"videoId"`
	Tags    []string        `json:"tags"`
}

// AddTagsResponse carries the caller's tags on the video.
type AddTagsResponse struct {
	Tags []string `json:"tags"`
}

// RemoveTagsRequest removes the caller's tags from a video.
type RemoveTagsRequest struct {
	Caller  platform.Caller `json:"caller"`
	VideoID string          `json:"videoId"`
	Tags    []string        `json:"tags"`
}

// RemoveTagsResponse carries the caller's tags on the video.
type RemoveTagsResponse struct {
	Tags []string `json:"tags"`
}

// UserTagsRequest asks for the caller's tags on several videos.
type UserTagsRequest struct {
	Caller   platform.Caller `json:"caller"`
	VideoIDs []string        `json:"videoIds"`
}

// UserTagsResponse maps video id to the caller's tags (absent: none).
type UserTagsResponse struct {
	Tags map[string][]string `json:"tags"`
}
