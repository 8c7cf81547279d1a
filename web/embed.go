// Package web embeds the built React app (web/dist, from `make web`) into
// the dflix binary; bff serves it at "/".
package web

import (
	"embed"
	"fmt"
	"io/fs"
)

// dist is Vite's output: index.html and the hashed files under assets/.
//
//go:embed all:dist
var dist embed.FS

// Assets returns the built app rooted at dist: index.html at its top.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path name, and "dist" is valid.
		panic(fmt.Sprintf("web: sub dist: %v", err))
	}
	return sub
}
