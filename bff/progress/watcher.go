package progress

import (
	"context"
	"sync"
)

// Watcher receives the updates of one video, conflated to the latest.
type Watcher struct {
	hub     *Hub
	videoID string
	ready   chan struct{} // one token: there is an update not yet taken

	mu      sync.Mutex
	latest  Update
	has     bool
	pending bool
	closed  bool
}

// Seed sets the state the watcher starts from (what catalog last recorded),
// unless an event already brought newer news.
func (w *Watcher) Seed(u Update) {
	w.mu.Lock()
	seeded := w.has
	w.mu.Unlock()
	if !seeded {
		w.offer(u)
	}
}

// offer keeps u when it supersedes what the watcher holds.
func (w *Watcher) offer(u Update) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || (w.has && !u.supersedes(w.latest)) {
		return
	}
	w.latest, w.has, w.pending = u, true, true
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// Next waits for an update newer than the last one returned. It returns
// false when ctx ends.
func (w *Watcher) Next(ctx context.Context) (Update, bool) {
	for {
		w.mu.Lock()
		if w.pending {
			w.pending = false
			u := w.latest
			w.mu.Unlock()
			return u, true
		}
		w.mu.Unlock()
		select {
		case <-w.ready:
		case <-ctx.Done():
			return Update{}, false
		}
	}
}

// Close stops the watcher; it is safe to call more than once.
func (w *Watcher) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	if ws := w.hub.watchers[w.videoID]; ws != nil {
		delete(ws, w)
		if len(ws) == 0 {
			delete(w.hub.watchers, w.videoID)
		}
	}
}
