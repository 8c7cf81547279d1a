package model

import (
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/subscription"
)

// WatchProgress is a viewer's place in a video, with the video itself
// (loaded in one catalog call per list).
type WatchProgress struct {
	subscription.Progress
	Video *catalog.Video
}
