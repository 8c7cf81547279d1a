package bff

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// appCSP is the app's Content-Security-Policy: everything from this origin;
// inline styles (React's style props); data: images; blob: media and
// workers (hls.js feeds the <video> through MediaSource blob URLs and may
// transmux in a blob worker); websockets for the GraphQL subscriptions.
const appCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; media-src 'self' blob:; worker-src 'self' blob:; " +
	"connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Cache-Control values: Vite names the files under assets/ by their content
// hash, so they never change; everything else revalidates.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// apiPrefixes are the paths the app never answers, even where no API route
// is mounted (no /uploads/ without Deps.Blobs): an unknown API path is a
// 404, not the app's index.
var apiPrefixes = []string{"/graphql", "/graphiql", "/uploads", "/media", "/healthz", "/readyz", "/.well-known"}

// webApp serves the single-page app in assets (Config.WebAssets) at "/".
type webApp struct {
	assets fs.FS
	files  http.Handler
}

func newWebApp(assets fs.FS) *webApp {
	return &webApp{assets: assets, files: http.FileServerFS(assets)}
}

// ServeHTTP serves index.html at "/", the files of assets with their cache
// headers, and index.html again (200, for the app's router) for a GET of
// any other path that is neither a file nor an API path. A missing file
// under /assets/ is a 404: a stale page must not get HTML for its script.
func (a *webApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if isAPIPath(p) {
		http.NotFound(w, r)
		return
	}
	setAppHeaders(w.Header())
	name := strings.TrimPrefix(p, "/")
	if p == "/" || name == "index.html" {
		a.serveIndex(w, r)
		return
	}
	if info, err := fs.Stat(a.assets, name); err == nil && info.Mode().IsRegular() {
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", cacheImmutable)
		} else {
			w.Header().Set("Cache-Control", cacheRevalidate)
		}
		a.files.ServeHTTP(w, r)
		return
	}
	if name == "assets" || strings.HasPrefix(name, "assets/") {
		http.NotFound(w, r)
		return
	}
	a.serveIndex(w, r)
}

// serveIndex writes index.html, never cached without revalidation.
func (a *webApp) serveIndex(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(a.assets, "index.html")
	if errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "the web app is not built: run `make web`", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", cacheRevalidate)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(b))
}

// isAPIPath reports whether the clean path p is, or is under, an API route.
func isAPIPath(p string) bool {
	for _, prefix := range apiPrefixes {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// setAppHeaders sets the security headers of every app response.
func setAppHeaders(h http.Header) {
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}
