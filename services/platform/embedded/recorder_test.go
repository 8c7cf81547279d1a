package embedded_test

import (
	"context"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

// recorder is a handler that records the events it acknowledges, in order.
// fail, when set, decides per event and call number (from 1) what the
// handler returns instead of acknowledging.
type recorder struct {
	mu    sync.Mutex
	acked []string
	calls map[string]int
	fail  func(ev platform.Event, call int) error
}

func newRecorder() *recorder { return &recorder{calls: map[string]int{}} }

func failing(fail func(platform.Event, int) error) *recorder {
	r := newRecorder()
	r.fail = fail
	return r
}

func (r *recorder) handle(_ context.Context, ev platform.Event) error {
	r.mu.Lock()
	r.calls[ev.ID]++
	call, fail := r.calls[ev.ID], r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(ev, call); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.acked = append(r.acked, ev.ID)
	r.mu.Unlock()
	return nil
}

func (r *recorder) setFail(fail func(platform.Event, int) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

func (r *recorder) hasAll(ids []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(r.acked))
	for _, id := range r.acked {
		seen[id] = true
	}
	for _, id := range ids {
		if !seen[id] {
			return false
		}
	}
	return true
}

func (r *recorder) ackedIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.acked...)
}

func (r *recorder) callsOf(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}
