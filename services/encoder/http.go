package encoder

import (
	"net/http"

	"github.com/dflix/dflix/services/platform"
)

// NewHandler serves api over HTTP: each method at POST /rpc/<Method> with a
// JSON request and response, errors as platform.WireError.
func NewHandler(api API) http.Handler {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{
		MethodGetJob: platform.Handle(api.GetJob),
	})
	return mux
}
