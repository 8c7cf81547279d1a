package auth

import (
	"net/http"

	"github.com/dflix/dflix/services/platform"
)

// NewHandler serves api over HTTP: each method at POST /rpc/<Method> with a
// JSON request and response, errors as platform.WireError.
func NewHandler(api API) http.Handler {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{
		MethodRegister:          platform.Handle(api.Register),
		MethodLogin:             platform.Handle(api.Login),
		MethodRefresh:           platform.Handle(api.Refresh),
		MethodLogout:            platform.Handle(api.Logout),
		MethodChangePassword:    platform.Handle(api.ChangePassword),
		MethodGetUser:           platform.Handle(api.GetUser),
		MethodListUsers:         platform.Handle(api.ListUsers),
		MethodSetUserRole:       platform.Handle(api.SetUserRole),
		MethodDeleteUser:        platform.Handle(api.DeleteUser),
		MethodEnsureAdmin:       platform.Handle(api.EnsureAdmin),
		MethodJWKS:              platform.Handle(api.JWKS),
		MethodRecentRevocations: platform.Handle(api.RecentRevocations),
		MethodRotateKey:         platform.Handle(api.RotateKey),
	})
	return mux
}
