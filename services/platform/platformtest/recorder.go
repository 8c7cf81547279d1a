package platformtest

import (
	"context"
	"slices"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

// Recorder is a platform.Publisher for tests of the services that publish:
// it keeps every event it accepts, in order, or fails while told to. The
// zero Recorder accepts everything. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []platform.Event
	fail   error
}

// Publish records ev, or returns the error set with SetFail.
func (r *Recorder) Publish(_ context.Context, ev platform.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, ev)
	return nil
}

// SetFail makes Publish fail with err from now on; nil accepts again.
func (r *Recorder) SetFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Events returns the recorded events, in publication order.
func (r *Recorder) Events() []platform.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// OfType returns the recorded events of type typ, in publication order.
func (r *Recorder) OfType(typ string) []platform.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []platform.Event
	for _, ev := range r.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// Count returns how many events were recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}
