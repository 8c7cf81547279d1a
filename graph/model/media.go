package model

import "github.com/dflix/dflix/services/catalog"

// Media is a video's media as GraphQL shows it: catalog's record plus the
// video it belongs to, which the signed poster and thumbnail URLs are bound to.
type Media struct {
	VideoID string
	catalog.Media
}
