package bff

import (
	"net/http"
	"strings"
)

const corsMaxAge = "600"

// corsPolicy is what one route lets a cross-origin browser app do.
type corsPolicy struct {
	methods []string
	headers []string // request headers allowed besides the simple ones
	expose  []string // response headers the app may read
}

// The routes' policies: GraphQL, tus uploads, and media (hls.js reads
// segments with Range requests).
var (
	graphqlCORS = corsPolicy{methods: []string{"GET", "POST", "OPTIONS"}, headers: []string{"Authorization", "Content-Type"}}
	mediaCORS   = corsPolicy{methods: []string{"GET", "HEAD", "OPTIONS"}, headers: []string{"Range"},
		expose: []string{"Content-Length", "Content-Range", "Accept-Ranges", "Content-Disposition"}}
)

// cors lets browser apps on Config.AllowedOrigins call route across
// origins (e.g. the web frontend's dev server): it answers preflights and
// marks responses readable for an allowed Origin. Tokens travel in the
// Authorization header or in the URL, so no credentials (cookies) are
// allowed.
func (s *Server) cors(p corsPolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		allowed := originAllowed(r, s.cfg.AllowedOrigins)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Methods", strings.Join(p.methods, ", "))
			h.Set("Access-Control-Allow-Headers", strings.Join(p.headers, ", "))
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			if len(p.expose) > 0 {
				w.Header().Set("Access-Control-Expose-Headers", strings.Join(p.expose, ", "))
			}
		}
		next.ServeHTTP(w, r)
	})
}
