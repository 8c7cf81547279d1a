// Package graphiql serves the GraphiQL IDE from assets embedded in the
// binary (no CDN): graphiql, react and react-dom UMD builds from npm, whose
// versions assets/README.md records.
package graphiql

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var files embed.FS

// Assets serves the embedded files by name (mount it under the prefix given
// to Page, with the prefix stripped). They never change within a build, so
// they are cacheable for a day.
func Assets() http.Handler {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	fileServer := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	})
}

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dflix GraphiQL</title>
<link rel="stylesheet" href="{{.Assets}}graphiql.min.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}">Loading…</div>
<script src="{{.Assets}}react.production.min.js"></script>
<script src="{{.Assets}}react-dom.production.min.js"></script>
<script src="{{.Assets}}graphiql.min.js"></script>
<script src="{{.Assets}}init.js"></script>
</body>
</html>
`))

// Page serves the GraphiQL page for the GraphQL endpoint (queries over
// HTTP, subscriptions over a websocket on the same path), loading its
// scripts from assets (a path ending in "/").
func Page(endpoint, assets string) http.Handler {
	var buf bytes.Buffer
	if err := page.Execute(&buf, struct{ Endpoint, Assets string }{endpoint, assets}); err != nil {
		panic(err) // the template and its data are fixed
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'")
		_, _ = w.Write(body)
	})
}
