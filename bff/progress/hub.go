package progress

import (
	"context"
	"sync"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Update is one state of a video's media.
type Update struct {
	VideoID string
	MediaID string
	Status  catalog.MediaStatus
	Percent float64
	Reason  string
	// Version is the catalog version of the video the update was read
	// from; 0 when unknown (a watcher seeded from a read without it).
	Version int64
}

// Final reports whether the media has reached READY or FAILED.
func (u Update) Final() bool {
	return u.Status == catalog.MediaReady || u.Status == catalog.MediaFailed
}

// rank orders the statuses of one media.
func rank(s catalog.MediaStatus) int {
	switch s {
	case catalog.MediaPending:
		return 1
	case catalog.MediaProcessing:
		return 2
	case catalog.MediaReady, catalog.MediaFailed:
		return 3
	}
	return 0
}

// supersedes reports whether u is newer news than cur: a later version of
// the video when both have one, as catalog orders its own changes (a late or
// redelivered event never moves a watcher back, not even to an older media,
// and catalog's READY after a FAILED stands); otherwise another media (a new
// upload), a later status of the same media, or more percent.
func (u Update) supersedes(cur Update) bool {
	if u.Version > 0 && cur.Version > 0 {
		return u.Version > cur.Version
	}
	if u.MediaID != cur.MediaID {
		return true
	}
	if r, c := rank(u.Status), rank(cur.Status); r != c {
		return r > c
	}
	return u.Status == catalog.MediaProcessing && u.Percent > cur.Percent
}

// Hub delivers media updates to the watchers of each video. It is safe for
// concurrent use.
type Hub struct {
	mu       sync.Mutex
	watchers map[string]map[*Watcher]struct{}
}

// NewHub returns a hub without watchers.
func NewHub() *Hub { return &Hub{watchers: map[string]map[*Watcher]struct{}{}} }

// Watch starts watching videoID. Call Close when done.
func (h *Hub) Watch(videoID string) *Watcher {
	w := &Watcher{hub: h, videoID: videoID, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watchers[videoID] == nil {
		h.watchers[videoID] = map[*Watcher]struct{}{}
	}
	h.watchers[videoID][w] = struct{}{}
	return w
}

// Watchers returns how many watchers are open (for tests and metrics).
func (h *Hub) Watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ws := range h.watchers {
		n += len(ws)
	}
	return n
}

// Publish hands u to the watchers of its video.
func (h *Hub) Publish(u Update) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers[u.VideoID] {
		w.offer(u)
	}
}

// Handle is the platform.Handler of the BFF's subscription to catalog's
// events. It never fails: an event it cannot read is of no use to a
// progress bar.
func (h *Hub) Handle(_ context.Context, ev platform.Event) error {
	if u, ok := decode(ev); ok {
		h.Publish(u)
	}
	return nil
}

// decode turns a video.changed event of a video with media into an
// update: catalog publishes one after it records each media fact, so an
// update seen here is one that catalog (and so playback) already knows.
func decode(ev platform.Event) (Update, bool) {
	if ev.Type != catalog.EventVideoChanged {
		return Update{}, false
	}
	var p catalog.VideoChanged
	if err := ev.Decode(&p); err != nil || p.Video.Media == nil || p.Video.ID == "" {
		return Update{}, false
	}
	m := p.Video.Media
	return Update{VideoID: p.Video.ID, MediaID: m.ID, Status: m.Status, Percent: m.Percent, Reason: m.Reason, Version: p.Video.Version}, true
}
