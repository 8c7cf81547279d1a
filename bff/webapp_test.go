package bff_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
)

const testIndex = `<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>`

// webAssets is a built app in miniature: index.html and one hashed script.
func webAssets() fstest.MapFS {
	return fstest.MapFS{
		"index.html":             {Data: []byte(testIndex)},
		"assets/index-abc123.js": {Data: []byte("console.log('dflix')")},
		"favicon.svg":            {Data: []byte("<svg/>")},
	}
}

func serve(s *stack, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	rec := httptest.NewRecorder()
	s.server.ServeHTTP(rec, req)
	return rec
}

func TestWebApp(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{Introspection: true, WebAssets: webAssets()}})
	tests := []struct {
		name        string
		method      string
		path        string
		wantCode    int
		wantType    string // prefix of Content-Type
		wantBody    string // substring
		wantCache   string
		wantAppHdrs bool
	}{
		{"index at root", http.MethodGet, "/", 200, "text/html", `<div id="root">`, "no-cache", true},
		{"index by name", http.MethodGet, "/index.html", 200, "text/html", `<div id="root">`, "no-cache", true},
		{"hashed asset", http.MethodGet, "/assets/index-abc123.js", 200, "text/javascript", "console.log", "immutable", true},
		{"other file", http.MethodGet, "/favicon.svg", 200, "image/svg+xml", "<svg/>", "no-cache", true},
		{"SPA fallback", http.MethodGet, "/videos/123", 200, "text/html", `<div id="root">`, "no-cache", true},
		{"SPA fallback, HEAD", http.MethodHead, "/search", 200, "text/html", "", "no-cache", true},
		{"missing asset", http.MethodGet, "/assets/x.js", 404, "text/plain", "not found", "", true},
		{"no asset listing", http.MethodGet, "/assets/", 404, "text/plain", "not found", "", true},
		{"POST to the app", http.MethodPost, "/videos/123", 405, "text/plain", "", "", false},
		{"healthz", http.MethodGet, "/healthz", 200, "", "", "", false},
		{"jwks", http.MethodGet, "/.well-known/jwks.json", 200, "application/", "keys", "", false},
		{"graphiql asset", http.MethodGet, "/graphiql/assets/init.js", 200, "", "", "", false},
		{"unknown API path", http.MethodGet, "/graphiql/assets/nope.js", 404, "", "", "", false},
		{"uploads route", http.MethodGet, "/uploads/abc", 412, "", "", "", false},
		{"media route", http.MethodGet, "/media/x/master.m3u8", 403, "", "", "", false},
		{"unknown well-known", http.MethodGet, "/.well-known/other", 404, "text/plain", "not found", "", false},
		{"probe method", http.MethodPost, "/healthz", 405, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, tt.method, tt.path)
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType), rec.Header().Get("Content-Type"))
			assert.Contains(t, rec.Body.String(), tt.wantBody)
			if tt.wantCache != "" {
				assert.Contains(t, rec.Header().Get("Cache-Control"), tt.wantCache)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !tt.wantAppHdrs {
				assert.NotContains(t, csp, "media-src", "the app's CSP stays off the API")
				return
			}
			for _, directive := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
				"img-src 'self' data:", "media-src 'self' blob:", "connect-src 'self' ws: wss:"} {
				assert.Contains(t, csp, directive)
			}
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
			assert.Equal(t, "same-origin", rec.Header().Get("Referrer-Policy"))
		})
	}
}

func TestGraphQLBesideWebApp(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{Introspection: true, WebAssets: webAssets()}})
	rec := get(t, s, "/graphql", map[string]string{"Accept": "text/html"})
	assert.Contains(t, rec.Body.String(), "graphiql.min.js", "GraphiQL, not the app, at GET /graphql")
	res := s.do(t, "", `{ __typename }`, nil)
	require.Empty(t, res.Errors, res.String())
	assert.JSONEq(t, `"Query"`, string(res.Data["__typename"]))
}

// Unknown paths under the API prefixes stay 404s, never the app's index.
func TestWebAppLeavesAPIPaths(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{WebAssets: webAssets()}})
	for _, path := range []string{"/graphql/x", "/graphiql", "/healthz/x", "/readyz/x", "/.well-known/other"} {
		rec := serve(s, http.MethodGet, path)
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
		assert.NotContains(t, rec.Body.String(), "root", path)
	}
}

func TestNoWebAppWithoutAssets(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, path := range []string{"/", "/videos/123", "/assets/index-abc123.js"} {
		rec := serve(s, http.MethodGet, path)
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
		assert.Empty(t, rec.Header().Get("Content-Security-Policy"), path)
	}
}

func TestWebAppNotBuilt(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{WebAssets: fstest.MapFS{}}})
	rec := serve(s, http.MethodGet, "/")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), "make web")
}
