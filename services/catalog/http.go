package catalog

import (
	"net/http"

	"github.com/dflix/dflix/services/platform"
)

// NewHandler serves api over HTTP: each method at POST /rpc/<Method> with
// the JSON request as body; errors come back as platform.WireError with the
// status of their kind.
func NewHandler(api API) http.Handler {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{
		MethodCreateCategory:   platform.Handle(api.CreateCategory),
		MethodUpdateCategory:   platform.Handle(api.UpdateCategory),
		MethodDeleteCategory:   platform.Handle(api.DeleteCategory),
		MethodListCategories:   platform.Handle(api.ListCategories),
		MethodCreateGenre:      platform.Handle(api.CreateGenre),
		MethodUpdateGenre:      platform.Handle(api.UpdateGenre),
		MethodDeleteGenre:      platform.Handle(api.DeleteGenre),
		MethodListGenres:       platform.Handle(api.ListGenres),
		MethodCreateCastMember: platform.Handle(api.CreateCastMember),
		MethodUpdateCastMember: platform.Handle(api.UpdateCastMember),
		MethodDeleteCastMember: platform.Handle(api.DeleteCastMember),
		MethodListCastMembers:  platform.Handle(api.ListCastMembers),
		MethodGetTaxonomy:      platform.Handle(api.GetTaxonomy),
		MethodCreateVideo:      platform.Handle(api.CreateVideo),
		MethodUpdateVideo:      platform.Handle(api.UpdateVideo),
		MethodPublishVideo:     platform.Handle(api.PublishVideo),
		MethodDeleteVideo:      platform.Handle(api.DeleteVideo),
		MethodGetVideo:         platform.Handle(api.GetVideo),
		MethodGetVideos:        platform.Handle(api.GetVideos),
		MethodListVideos:       platform.Handle(api.ListVideos),
		MethodSearch:           platform.Handle(api.Search),
		MethodVideosByName:     platform.Handle(api.VideosByName),
		MethodVideosByTags:     platform.Handle(api.VideosByTags),
		MethodAddTags:          platform.Handle(api.AddTags),
		MethodRemoveTags:       platform.Handle(api.RemoveTags),
		MethodUserTags:         platform.Handle(api.UserTags),
	})
	return mux
}
